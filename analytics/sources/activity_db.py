"""Throughput and QA reach from the database: per-annotator sufficient statistics from
``sql/ui_annotator_activity.sql`` and the item counts of ``sql/activity_qa_items.sql``, finished by the frame path's
code in :mod:`analytics.metrics.activity` (definitions and units are documented there)."""
from __future__ import annotations

import pandas as pd

from analytics.filters import Filters
from analytics.metrics.activity import annotator_activity, qa_rate
from analytics.metrics.results import Estimate

__all__ = [
    "annotator_activity_from_db",
    "qa_rate_from_db",
]


def annotator_activity_from_db(engine, filters: Filters) -> pd.DataFrame:
    """Volume and pace per annotator in the filtered scope (``sql/ui_annotator_activity.sql``, one row per
    annotator); frame as ``annotator_activity``. An empty frame (same columns) when nothing matches."""
    from analytics.db import query_df

    return annotator_activity(query_df(engine, "ui_annotator_activity", **filters.params()))


def qa_rate_from_db(engine, filters: Filters) -> Estimate:
    """Overall QA rate of the filtered scope: items (distinct items with a filtered annotation) that have a gold
    label or at least one reviewed filtered annotation, over all those items (``sql/activity_qa_items.sql``).

    The same items and checks as ``coverage.qa_coverage_from_db`` summed over classes, without the per-class
    majority vote. ``Estimate`` with ``n = n_items = items``.
    """
    from analytics.db import query_df

    row = query_df(engine, "activity_qa_items", **filters.params()).iloc[0]
    return qa_rate(int(row["items"] or 0), int(row["items_qa"] or 0))
