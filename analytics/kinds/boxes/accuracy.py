"""Boxes against gold: detection precision/recall/F1 per class (Wilson intervals), label confusions among
IoU-matched boxes, localisation bias, completeness (missed gold boxes, hallucinated boxes).

Each annotator's boxes on an item are matched one-to-one to the item's gold boxes (maximum total IoU among
pairs with ``IoU >= iou``; same label unless stated). ``by`` names grouping columns: ``annotator_id``,
``label`` and columns of ``items`` (``item_id`` + attributes such as ``lighting``, ``team``) or of the box frame.

* precision = matched annotated boxes / annotated boxes; recall = matched gold boxes / gold boxes on the items
  the annotator annotated (one gold box counts once per annotator who saw it); F1 = 2 TP / (n_ann + n_gold).
* localisation bias of a matched pair: ``log(area_annotated / area_gold)`` (0 = same size; -0.16 is about 15%
  smaller in area) and centre offset ``dx, dy`` in units of the gold box's width and height; mean with a
  t interval per group (the pairs are treated as independent).
* completeness: a gold box is *missed* when no annotator who annotated the item has a same-label match for it;
  an annotated box is *hallucinated* when it matches no gold box even ignoring labels.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _sps

from analytics.kinds.boxes.frames import check_boxes
from analytics.metrics.matching import box_iou, cross_group_pairs, group_codes, one_to_one
from analytics.metrics.results import wilson_interval

__all__ = ["gold_matches", "detection_accuracy", "miss_rates", "label_confusions", "localisation_bias",
           "completeness", "box_accuracy_json", "size_class", "SMALL_AREA"]

SMALL_AREA = 32.0 ** 2  # COCO: small < 32^2, medium < 96^2, large otherwise (area in the boxes' unit squared)
_PERSON = ("team", "week")  # annotator-level columns of a box frame that recall may be grouped by


def size_class(width, height) -> np.ndarray:
    """COCO object size of boxes: ``small`` (area < 32^2), ``medium`` (< 96^2) or ``large`` (pixel units)."""
    a = np.asarray(width, float) * np.asarray(height, float)
    return np.select([a < SMALL_AREA, a < 96.0 ** 2], ["small", "medium"], "large")


def _str(col: pd.Series) -> pd.Series:
    """``col`` as strings (left alone when it already holds strings: a conversion of 1M ids costs ~0.1 s)."""
    return col if pd.api.types.is_string_dtype(col) else col.astype(str)


def _prep(boxes, gold, items):
    b = check_boxes(boxes)
    b = b[b["label"].notna()]
    b = b.assign(item_id=_str(b["item_id"]), annotator_id=_str(b["annotator_id"]),
                 label=_str(b["label"])).reset_index(drop=True)
    g = check_boxes(gold, gold=True, what="gold boxes")
    g = g[g["label"].notna()]
    g = g.assign(item_id=_str(g["item_id"]), label=_str(g["label"])).reset_index(drop=True)
    person = [c for c in _PERSON if c in boxes.columns]
    annotated = boxes[["item_id", "annotator_id", *person]]
    annotated = annotated.assign(item_id=_str(annotated["item_id"]), annotator_id=_str(annotated["annotator_id"]))
    annotated = annotated.drop_duplicates(["item_id", "annotator_id"])
    for d in (b, g):  # object size (COCO) of each box, unless the frames carry their own
        if "size" not in d.columns:
            d["size"] = size_class(d["width"], d["height"])
    if items is not None:
        it = items.assign(item_id=items["item_id"].astype(str))
        extra = [c for c in it.columns if c != "item_id" and c not in b.columns]
        b = b.merge(it[["item_id", *extra]], on="item_id", how="left")
        g = g.merge(it[["item_id", *[c for c in it.columns if c != "item_id" and c not in g.columns]]],
                    on="item_id", how="left")
        annotated = annotated.merge(it[["item_id", *extra]], on="item_id", how="left")
    return b, g, annotated


def gold_matches(b: pd.DataFrame, g: pd.DataFrame, iou: float = 0.5, same_label: bool = True) -> pd.DataFrame:
    """Matched (annotated row, gold row) pairs per (item, annotator): ``row``, ``gold_row``, ``iou``."""
    # one code per (item[, label]) shared by both sides: integer codes, no string concatenation
    cols = ["item_id", "label"] if same_label else ["item_id"]
    codes = group_codes(*(pd.factorize(pd.concat([b[c], g[c]], ignore_index=True))[0] for c in cols))
    i, j = cross_group_pairs(codes[:len(b)], codes[len(b):])
    geo = lambda d, k: tuple(d[c].to_numpy(float)[k] for c in ("x", "y", "width", "height"))  # noqa: E731
    v = box_iou(*geo(b, i), *geo(g, j))
    keep = (v >= iou) & (v > 0)
    i, j, v = i[keep], j[keep], v[keep]
    grp = group_codes(codes[:len(b)][i], b["annotator_id"].to_numpy()[i])
    ok = one_to_one(i, len(b) + j, v, grp)
    return pd.DataFrame({"row": i[ok], "gold_row": j[ok], "iou": v[ok]})


def _rate_frame(num: pd.Series, den: pd.Series, name: str) -> pd.DataFrame:
    lo, hi = wilson_interval(num.to_numpy(float), den.to_numpy(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        val = num.to_numpy(float) / den.to_numpy(float)
    return pd.DataFrame({name: val, f"{name}_ci_low": lo, f"{name}_ci_high": hi, f"n_{name}": den.to_numpy()},
                        index=num.index)


def detection_accuracy(boxes, gold, iou: float = 0.5, by=("label",), items=None) -> pd.DataFrame:
    """Precision, recall, F1 per group (``by`` columns), each rate with its Wilson interval and n."""
    by = list(by)
    b, g, annotated = _prep(boxes, gold, items)
    m = gold_matches(b, g, iou)
    b["tp"] = 0
    b.loc[m["row"].to_numpy(), "tp"] = 1
    # gold boxes seen by each annotator who annotated the item
    matched_gold = pd.DataFrame({"item_id": b["item_id"].to_numpy()[m["row"]],
                                 "annotator_id": b["annotator_id"].to_numpy()[m["row"]], "gold_row": m["gold_row"]})
    gr = g.reset_index().rename(columns={"index": "gold_row"})
    gs = annotated.merge(gr, on=[c for c in annotated.columns if c in gr.columns], how="inner")
    gs = gs.merge(matched_gold.assign(hit=1), on=["item_id", "annotator_id", "gold_row"], how="left")
    gs["hit"] = gs["hit"].fillna(0)
    for c in by:
        if c not in b.columns or c not in gs.columns:
            raise ValueError(f"by column {c!r} is not in the boxes, the gold boxes or items")
    pb = b.groupby(by, observed=True)["tp"].agg(["sum", "count"])
    rg = gs.groupby(by, observed=True)["hit"].agg(["sum", "count"])
    idx = pb.index.union(rg.index)
    pb, rg = pb.reindex(idx, fill_value=0), rg.reindex(idx, fill_value=0)
    out = pd.concat([_rate_frame(pb["sum"], pb["count"], "precision"),
                     _rate_frame(rg["sum"], rg["count"], "recall")], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["f1"] = (pb["sum"] + rg["sum"]) / (pb["count"] + rg["count"])
    out["n_annotated"], out["n_gold"] = pb["count"].to_numpy(), rg["count"].to_numpy()
    return out.reset_index()


def miss_rates(boxes, gold, iou: float = 0.5, by=("label",), items=None) -> pd.DataFrame:
    """Share of gold boxes an annotator left out (``1 - recall``: no same-label IoU match among that annotator's
    boxes on an image they annotated) per group, Wilson interval and n; ``by`` may name annotator columns
    (``annotator_id``, ``team``, ``week``), item attributes and the gold box's ``label`` / ``size``."""
    d = detection_accuracy(boxes, gold, iou, by=by, items=items)
    return d.assign(miss_rate=1 - d["recall"], miss_rate_ci_low=1 - d["recall_ci_high"],
                    miss_rate_ci_high=1 - d["recall_ci_low"])[[*by, "miss_rate", "miss_rate_ci_low",
                                                                 "miss_rate_ci_high", "n_gold"]]


