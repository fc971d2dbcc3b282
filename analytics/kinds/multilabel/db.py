"""The multilabel kind from the database: the scope's label sets and gold sets (``sql/multilabel_*.sql``, bound
parameters), finished by the same metrics as the file CLI (:mod:`.agreement`, :mod:`.accuracy`).

``scope``: an :class:`analytics.filters.Filters` (project, dates, team, split, batch) or a project id.
"""
from __future__ import annotations

import pandas as pd

from analytics.db import query_df
from analytics.io.ingest.kind_support import scope_params
from analytics.metrics.results import NoData

__all__ = ["sets_from_db", "gold_sets_from_db", "label_counts_from_db", "multilabel_agreement_from_db",
           "multilabel_accuracy_from_db"]


def sets_from_db(engine, scope) -> pd.DataFrame:
    """``item_id, annotator_id, label`` (one row per chosen label; an empty set: one row with no label)."""
    return query_df(engine, "multilabel_sets", **scope_params(scope))


def gold_sets_from_db(engine, scope) -> pd.DataFrame:
    return query_df(engine, "multilabel_gold", **scope_params(scope))


def label_counts_from_db(engine, scope) -> pd.DataFrame:
    """``label, n_annotated, n_items, n_annotators, n_gold`` of the scope."""
    return query_df(engine, "multilabel_label_counts", **scope_params(scope))


def multilabel_agreement_from_db(engine, scope, n_boot: int = 1000, seed: int = 0) -> dict:
    from analytics.kinds.multilabel.agreement import multilabel_agreement_json

    sets = sets_from_db(engine, scope)
    if sets.empty:
        raise NoData("no label sets in this scope")
    return multilabel_agreement_json(sets, n_boot, seed)


def multilabel_accuracy_from_db(engine, scope) -> dict:
    from analytics.kinds.multilabel.accuracy import multilabel_accuracy_json

    sets, gold = sets_from_db(engine, scope), gold_sets_from_db(engine, scope)
    if sets.empty or gold.empty:
        raise NoData("no label sets" if sets.empty else "no gold sets on the items of this scope")
    return multilabel_accuracy_json(sets, gold)
