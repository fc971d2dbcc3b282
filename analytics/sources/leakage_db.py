"""Leakage between splits from the database (issue 14 sec. 3): fingerprints are item attributes.

An item's fingerprints are rows of ``item_attributes`` with key ``content_hash`` (exact), ``near_dup_key``
(a perceptual / MinHash key from the user's pipeline) or ``group_id`` (same patient, video, document). SQL
returns only the items of leaking keys (``sql/label_errors_leakage_items.sql``) and the items per class
(``sql/label_errors_leakage_classes.sql``); :func:`analytics.metrics.leakage.leakage_from_rows` finishes, the
same code as the frame path :func:`analytics.metrics.leakage.find_leakage`. The split filter is ignored (the
check compares splits); the other filters choose the annotations that give each item its label.
"""
from __future__ import annotations

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.leakage import KEYS, Leakage, leakage_from_rows
from analytics.metrics.results import NoData

__all__ = ["leakage_from_db", "fingerprinted_items"]


def leakage_from_db(engine, filters: Filters, keys=KEYS) -> Leakage:
    """:class:`~analytics.metrics.leakage.Leakage` of the project; ``NoData`` when no item has a fingerprint."""
    params = {**filters.replace(split=None).params(), "keys": list(keys)}
    classes = query_df(engine, "label_errors_leakage_classes", **params)
    if classes.empty:
        raise NoData(f"no labelled item of project {filters.project_id} has a fingerprint attribute "
                     f"({', '.join(keys)})")
    leaked = query_df(engine, "label_errors_leakage_items", **params)
    have = set(query_df(engine, "label_errors_leakage_keys", project_id=filters.project_id, keys=list(keys))["key"])
    present = [k for k in keys if k in have]
    return leakage_from_rows(leaked, classes.set_index("label")["n_items"], present)


def fingerprinted_items(engine, filters: Filters, keys=KEYS) -> dict[str, int]:
    """Items of the filtered scope (any filtered annotation) carrying each fingerprint key (the split filter is
    ignored, as in :func:`leakage_from_db`)."""
    df = query_df(engine, "leakage_scope_keys", **filters.replace(split=None).params(), keys=list(keys))
    return {str(k): int(n) for k, n in zip(df["key"], df["n_items"])}