def label_confusions(boxes, gold, iou: float = 0.5, by=(), items=None) -> pd.DataFrame:
    """Counts of (gold label, annotated label) among boxes matched on IoU alone, with the share of each gold
    label's matched boxes (Wilson interval)."""
    by = list(by)
    b, g, _ = _prep(boxes, gold, items)
    m = gold_matches(b, g, iou, same_label=False)
    d = pd.DataFrame({"gold_label": g["label"].to_numpy()[m["gold_row"]], "label": b["label"].to_numpy()[m["row"]]})
    for c in by:
        d[c] = b[c].to_numpy()[m["row"]]
    n = d.groupby([*by, "gold_label", "label"], observed=True).size().rename("n").reset_index()
    tot = n.groupby([*by, "gold_label"], observed=True)["n"].transform("sum")
    lo, hi = wilson_interval(n["n"].to_numpy(float), tot.to_numpy(float))
    return n.assign(n_gold_matched=tot, share=n["n"] / tot, share_ci_low=lo, share_ci_high=hi)


def localisation_bias(boxes, gold, iou: float = 0.5, by=("annotator_id",), items=None,
                      confidence: float = 0.95) -> pd.DataFrame:
    """Mean log area ratio and centre offsets of same-label matched boxes per group, with t intervals."""
    by = list(by)
    b, g, _ = _prep(boxes, gold, items)
    m = gold_matches(b, g, iou)
    r, k = m["row"].to_numpy(), m["gold_row"].to_numpy()
    ba = b["width"].to_numpy()[r] * b["height"].to_numpy()[r]
    ga = g["width"].to_numpy()[k] * g["height"].to_numpy()[k]
    d = pd.DataFrame({c: b[c].to_numpy()[r] for c in by})
    d["log_area_ratio"] = np.log(ba / ga)
    d["dx"] = ((b["x"].to_numpy()[r] + b["width"].to_numpy()[r] / 2)
               - (g["x"].to_numpy()[k] + g["width"].to_numpy()[k] / 2)) / g["width"].to_numpy()[k]
    d["dy"] = ((b["y"].to_numpy()[r] + b["height"].to_numpy()[r] / 2)
               - (g["y"].to_numpy()[k] + g["height"].to_numpy()[k] / 2)) / g["height"].to_numpy()[k]
    grp = d.groupby(by, observed=True)
    out = grp.size().rename("n").to_frame()
    t = _sps.t.ppf(0.5 + confidence / 2, np.maximum(out["n"].to_numpy() - 1, 1))
    for c in ("log_area_ratio", "dx", "dy"):
        mu, sd = grp[c].mean(), grp[c].std(ddof=1)
        half = t * sd.to_numpy() / np.sqrt(out["n"].to_numpy())
        out[c], out[f"{c}_ci_low"], out[f"{c}_ci_high"] = mu, mu - half, mu + half
    out["area_ratio"] = np.exp(out["log_area_ratio"])
    return out.reset_index()


