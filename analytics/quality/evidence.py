"""Evidence behind an annotator's automation-bias check, for the annotators page's drill-down.

``prelabel_evidence(engine, filters, annotator_id) -> DataFrame``: how often the annotator accepted the model's
pre-label when it was right (equal to gold) and when it was wrong, against their peers (every other annotator
in the same filters), each a Wilson interval (``sql/quality_prelabel_evidence.sql``, sufficient statistics per
annotator). The gate's ``automation_bias`` rule tests the wrong-suggestion row.
"""
from __future__ import annotations

import pandas as pd

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import NoData, wilson_interval

__all__ = ["prelabel_evidence", "evidence_from_counts"]

_COLS = ["suggestion", "who", "accepted", "shown", "rate", "ci_low", "ci_high"]


def evidence_from_counts(counts: pd.DataFrame, annotator_id: str, confidence: float = 0.95) -> pd.DataFrame:
    """The evidence frame from per-annotator counts ``annotator_id, n_right, n_right_accepted, n_wrong,
    n_wrong_accepted``: rows (``suggestion`` right | wrong) x (``who`` the annotator | peers), columns
    ``accepted, shown, rate, ci_low, ci_high``. Raises ``NoData`` when the annotator saw no pre-label on a
    gold item."""
    counts = counts.assign(annotator_id=counts["annotator_id"].astype(str))
    mine = counts[counts["annotator_id"] == str(annotator_id)]
    peers = counts[counts["annotator_id"] != str(annotator_id)]
    if mine.empty or int(mine[["n_right", "n_wrong"]].to_numpy().sum()) == 0:
        raise NoData(f"{annotator_id} saw no model pre-label on a gold item in this period")
    rows = []
    for kind, n_col, a_col in (("right", "n_right", "n_right_accepted"), ("wrong", "n_wrong", "n_wrong_accepted")):
        for who, part in ((str(annotator_id), mine), ("peers", peers)):
            shown, acc = int(part[n_col].sum()), int(part[a_col].sum())
            lo, hi = wilson_interval(acc, shown, confidence=confidence) if shown else (float("nan"), float("nan"))
            rows.append((kind, who, acc, shown, acc / shown if shown else float("nan"), float(lo), float(hi)))
    return pd.DataFrame(rows, columns=_COLS)


def prelabel_evidence(engine, filters: Filters, annotator_id: str, confidence: float = 0.95) -> pd.DataFrame:
    """``evidence_from_counts`` on the database's counts for ``filters`` (see the module docstring)."""
    counts = query_df(engine, "quality_prelabel_evidence", **filters.params())
    if counts.empty:
        raise NoData("no model pre-label was shown on a gold item in this period")
    return evidence_from_counts(counts, annotator_id, confidence)
