"""Class coverage: class balance, class x attribute cross-tabs and QA coverage per class.

An item's class is the **majority label** of its (filtered) annotations, ties broken to the lowest label
(sorted order; in SQL the database's collation, byte order under the C locale). Counts "by items" use that
class; counts "by annotations" count every annotation under its own label.

Frame functions take the long annotation frame ``item_id, annotator_id, label`` (+ columns they name); the
``*_from_db`` functions (:mod:`analytics.sources.coverage_db`) read small per-class counts from
``sql/coverage_*.sql`` and finish them with the code here (``_finish_distribution``, ``_finish_crosstab``,
``qa_coverage``), so both paths agree.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analytics.frames import check_annotations, require_columns
from analytics.metrics.results import wilson_interval

__all__ = [
    "MISSING_VALUE",
    "item_majority",
    "class_distribution",
    "CoverageSummary",
    "coverage_summary",
    "class_attribute_crosstab",
    "qa_coverage",
]

MISSING_VALUE = "(missing)"  # attribute value shown for items that lack the attribute


def item_majority(df: pd.DataFrame) -> pd.DataFrame:
    """Majority label per item (ties -> lowest label in sorted order): frame ``item_id, label, votes``.

    Vectorised: count (item, label) pairs, sort by item, count descending, label ascending, keep the first.
    """
    ann = check_annotations(df)
    votes = ann.groupby(["item_id", "label"], sort=False).size().rename("votes").reset_index()
    votes = votes.sort_values(["item_id", "votes", "label"], ascending=[True, False, True], kind="mergesort")
    return votes.drop_duplicates("item_id", keep="first").reset_index(drop=True)


def _finish_distribution(counts: pd.DataFrame) -> pd.DataFrame:
    out = counts.copy()
    for c in ("items", "annotations"):
        out[c] = pd.to_numeric(out[c]).astype("int64")
    ti, ta = out["items"].sum(), out["annotations"].sum()
    out["item_share"] = out["items"] / ti if ti > 0 else np.nan
    out["annotation_share"] = out["annotations"] / ta if ta > 0 else np.nan
    out = out.sort_values("label", kind="mergesort").reset_index(drop=True)
    return out[["label", "items", "annotations", "item_share", "annotation_share"]]


def class_distribution(df: pd.DataFrame, classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Class counts and shares of a long annotation frame.

    Returns ``label, items`` (items whose majority label is the class), ``annotations`` (annotations with
    that label), ``item_share, annotation_share``. ``classes``: declared classes to include with zero counts.
    """
    ann = check_annotations(df)
    maj = item_majority(ann)
    items = maj.groupby("label").size()
    annotations = ann.groupby("label").size()
    labels = sorted(set(annotations.index.astype(str)) | set(map(str, classes if classes is not None else ())))
    counts = pd.DataFrame({"label": labels,
                           "items": items.reindex(labels, fill_value=0).to_numpy(),
                           "annotations": annotations.reindex(labels, fill_value=0).to_numpy()})
    return _finish_distribution(counts)


@dataclasses.dataclass(frozen=True)
class CoverageSummary:
    """Balance of a class distribution.

    ``imbalance_ratio`` = largest / smallest count among classes with at least one unit (empty classes are
    listed in ``empty_classes`` instead: the ratio would be infinite). ``normalized_entropy`` = H / log K with
    H = -sum p_k log p_k over the K classes of the distribution (1 = perfectly balanced, 0 = one class only);
    undefined (NaN with ``reason``) when K < 2 or there is no data. ``rare_classes``: classes with fewer than
    ``min_count`` units (empty ones included), rarest first.
    """

    by: str
    total: int
    n_classes: int
    imbalance_ratio: float
    entropy: float
    normalized_entropy: float
    largest_class: str | None
    smallest_class: str | None
    rare_classes: tuple[str, ...]
    empty_classes: tuple[str, ...]
    min_count: int
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["rare_classes"], d["empty_classes"] = list(self.rare_classes), list(self.empty_classes)
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def coverage_summary(dist: pd.DataFrame, by: str = "items", min_count: int = 30) -> CoverageSummary:
    """Imbalance ratio, normalised Shannon entropy and rare classes of a class distribution.

    ``dist``: ``label`` and the count column ``by`` (``'items'`` or ``'annotations'``), e.g. from
    :func:`class_distribution_from_db`.
    """
    require_columns(dist, ("label", by), "class distribution")
    labels = dist["label"].astype(str).to_numpy()
    counts = pd.to_numeric(dist[by]).to_numpy(dtype=float)
    total = int(counts.sum())
    k = len(counts)
    present = counts > 0
    order = np.lexsort((labels, counts))  # rarest first, then by label
    rare = tuple(labels[i] for i in order if counts[i] < min_count)
    empty = tuple(sorted(labels[~present]))
    reason = None
    if total == 0:
        reason = "no data"
        ratio = h = hn = math.nan
        largest = smallest = None
    else:
        pc = counts[present]
        ratio = float(pc.max() / pc.min())
        p = pc / pc.sum()
        h = float(-(p * np.log(p)).sum())
        if k < 2:
            hn, reason = math.nan, "fewer than 2 classes: normalised entropy undefined"
        else:
            hn = h / math.log(k)
        lp = labels[present]
        largest = str(lp[np.lexsort((lp, -pc))[0]])
        smallest = str(lp[np.lexsort((lp, pc))[0]])
    return CoverageSummary(by=by, total=total, n_classes=k, imbalance_ratio=ratio, entropy=h,
                           normalized_entropy=hn, largest_class=largest, smallest_class=smallest,
                           rare_classes=rare, empty_classes=empty, min_count=min_count, reason=reason)