def completeness(boxes, gold, iou: float = 0.5, by=("label",), items=None) -> dict[str, pd.DataFrame]:
    """``{"missed": miss rate of gold boxes per group, "hallucinated": share of annotated boxes with no gold
    counterpart per group}``, each with a Wilson interval and n."""
    by = list(by)
    b, g, _ = _prep(boxes, gold, items)
    m = gold_matches(b, g, iou)
    g["missed"] = 1
    g.loc[np.unique(m["gold_row"].to_numpy()), "missed"] = 0
    g = g[g["item_id"].isin(boxes["item_id"].astype(str))]  # gold of items nobody annotated is not "missed"
    gb = [c for c in by if c in g.columns]
    ms = g.groupby(gb, observed=True)["missed"].agg(["sum", "count"])
    m2 = gold_matches(b, g.reset_index(drop=True), iou, same_label=False)
    b["hallucinated"] = 1
    b.loc[np.unique(m2["row"].to_numpy()), "hallucinated"] = 0
    hs = b.groupby(by, observed=True)["hallucinated"].agg(["sum", "count"])
    return {"missed": _rate_frame(ms["sum"], ms["count"], "miss_rate").reset_index(),
            "hallucinated": _rate_frame(hs["sum"], hs["count"], "hallucination_rate").reset_index()}


def _num(v):
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return None
    return int(v) if isinstance(v, (int, np.integer)) else float(v)


def _records(frame: pd.DataFrame, key: str) -> dict:
    return {str(r.pop(key)): {k: _num(v) for k, v in r.items()} for r in frame.to_dict("records")}


def box_accuracy_json(boxes, gold, iou: float = 0.5, items=None) -> dict:
    """The JSON of ``labelqa accuracy FILE --gold GOLD --kind boxes``: detection precision / recall / F1 overall
    and per label (Wilson intervals, n), localisation bias per annotator, missed and hallucinated shares per label,
    and label confusions among boxes matched on IoU alone."""
    if not 0 < iou <= 1:
        raise ValueError(f"iou threshold must be in (0, 1], got {iou!r}")
    per = detection_accuracy(boxes, gold, iou, by=("label",), items=items)
    tp_a = np.rint(per["precision"].fillna(0) * per["n_precision"]).sum()
    tp_g = np.rint(per["recall"].fillna(0) * per["n_recall"]).sum()
    n_a, n_g = per["n_precision"].sum(), per["n_recall"].sum()
    (plo,), (phi,) = wilson_interval(np.array([tp_a], float), np.array([n_a], float))
    (rlo,), (rhi,) = wilson_interval(np.array([tp_g], float), np.array([n_g], float))
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = {"precision": tp_a / n_a if n_a else None, "precision_ci_low": plo, "precision_ci_high": phi,
                   "recall": tp_g / n_g if n_g else None, "recall_ci_low": rlo, "recall_ci_high": rhi,
                   "f1": (tp_a + tp_g) / (n_a + n_g) if n_a + n_g else None, "n_annotated": int(n_a),
                   "n_gold": int(n_g)}
    comp = completeness(boxes, gold, iou, by=("label",), items=items)
    conf = label_confusions(boxes, gold, iou, items=items)
    return {"kind": "boxes", "iou_threshold": iou, "overall": {k: _num(v) for k, v in overall.items()},
            "per_label": _records(per.drop(columns=["n_precision", "n_recall"]), "label"),
            "localisation_bias": _records(localisation_bias(boxes, gold, iou, items=items), "annotator_id"),
            "missed": _records(comp["missed"], "label"), "hallucinated": _records(comp["hallucinated"], "label"),
            "label_confusions": [{k: _num(v) if k not in ("gold_label", "label") else str(v) for k, v in r.items()}
                                 for r in conf.to_dict("records")],
            "method": f"one-to-one IoU>={iou} matching to gold (Hungarian); precision, recall and shares with Wilson "
                      "95% intervals; localisation bias: mean log(area annotated / area gold) and centre offset "
                      "(gold widths/heights) of matched boxes with t intervals"}
