"""Leakage between splits: the same content or the same source group in more than one split.

Input frame (one row per item): ``item_id, split, label`` plus any of ``content_hash`` (exact
fingerprint), ``near_dup_key`` (a perceptual / MinHash key computed by the user's pipeline) and
``group_id`` (same patient, video, document). A key leaks when its non-null value occurs in two or
more distinct splits; every item carrying a leaking key is a leaked item.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

__all__ = ["KEYS", "Leakage", "find_leakage", "leakage_from_rows"]

KEYS = ("content_hash", "near_dup_key", "group_id")
_REQUIRED = ("item_id", "split", "label")


@dataclasses.dataclass(frozen=True)
class Leakage:
    """``items``: leaked items ``key, value, item_id, split, label, n_splits``; ``per_class``: index
    ``key, label``, columns ``n_items, n_leaked, share``; ``n_leaked``: {key: leaked item count}."""

    items: pd.DataFrame
    per_class: pd.DataFrame
    n_leaked: dict

    def examples(self, key: str, n: int = 5) -> pd.DataFrame:
        """First ``n`` leaking values of ``key`` with their items (sorted for stable output)."""
        it = self.items[self.items.key == key].sort_values(["value", "split", "item_id"])
        return it[it.value.isin(it.value.drop_duplicates().head(n))]


def find_leakage(items: pd.DataFrame) -> Leakage:
    """Items whose fingerprint or group appears in more than one split (vectorised groupby per key)."""
    missing = [c for c in _REQUIRED if c not in items.columns]
    if missing:
        raise ValueError(f"leakage frame needs columns {_REQUIRED}; missing {missing}")
    keys = [k for k in KEYS if k in items.columns]
    if not keys:
        raise ValueError(f"leakage frame needs at least one of {KEYS}")
    if items["item_id"].duplicated().any():
        raise ValueError("leakage frame has more than one row per item_id")
    long = items.melt(id_vars=list(_REQUIRED), value_vars=keys, var_name="key", value_name="value").dropna(subset=["value"])
    long["n_splits"] = long.groupby(["key", "value"])["split"].transform("nunique")
    leaked = long[long.n_splits > 1].reset_index(drop=True)
    return leakage_from_rows(leaked, items[["label"]].assign(_one=1).groupby("label")["_one"].sum(), keys)


def leakage_from_rows(leaked: pd.DataFrame, class_counts: pd.Series, keys) -> Leakage:
    """The finishing step shared with the database path (``analytics.sources.leakage_db``): ``leaked`` rows
    ``key, value, item_id, split, label, n_splits`` (only leaking keys), ``class_counts`` items per label."""
    keys = list(keys)
    base = class_counts
    cnt = leaked.groupby(["key", "label"]).size()
    idx = pd.MultiIndex.from_product([keys, base.index], names=["key", "label"])
    per_class = pd.DataFrame({"n_items": base.reindex(idx.get_level_values("label")).to_numpy(),
                              "n_leaked": cnt.reindex(idx, fill_value=0).to_numpy()}, index=idx)
    per_class["share"] = per_class.n_leaked / per_class.n_items
    n_leaked = {k: int((leaked.key == k).sum()) for k in keys}
    return Leakage(leaked[["key", "value", "item_id", "split", "label", "n_splits"]], per_class, n_leaked)
