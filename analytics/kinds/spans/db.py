"""The spans kind from the database: the scope's spans, gold and texts (``sql/spans_*.sql``, bound parameters),
finished by the same metrics as the file CLI (:mod:`.agreement`, :mod:`.accuracy`), so the database path and the
file path give the same JSON on the same data.

``scope``: an :class:`analytics.filters.Filters` (project, dates, team, split, batch) or a project id.
"""
from __future__ import annotations

import pandas as pd

from analytics.db import query_df
from analytics.io.ingest.kind_support import scope_params
from analytics.metrics.results import NoData

__all__ = ["spans_from_db", "gold_spans_from_db", "texts_from_db", "label_counts_from_db",
           "span_agreement_from_db", "span_accuracy_from_db", "span_reviews_from_db", "reviewed_spans_from_db"]

_OFFSETS = {"span_start": "start", "span_end": "end"}


def _offsets(df: pd.DataFrame) -> pd.DataFrame:
    df = df.rename(columns=_OFFSETS)
    for c in ("start", "end"):
        df[c] = pd.to_numeric(df[c]).astype("Int64").astype(object).where(df[c].notna(), None)
    return df


def spans_from_db(engine, scope) -> pd.DataFrame:
    """The span frame (``item_id, annotator_id, start, end, label``) of the scope."""
    return _offsets(query_df(engine, "spans_regions", **scope_params(scope)))


def gold_spans_from_db(engine, scope, reviewed: bool = True) -> pd.DataFrame:
    """The reference spans of the scope's items, with ``source``: the gold spans (``gold``) and, with ``reviewed``,
    on items without gold the spans of the annotator whose every span there was reviewed, as reviewed (``review``;
    ``sql/span_review_reference.sql``, which also names ``reviewed_annotator``). What the accuracy figures and the
    gate's gold-based checks compare annotations with: a reviewer's verdicts adjudicate the items gold misses."""
    gold = query_df(engine, "spans_gold", **scope_params(scope)).assign(source="gold", reviewed_annotator=None)
    if reviewed:
        ref = query_df(engine, "span_review_reference", **scope_params(scope)).assign(source="review")
        if len(ref):
            gold = pd.concat([gold, ref[gold.columns]] if len(gold) else [ref[gold.columns]], ignore_index=True)
    return _offsets(gold)


def texts_from_db(engine, scope) -> pd.DataFrame:
    return query_df(engine, "spans_texts", **scope_params(scope))


def span_reviews_from_db(engine, scope) -> pd.DataFrame:
    """The latest review of each span of the scope (``sql/spans_reviews.sql``; offsets as ``start``/``end``)."""
    return _offsets(query_df(engine, "spans_reviews", **scope_params(scope)))


def reviewed_spans_from_db(engine, scope) -> pd.DataFrame:
    """The scope's spans as reviewed (:func:`analytics.kinds.region_reviews.apply_reviews`)."""
    from analytics.kinds.region_reviews import apply_reviews

    return apply_reviews(spans_from_db(engine, scope), span_reviews_from_db(engine, scope), ("start", "end"))


def label_counts_from_db(engine, scope) -> pd.DataFrame:
    """``label, n_annotated, n_items, n_annotators, n_gold`` of the scope."""
    return query_df(engine, "spans_label_counts", **scope_params(scope))


def span_agreement_from_db(engine, scope, match: str = "exact", unit: str = "instance", token_pattern=None,
                           n_boot: int = 1000, seed: int = 0) -> dict:
    """The JSON of ``labelqa agreement FILE --kind spans`` over the scope (texts from ``span_texts`` for
    ``unit='token'``)."""
    from analytics.kinds.spans.agreement import span_agreement_json
    from analytics.kinds.spans.tokens import DEFAULT_TOKEN_PATTERN

    spans = spans_from_db(engine, scope)
    if spans.empty:
        raise NoData("no spans in this scope")
    texts = texts_from_db(engine, scope) if unit == "token" else None
    return span_agreement_json(spans, match, unit, texts, token_pattern or DEFAULT_TOKEN_PATTERN, n_boot, seed)


def span_accuracy_from_db(engine, scope) -> dict:
    """The JSON of ``labelqa accuracy FILE --gold GOLD --kind spans`` over the scope's items with a reference
    (gold, or reviewed spans where there is no gold: :func:`gold_spans_from_db`)."""
    from analytics.kinds.region_reviews import on_reference
    from analytics.kinds.spans.accuracy import span_accuracy_json

    spans, gold = spans_from_db(engine, scope), gold_spans_from_db(engine, scope)
    if spans.empty or gold.empty:
        raise NoData("no spans" if spans.empty else "no gold spans on the items of this scope")
    return span_accuracy_json(on_reference(spans, gold), gold)