def _finish_crosstab(long: pd.DataFrame, thin: int) -> pd.DataFrame:
    """Complete the class x value grid (absent cells = 0 items) and flag empty and thin cells."""
    cells = long.copy()
    cells["attr_value"] = cells["attr_value"].astype(object).where(cells["attr_value"].notna(), MISSING_VALUE)
    cells["attr_value"] = cells["attr_value"].astype(str)
    cells["label"] = cells["label"].astype(str)
    cells = cells.groupby(["label", "attr_value"], as_index=False)["items"].sum()
    labels = sorted(cells["label"].unique())
    values = sorted(cells["attr_value"].unique())
    grid = pd.MultiIndex.from_product([labels, values], names=["label", "attr_value"])
    out = cells.set_index(["label", "attr_value"]).reindex(grid, fill_value=0).reset_index()
    out["items"] = out["items"].astype("int64")
    class_items = out.groupby("label")["items"].transform("sum")
    value_items = out.groupby("attr_value")["items"].transform("sum")
    out["class_items"] = class_items.astype("int64")
    out["share_of_class"] = np.where(class_items > 0, out["items"] / class_items.where(class_items > 0, 1), np.nan)
    out["share_of_value"] = np.where(value_items > 0, out["items"] / value_items.where(value_items > 0, 1), np.nan)
    out["empty"] = out["items"] == 0
    out["thin"] = (out["items"] > 0) & (out["items"] < thin)
    return out[["label", "attr_value", "items", "class_items", "share_of_class", "share_of_value", "empty", "thin"]]


def class_attribute_crosstab(df: pd.DataFrame, key: str, thin: int = 30) -> pd.DataFrame:
    """Items per (class, value of item attribute ``key``) of a long annotation frame.

    ``df`` has ``item_id, annotator_id, label`` and a column ``key`` (the item's attribute value, constant
    per item; missing = the item lacks it). Returns the complete grid, long: ``label, attr_value`` (missing
    shown as ``'(missing)'``), ``items``, ``class_items``, ``share_of_class`` (of the class's items),
    ``share_of_value``, ``empty`` (0 items), ``thin`` (1 .. thin-1 items).
    """
    ann = check_annotations(df, extra=(key,))
    maj = item_majority(ann)
    attr = ann.drop_duplicates("item_id").set_index("item_id")[key]
    long = pd.DataFrame({"label": maj["label"].to_numpy(), "attr_value": maj["item_id"].map(attr).to_numpy()})
    long = long.groupby(["label", "attr_value"], dropna=False).size().rename("items").reset_index()
    return _finish_crosstab(long, thin)


def qa_coverage(counts: pd.DataFrame, critical_rate: float = 0.10, standard_rate: float = 0.05,
                critical_min_count: int = 0, standard_min_count: int = 0, confidence: float = 0.95) -> pd.DataFrame:
    """QA coverage per class from counts ``label, tier, items, items_with_gold, items_reviewed, items_qa``.

    ``qa_rate = items_qa / items`` (items checked by gold or review) with its Wilson interval;
    ``required_rate`` by tier (``critical_rate`` for 'critical', ``standard_rate`` otherwise), raised for small
    classes to ``min(min_count, items) / items`` when the tier's ``min_count`` is set (so a rare critical class
    needs ``min_count`` checked items, or all of them); ``meets = qa_rate >= required_rate``.
    Returns the counts + ``qa_rate, ci_low, ci_high, required_rate, meets, reason``.
    """
    require_columns(counts, ("label", "tier", "items", "items_with_gold", "items_reviewed", "items_qa"), "QA counts")
    out = counts.copy()
    for c in ("items", "items_with_gold", "items_reviewed", "items_qa"):
        out[c] = pd.to_numeric(out[c]).astype("int64")
    items = out["items"].to_numpy(dtype=float)
    qa = out["items_qa"].to_numpy(dtype=float)
    critical = out["tier"].astype(str).to_numpy() == "critical"
    rate = np.where(critical, critical_rate, standard_rate)
    min_count = np.where(critical, critical_min_count, standard_min_count).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(items > 0, items, 1)
        out["qa_rate"] = np.where(items > 0, qa / safe, np.nan)
        floor = np.where((min_count > 0) & (items > 0), np.minimum(min_count, items) / safe, 0.0)
    low, high = wilson_interval(qa, items, confidence)
    out["ci_low"], out["ci_high"] = low, high
    out["required_rate"] = np.maximum(rate, floor)
    # compare counts, not rounded rates: qa / items >= r  <=>  qa >= r * items (tolerance for float r)
    out["meets"] = (items > 0) & (qa >= out["required_rate"].to_numpy() * items - 1e-9)
    out["reason"] = np.where(items > 0, None, "no items in this class")
    return out.sort_values("label", kind="mergesort").reset_index(drop=True)
