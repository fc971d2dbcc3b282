"""Box agreement: per annotator pair and item, one-to-one matching of same-label boxes maximising total IoU
among pairs with ``IoU >= iou`` (Hungarian assignment, :func:`analytics.metrics.matching.one_to_one`); F1
``2 TP / (n_a + n_b)`` pooled per pair over the items both annotated; mean and population SD over pairs,
overall and per label; mean IoU of the matched boxes (pooled) with its distribution. Intervals: seeded
bootstrap over md5 item buckets."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.boxes.frames import check_boxes
from analytics.metrics.matching import box_iou, group_codes, one_to_one, pair_stats, pairwise_f1, within_group_pairs
from analytics.metrics.results import NoData

__all__ = ["box_matches", "box_pair_stats", "box_agreement", "box_agreement_json"]


def _geom(df: pd.DataFrame, idx: np.ndarray):
    return tuple(df[c].to_numpy(float)[idx] for c in ("x", "y", "width", "height"))


def box_matches(boxes: pd.DataFrame, iou: float = 0.5, same_label: bool = True) -> pd.DataFrame:
    """Matched box pairs between annotators: ``item_id, annotator_a, annotator_b, label_a, label_b, iou,
    row_a, row_b`` (rows index ``boxes`` after dropping empty rows). ``same_label=False`` matches on geometry
    alone (for label confusions)."""
    b = boxes.reset_index(drop=True)
    keys = ["item_id", "label"] if same_label else ["item_id"]
    i, j = within_group_pairs(group_codes(*(b[k].to_numpy() for k in keys)))
    a = b["annotator_id"].to_numpy()
    keep = a[i] != a[j]
    i, j = i[keep], j[keep]
    swap = a[i] > a[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    v = box_iou(*_geom(b, i), *_geom(b, j))
    cand = v >= iou
    cand &= v > 0
    i, j, v = i[cand], j[cand], v[cand]
    grp = group_codes(*([b["item_id"].to_numpy()[i], a[i], a[j]] + ([b["label"].to_numpy()[i]] if same_label else [])))
    ok = one_to_one(i, j, v, grp)
    i, j, v = i[ok], j[ok], v[ok]
    lab = b["label"].to_numpy()
    return pd.DataFrame({"item_id": b["item_id"].to_numpy()[i], "annotator_a": a[i], "annotator_b": a[j],
                         "label_a": lab[i], "label_b": lab[j], "iou": v, "row_a": i, "row_b": j})


def _prepare(boxes: pd.DataFrame):
    b = check_boxes(boxes)
    b = b.assign(item_id=b["item_id"].astype(str), annotator_id=b["annotator_id"].astype(str))
    annotated = b[["item_id", "annotator_id"]]
    b = b[b["label"].notna()].assign(label=lambda d: d["label"].astype(str)).reset_index(drop=True)
    return annotated, b


def box_pair_stats(boxes: pd.DataFrame, iou: float = 0.5) -> pd.DataFrame:
    """Per (annotator pair, item, label): ``n_a, n_b, tp, iou_sum`` (sum of IoU over matched boxes)."""
    annotated, b = _prepare(boxes)
    m = box_matches(b, iou)
    counts = b.groupby(["item_id", "annotator_id", "label"], observed=True).size().rename("n").reset_index()
    mm = pd.DataFrame({"item_id": m["item_id"], "annotator_a": m["annotator_a"], "annotator_b": m["annotator_b"],
                       "label": m["label_a"], "tp": 1, "iou_sum": m["iou"]})
    return pair_stats(annotated, counts, mm, extra=("iou_sum",))


def box_agreement(boxes: pd.DataFrame, iou: float = 0.5, n_boot: int = 1000, seed: int = 0,
                  confidence: float = 0.95) -> dict:
    """``{"overall", "per_label", "per_item", "pairs", "iou_distribution"}``; F1 and IoU are in [0, 1]."""
    if not 0 < iou <= 1:
        raise ValueError(f"iou threshold must be in (0, 1], got {iou!r}")
    annotated, b = _prepare(boxes)
    m = box_matches(b, iou)
    counts = b.groupby(["item_id", "annotator_id", "label"], observed=True).size().rename("n").reset_index()
    mm = pd.DataFrame({"item_id": m["item_id"], "annotator_a": m["annotator_a"], "annotator_b": m["annotator_b"],
                       "label": m["label_a"], "tp": 1, "iou_sum": m["iou"]})
    st = pair_stats(annotated, counts, mm, extra=("iou_sum",))
    if st.empty:
        raise NoData("no pair of annotators annotated a common item: box agreement is undefined")
    r = pairwise_f1(st, n_boot=n_boot, seed=seed, confidence=confidence, extra_ratio=("iou_sum", "tp"))
    q = np.quantile(m["iou"], [0.1, 0.25, 0.5, 0.75, 0.9]) if len(m) else [np.nan] * 5
    hist, edges = np.histogram(m["iou"], bins=10, range=(0, 1))
    r["iou_distribution"] = {"n": int(len(m)), **{k: (None if not np.isfinite(v) else float(v)) for k, v in
                                                  zip(("p10", "p25", "median", "p75", "p90"), q)},
                             "bins": edges.tolist(), "counts": hist.tolist()}
    return r


def box_agreement_json(boxes: pd.DataFrame, iou: float = 0.5, n_boot: int = 1000, seed: int = 0,
                       confidence: float = 0.95) -> dict:
    """The JSON of ``labelqa agreement FILE --kind boxes --json``."""
    r = box_agreement(boxes, iou, n_boot, seed, confidence)
    return {"kind": "boxes", "iou_threshold": iou, "overall": r["overall"], "per_label": r["per_label"],
            "iou_distribution": r["iou_distribution"],
            "method": f"pairwise F1 of IoU>={iou} one-to-one matches (Hungarian); {confidence:.0%} CI: percentile "
                      f"bootstrap over md5 item buckets ({n_boot} replicates, seed {seed})"}
