"""Boxes per week or team: pairwise IoU-matched F1 between annotators within each group of images
(:func:`analytics.kinds.boxes.agreement.box_agreement`), overall and per label, with its bootstrap interval; the
worst images of an annotator against gold and the boxes to draw for one of them."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analytics.kinds.boxes.accuracy import detection_accuracy, gold_matches
from analytics.kinds.boxes.agreement import box_agreement
from analytics.metrics.agreement import BUCKET_IDS, item_bucket
from analytics.metrics.matching import N_BUCKETS, bucket_weights
from analytics.metrics.results import NoData

__all__ = ["agreement_by", "f1_vs_gold", "worst_items", "item_boxes"]


def agreement_by(boxes: pd.DataFrame, by: str = "week", iou: float = 0.5, n_boot: int = 500,
                 seed: int = 0) -> pd.DataFrame:
    """Rows ``<by>, label ('' = overall), mean, sd, ci_low, ci_high, n_pairs, n_items, mean_iou, mean_iou_ci_low,
    mean_iou_ci_high, n_matched`` (mean IoU of the matched boxes, bootstrap interval); a group whose images no two
    annotators share is left out."""
    rows = []
    for key, part in boxes.groupby(by, observed=True, sort=True):
        try:
            r = box_agreement(part, iou, n_boot=n_boot, seed=seed)
        except NoData:
            continue
        rows.append({by: key, "label": "", **r["overall"]})
        rows += [{by: key, "label": lab, **v} for lab, v in r["per_label"].items()]
    cols = [by, "label", "mean", "sd", "ci_low", "ci_high", "n_pairs", "n_items", "mean_iou", "mean_iou_ci_low",
            "mean_iou_ci_high", "n_matched"]
    return pd.DataFrame(rows).reindex(columns=cols)


def f1_vs_gold(boxes: pd.DataFrame, gold: pd.DataFrame, by=("week",), iou: float = 0.5, n_boot: int = 1000,
               seed: int = 0, confidence: float = 0.95) -> pd.DataFrame:
    """Detection F1 against gold per group (``by``: box-frame columns such as ``week``, ``annotator_id``, ``team``):
    ``f1 = (TP annotated + TP gold) / (n_annotated + n_gold)`` pooled over the group's images with gold (counts of
    :func:`~analytics.kinds.boxes.accuracy.detection_accuracy`), ``precision``, ``recall``, ``n_annotated``,
    ``n_gold``, ``n_items`` and a percentile bootstrap interval of F1 over the 64 md5 item buckets (as
    :func:`analytics.kinds.spans.quality.f1_vs_gold`)."""
    by = list(by)
    b = boxes[boxes["item_id"].astype(str).isin(set(gold["item_id"].astype(str)))]
    if b.empty or gold["label"].notna().sum() == 0:
        raise NoData("no annotated image has gold boxes")
    ids = pd.Series(b["item_id"].astype(str).unique())
    items = pd.DataFrame({"item_id": ids, "_bucket": np.searchsorted(BUCKET_IDS, item_bucket(ids).to_numpy())})
    d = detection_accuracy(b, gold, iou, by=(*by, "_bucket"), items=items)
    d["tp_a"] = np.rint(d["precision"].fillna(0) * d["n_precision"])
    d["tp_g"] = np.rint(d["recall"].fillna(0) * d["n_recall"])
    groups = pd.MultiIndex.from_frame(d[by]).unique() if len(by) > 1 else pd.Index(d[by[0]].unique(), name=by[0])
    key = pd.MultiIndex.from_frame(d[by]) if len(by) > 1 else pd.Index(d[by[0]])
    gi, bk = groups.get_indexer(key), d["_bucket"].to_numpy()
    arr = {c: np.zeros((len(groups), N_BUCKETS)) for c in ("tp_a", "tp_g", "n_precision", "n_recall")}
    for c in arr:
        np.add.at(arr[c], (gi, bk), d[c].to_numpy(float))
    tpa, tpg, na, ng = (arr[c].sum(1) for c in ("tp_a", "tp_g", "n_precision", "n_recall"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"f1": (tpa + tpg) / (na + ng), "precision": tpa / na, "recall": tpg / ng}, index=groups)
    lo = hi = np.full(len(groups), np.nan)
    occupied = (arr["n_precision"] + arr["n_recall"]).sum(0) > 0
    if n_boot > 0 and occupied.sum() >= 2:
        W = bucket_weights(n_boot, occupied, seed)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            reps = (W @ (arr["tp_a"] + arr["tp_g"]).T) / (W @ (arr["n_precision"] + arr["n_recall"]).T)
            a = (1 - confidence) / 2
            lo, hi = np.nanquantile(reps, [a, 1 - a], axis=0)
    out["f1_ci_low"], out["f1_ci_high"] = lo, hi
    out["n_annotated"], out["n_gold"] = na.astype(int), ng.astype(int)
    n_items = b.assign(item_id=b["item_id"].astype(str)).groupby(by, observed=True)["item_id"].nunique()
    out["n_items"] = n_items.reindex(groups).fillna(0).astype(int).to_numpy()
    return out.reset_index()


def worst_items(boxes: pd.DataFrame, gold: pd.DataFrame, annotator: str, iou: float = 0.5, k: int = 3) -> pd.DataFrame:
    """The ``k`` images with gold where ``annotator``'s detection F1 (same-label IoU matches) is lowest (ties: more
    gold boxes first): ``item_id, f1, n_annotated, n_gold``."""
    b = boxes[boxes["annotator_id"].astype(str) == str(annotator)]
    g = gold[gold["item_id"].astype(str).isin(set(b["item_id"].astype(str)))]
    if b.empty or g["label"].notna().sum() == 0:
        return pd.DataFrame(columns=["item_id", "f1", "n_annotated", "n_gold"])
    d = detection_accuracy(b, g, iou, by=("item_id",))
    d = d[d["n_gold"] > 0].sort_values(["f1", "n_gold", "item_id"], ascending=[True, False, True]).head(k)
    return d[["item_id", "f1", "n_annotated", "n_gold"]].reset_index(drop=True)


def item_boxes(boxes: pd.DataFrame, gold: pd.DataFrame, item_id: str, annotator: str,
               iou: float = 0.5) -> pd.DataFrame:
    """The boxes of one image to draw: gold and ``annotator``'s, each with ``source`` (``gold`` / ``annotator``),
    ``status`` (``matched``, ``wrong label`` (IoU match to a gold box of another label), ``missed`` (gold without a
    match), ``spurious`` (no gold box at IoU >= ``iou``)), and the matched partner's IoU."""
    cols = ["label", "x", "y", "width", "height"]
    b = boxes[(boxes["item_id"].astype(str) == str(item_id)) & (boxes["annotator_id"].astype(str) == str(annotator))
              & boxes["label"].notna()].reset_index(drop=True)
    g = gold[(gold["item_id"].astype(str) == str(item_id)) & gold["label"].notna()].reset_index(drop=True)
    prep = lambda d: d.assign(item_id=d["item_id"].astype(str), label=d["label"].astype(str))  # noqa: E731
    b, g = prep(b), prep(g)
    bs = pd.Series("spurious", index=b.index, dtype=object)
    gs = pd.Series("missed", index=g.index, dtype=object)
    biou, giou = pd.Series(float("nan"), index=b.index), pd.Series(float("nan"), index=g.index)
    if len(b) and len(g):
        b2 = b.assign(annotator_id=b["annotator_id"].astype(str))
        for same, word in ((True, "matched"), (False, "wrong label")):
            m = gold_matches(b2, g, iou, same_label=same)
            free = bs.iloc[m["row"]].eq("spurious").to_numpy() & gs.iloc[m["gold_row"]].eq("missed").to_numpy()
            m = m[free]
            bs.iloc[m["row"]], gs.iloc[m["gold_row"]] = word, word
            biou.iloc[m["row"]], giou.iloc[m["gold_row"]] = m["iou"].to_numpy(), m["iou"].to_numpy()
    return pd.concat([g[cols].assign(source="gold", status=gs, iou=giou),
                      b[cols].assign(source="annotator", status=bs, iou=biou)], ignore_index=True)
