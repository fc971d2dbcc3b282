"""Dawid-Skene annotator skill on the filtered annotations in the database (``sql/consensus_*.sql``), fitted by
:class:`analytics.metrics.consensus.DawidSkene` and set next to each annotator's gold accuracy."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.filters import Filters
from analytics.metrics.consensus import DawidSkene
from analytics.metrics.correlation import spearman
from analytics.metrics.results import NoData, wilson_interval

__all__ = [
    "annotator_skill_from_db",
]


def annotator_skill_from_db(engine, filters: Filters, max_iter: int = 100, tol: float = 1e-6,
                            min_gold: int = 10) -> pd.DataFrame:
    """Dawid-Skene annotator skill for the filtered scope, next to gold accuracy where gold exists.

    Reads ``sql/consensus_multi_annotations.sql``: one row per distinct (item, annotator, label) with its count,
    for items with at least two annotations in scope (single-annotation items carry no information about
    skill). Unlike the other ``*_from_db`` functions this is not a small aggregate: it is about one row per
    annotation of multiply-labelled items (10M annotations -> ~10M rows, ~1 GB in pandas), fine at demo and
    project-slice scale; narrow the filters (dates, batch) for large projects. Gold accuracy per annotator comes
    from ``sql/consensus_annotator_gold.sql`` (all the annotator's annotations on gold items in scope, also those on
    items with a single annotation).

    Returns a frame ``annotator_id, team, n_annotations, estimated_accuracy, expected_agreement, gold_accuracy,
    gold_ci_low, gold_ci_high, n_gold`` sorted by ``estimated_accuracy``; ``attrs`` holds ``n_items``,
    ``n_iter``, ``converged`` and ``spearman`` (a ``Correlation`` of estimated vs gold accuracy over annotators
    with ``n_gold >= min_gold``).
    """
    from analytics.db import query_df  # late import keeps the pure functions importable without SQLAlchemy

    rows = query_df(engine, "consensus_multi_annotations", **filters.params())
    if rows.empty:
        raise NoData("no item has two or more annotations in the filtered scope: Dawid-Skene needs overlap")
    ds = DawidSkene(max_iter=max_iter, tol=tol).fit(rows, weight_col="n")
    gold = query_df(engine, "consensus_annotator_gold", **filters.params())
    skill = ds.annotator_skill_.merge(gold, on="annotator_id", how="left")
    n = skill["n"].fillna(0).to_numpy()
    correct = skill["correct"].fillna(0).to_numpy()
    low, high = wilson_interval(correct, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        skill["gold_accuracy"] = np.where(n > 0, correct / n, np.nan)
    skill["gold_ci_low"], skill["gold_ci_high"] = low, high
    skill["n_gold"] = n.astype(np.int64)
    out = skill[["annotator_id", "team", "n_annotations", "estimated_accuracy", "expected_agreement",
                 "gold_accuracy", "gold_ci_low", "gold_ci_high", "n_gold"]]
    out = out.sort_values("estimated_accuracy", kind="stable").reset_index(drop=True)
    use = out["n_gold"] >= min_gold
    out.attrs.update(n_items=len(ds.posteriors_), n_iter=ds.n_iter_, converged=ds.converged_,
                     spearman=spearman(out.loc[use, "estimated_accuracy"], out.loc[use, "gold_accuracy"]))
    return out
