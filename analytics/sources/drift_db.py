"""Weekly quality series and label-distribution shift from the database, finished by the frame path's code in
:mod:`analytics.metrics.drift` (week definitions and the statistics are documented there).

SQL (``sql/drift_*.sql``) returns per-(week, annotator) gold counts or peer-agreement sums and per-(week, label)
counts with the item-level sums the cluster correction needs: at most a few thousand rows at any scale. Cost at
10M annotations (DuckDB, 2 cores), relative to a bare ``COUNT(*)`` over the shared filtered CTE: the gold query
about 1.5x, the label counts about 3-4x and the peer agreement about 4-6x (both need per-item counts).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.filters import Filters
from analytics.metrics.drift import PSI_MODERATE, WEEKLY_BY, _reasons, label_shift, weekly_series
from analytics.metrics.results import NoData

__all__ = [
    "weekly_accuracy_from_db",
    "weekly_agreement_from_db",
    "label_shift_from_db",
]


def weekly_accuracy_from_db(engine, filters: Filters, by: str | None = None, fill_weeks: bool = True) -> pd.DataFrame:
    """Weekly accuracy against gold in the filtered scope, overall or per ``annotator_id`` / ``team``.

    Reads ``sql/drift_weekly_accuracy.sql`` (correct / n per week x annotator); columns as ``weekly_series``
    (``week, [by], correct, n, accuracy, ci_low, ci_high, small_sample, reason``).
    """
    from analytics.db import query_df

    if by not in WEEKLY_BY:
        raise ValueError(f"by must be one of None, 'annotator_id', 'team'; got {by!r}")
    counts = query_df(engine, "drift_weekly_accuracy", **filters.params())
    if counts.empty:
        raise NoData("no gold-scored annotations in the filtered scope")
    return weekly_series(counts, by=by, fill_weeks=fill_weeks)


def weekly_agreement_from_db(engine, filters: Filters, by: str | None = "annotator_id",
                             fill_weeks: bool = True) -> pd.DataFrame:
    """Weekly agreement of each annotation with the item's other annotations (a gold-free quality signal).

    For an annotation with label l on an item with m >= 2 annotations in scope, its agreement is
    (annotations of the item with label l - 1) / (m - 1), the share of the other annotators who agree with it
    (pairwise agreement, as in percent agreement). ``agree`` sums these shares per week (x ``by``) and ``n``
    counts the annotations; ``agreement = agree / n`` with a Wilson 95% interval computed as if ``agree`` were a
    count (approximate). Gold covers a few percent of items, so per annotator-week it holds a handful of
    annotations; this uses every multiply-labelled item and detects a drifting annotator weeks earlier (feed it
    to ``annotator_drift``). It measures agreement, not accuracy: a whole team drifting together stays
    invisible here. Reads ``sql/drift_weekly_peer_agreement.sql``. Columns ``week, [by], agree, n, agreement,
    ci_low, ci_high, small_sample, reason``.
    """
    from analytics.db import query_df

    if by not in WEEKLY_BY:
        raise ValueError(f"by must be one of None, 'annotator_id', 'team'; got {by!r}")
    counts = query_df(engine, "drift_weekly_peer_agreement", **filters.params())
    if counts.empty:
        raise NoData("no item has two or more annotations in the filtered scope")
    out = weekly_series(counts, success_col="agree", by=by, value_name="agreement", fill_weeks=fill_weeks)
    out["reason"] = _reasons(np.where(out["n"] > 0, None, "no multiply-labelled annotations this week"), out.index)
    return out


def label_shift_from_db(engine, filters: Filters, reference: str = "previous", alpha: float = 0.01,
                        psi_threshold: float = PSI_MODERATE) -> pd.DataFrame:
    """``label_shift`` on per-(week, label) counts from ``sql/drift_label_counts.sql`` (filtered scope)."""
    from analytics.db import query_df

    counts = query_df(engine, "drift_label_counts", **filters.params())
    if counts.empty:
        raise NoData("no annotations in the filtered scope")
    return label_shift(counts, reference=reference, alpha=alpha, psi_threshold=psi_threshold)
