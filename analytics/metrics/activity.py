"""Throughput and QA reach: per-annotator volume and pace, the overall QA rate, and week-over-week changes.

Definitions (units in the names):

- ``n_annotations``: annotations by the annotator in the filtered scope; ``n_items``: distinct items among them.
- ``n_timed``: those annotations with a recorded ``duration_s`` (seconds the annotator spent on the item).
- ``active_hours``: sum of the recorded durations / 3600, i.e. hours of recorded labelling time (not wall-clock
  time between the first and last annotation, which would count breaks and other work).
- ``items_per_hour``: ``n_timed / active_hours``, annotations (one item each) per hour of recorded time.
- ``median_seconds_per_item``: median of ``duration_s`` over the timed annotations (PERCENTILE_CONT 0.5, the
  mean of the two middle values for an even count).

SQL: ``sql/ui_annotator_activity.sql`` returns one row per annotator with the sufficient statistics
(``annotations, items, seconds, n_timed, median_seconds, weeks_active, first_at, last_at``); the median is an
order statistic the database computes exactly per annotator (a duration histogram would be approximate, or not
small). Its own ``items_per_hour`` column is not used: the ratio is formed here so undefined values carry a
reason. ``sql/activity_qa_items.sql`` returns one row of item counts for ``qa_rate_from_db``.

Pace is descriptive (all of the annotator's work in scope, not a sample): it carries its n (``n_timed``), not an
interval.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from analytics.frames import require_columns
from analytics.metrics.results import Estimate, wilson_interval

__all__ = [
    "ACTIVITY_COLUMNS",
    "annotator_activity",
    "qa_rate",
    "WeekOverWeek",
    "week_over_week",
    "WOW_KINDS",
]

ACTIVITY_COLUMNS = ["annotator_id", "team", "n_annotations", "n_items", "n_timed", "active_hours", "items_per_hour",
                    "median_seconds_per_item", "weeks_active", "first_at", "last_at", "reason"]
WOW_KINDS = ("proportion", "score", "count")
_STATS = ("annotator_id", "team", "annotations", "items", "seconds", "n_timed", "median_seconds")


def _reasons(values, index=None) -> pd.Series:
    arr = np.asarray(values, dtype=object)
    return pd.Series(arr, index=index, dtype=object).where(pd.notna(arr), None)


def annotator_activity(stats: pd.DataFrame) -> pd.DataFrame:
    """Finish per-annotator sufficient statistics into the activity frame.

    ``stats``: one row per annotator with ``annotator_id, team, annotations, items, seconds, n_timed,
    median_seconds`` (+ optional ``weeks_active, first_at, last_at``), as ``sql/ui_annotator_activity.sql``
    returns. Returns ``ACTIVITY_COLUMNS`` (definitions in the module docstring), sorted by ``annotator_id``;
    ``items_per_hour`` is NaN exactly where ``reason`` says why (no recorded duration, or only zero durations);
    ``active_hours`` and ``median_seconds_per_item`` are NaN when there is no recorded duration (0 when every
    recorded duration is 0).
    """
    require_columns(stats, _STATS, "stats")
    d = stats.reset_index(drop=True)
    seconds = pd.to_numeric(d["seconds"], errors="coerce").fillna(0).to_numpy(float)
    n_timed = pd.to_numeric(d["n_timed"], errors="coerce").fillna(0).to_numpy(float)
    hours = seconds / 3600.0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_hour = np.where(hours > 0, n_timed / hours, np.nan)
    reason = np.full(len(d), None, dtype=object)
    reason[(n_timed > 0) & (hours <= 0)] = "recorded durations are all zero: pace undefined"
    reason[n_timed == 0] = "no recorded durations (duration_s) for this annotator"
    out = pd.DataFrame({
        "annotator_id": d["annotator_id"],
        "team": d["team"],
        "n_annotations": pd.to_numeric(d["annotations"]).astype(np.int64),
        "n_items": pd.to_numeric(d["items"]).astype(np.int64),
        "n_timed": n_timed.astype(np.int64),
        "active_hours": np.where(n_timed > 0, hours, np.nan),
        "items_per_hour": per_hour,
        "median_seconds_per_item": np.where(n_timed > 0, pd.to_numeric(d["median_seconds"], errors="coerce")
                                            .to_numpy(float), np.nan),
    })
    for c in ("weeks_active", "first_at", "last_at"):
        out[c] = d[c] if c in d.columns else np.nan
    out["reason"] = _reasons(reason, out.index)
    return out[ACTIVITY_COLUMNS].sort_values("annotator_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------------
# Overall QA rate
# --------------------------------------------------------------------------------------------------------------
def qa_rate(items: int, items_qa: int, confidence: float = 0.95) -> Estimate:
    """Share of items checked by QA: ``items_qa / items`` with a Wilson interval (Wilson 1927), ``n = items``.

    ``items_qa`` counts items with a gold label or at least one reviewed annotation (each item once). Undefined
    (NaN value and a reason) when there are no items.
    """
    items, items_qa = int(items), int(items_qa)
    if items < 0 or items_qa < 0 or items_qa > items:
        raise ValueError(f"need 0 <= items_qa <= items; got items_qa={items_qa}, items={items}")
    method = f"items with gold or a review / items, Wilson {confidence:.0%} interval"
    if items == 0:
        return Estimate.undefined("no annotated items in the filtered scope", n=0, n_items=0, method=method)
    low, high = wilson_interval(items_qa, items, confidence)
    return Estimate(items_qa / items, low, high, n=items, n_items=items, method=method)


# --------------------------------------------------------------------------------------------------------------
# Week-over-week change
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class WeekOverWeek:
    """The change of a number from last week to this week.

    ``value``: this week minus last week, in ``unit``: ``"pp"`` (percentage points, for a proportion given as a
    fraction), ``""`` (the score's own units, e.g. alpha) or ``"count"`` (an integer). ``value`` is None exactly
    when ``reason`` says why (a week's number is missing).
    """

    value: float | int | None
    unit: str
    reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.value is not None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def week_over_week(now, before, kind: str) -> WeekOverWeek:
    """``now - before`` for a KPI tile.

    ``kind``: ``'proportion'`` (fractions in [0, 1]; the change is returned in percentage points, x 100),
    ``'score'`` (plain difference, e.g. Krippendorff's alpha) or ``'count'`` (integer difference). A missing
    (None / NaN) number in either week gives ``value=None`` and a reason.
    """
    if kind not in WOW_KINDS:
        raise ValueError(f"kind must be one of {WOW_KINDS}; got {kind!r}")
    unit = {"proportion": "pp", "score": "", "count": "count"}[kind]
    if _missing(now):
        return WeekOverWeek(None, unit, "no value this week")
    if _missing(before):
        return WeekOverWeek(None, unit, "no value last week")
    if kind == "count":
        return WeekOverWeek(int(now) - int(before), unit)
    d = float(now) - float(before)
    return WeekOverWeek(d * 100.0 if kind == "proportion" else d, unit)
