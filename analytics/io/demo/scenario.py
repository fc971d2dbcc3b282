"""Fixed shape of the demo scenario: projects, weeks, sizes and shares (the constants other modules read)."""
from __future__ import annotations

from datetime import date, timedelta


DEFAULT_ANNOTATIONS = 200_000


MAIN_PROJECT = "streetscene"


PROJECTS = ("streetscene", "retail", "docs")


WEEK1 = date(2026, 5, 25)  # a Monday: week 1


N_WEEKS = 26


N_BATCHES = 13  # two weeks each


V2_WEEK = 10  # schema_version 2 from this week on (2026-07-27)


DRIFT_WEEK = 14  # ann_07 drifts from this week on (2026-08-24)


CRITICAL_CLASS = "emergency_vehicle"


ANNOTATORS_PER_ITEM = {1: 0.35, 2: 0.25, 3: 0.25, 4: 0.10, 5: 0.05}


ITEMS_PER_CHUNK = 200_000


GOLD_SHARE = 0.075  # expected share of items with a gold label (per project)


REVIEW_SHARE = 0.06  # expected share of annotations reviewed


SPLIT_P = (0.70, 0.15, 0.15)  # train / val / test


_SPLITS = ("train", "val", "test")


_CHUNK_TABLES = ("items", "item_attributes", "gold_labels", "annotations", "reviews")  # write order


_DAY = 86_400


def week_start(k: int) -> date:
    """Monday of scenario week ``k`` (1-based): ``WEEK1 + 7 (k - 1)`` days."""
    return WEEK1 + timedelta(days=7 * (int(k) - 1))
