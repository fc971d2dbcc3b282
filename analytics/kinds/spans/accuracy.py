"""Spans against gold (``item_id, start, end, label``): every annotated span is classified as
``correct`` (identical offsets and label to a gold span), ``boundary`` (overlaps a same-label gold span, not
identical), ``label`` (overlaps gold spans of other labels only) or ``spurious`` (overlaps no gold span); a gold
span no span of the annotator overlaps is a ``miss``. Rates per group with Wilson intervals and n."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.spans.frames import check_spans
from analytics.metrics.matching import cross_group_pairs, group_codes
from analytics.metrics.results import wilson_interval

__all__ = ["SPAN_ERRORS", "span_errors", "span_accuracy", "span_accuracy_json"]

SPAN_ERRORS = ("correct", "boundary", "label", "spurious")


def span_errors(spans: pd.DataFrame, gold: pd.DataFrame, by=("annotator_id",)) -> pd.DataFrame:
    """Per group: counts and shares of ``correct, boundary, label, spurious`` spans and the miss rate of gold
    spans on the items the annotator annotated (``*_ci_low/high``: Wilson 95%)."""
    by = list(by)
    sp = check_spans(spans)
    annotated = sp[["item_id", "annotator_id"]].astype(str).drop_duplicates()
    sp = sp[sp["label"].notna()].astype({"item_id": str, "annotator_id": str, "label": str}).reset_index(drop=True)
    g = check_spans(gold.assign(annotator_id="gold"), what="gold spans")
    g = g[g["label"].notna()].astype({"item_id": str, "label": str}).reset_index(drop=True)
    codes = group_codes(np.r_[sp["item_id"].to_numpy(), g["item_id"].to_numpy()])
    i, j = cross_group_pairs(codes[:len(sp)], codes[len(sp):])
    s1, e1 = sp["start"].to_numpy(float)[i], sp["end"].to_numpy(float)[i]
    s2, e2 = g["start"].to_numpy(float)[j], g["end"].to_numpy(float)[j]
    ov = (np.minimum(e1, e2) > np.maximum(s1, s2))
    same = sp["label"].to_numpy()[i] == g["label"].to_numpy()[j]
    exact = ov & same & (s1 == s2) & (e1 == e2)
    n = len(sp)
    has_exact = np.bincount(i[exact], minlength=n) > 0
    has_same = np.bincount(i[ov & same], minlength=n) > 0
    has_ov = np.bincount(i[ov], minlength=n) > 0
    kind = np.select([has_exact, has_same, has_ov], ["correct", "boundary", "label"], "spurious")
    d = sp.assign(kind=kind)
    out = pd.crosstab([d[c] for c in by], d["kind"]).reindex(columns=list(SPAN_ERRORS), fill_value=0)
    out["n_spans"] = out.sum(axis=1)
    for k in SPAN_ERRORS:
        lo, hi = wilson_interval(out[k].to_numpy(float), out["n_spans"].to_numpy(float))
        out[f"{k}_rate"], out[f"{k}_rate_ci_low"], out[f"{k}_rate_ci_high"] = out[k] / out["n_spans"], lo, hi
    # misses: gold spans on an annotated item that no span of that annotator overlaps
    gs = annotated.merge(g.drop(columns="annotator_id").reset_index().rename(columns={"index": "gold_row"}),
                         on="item_id")
    hit = pd.DataFrame({"annotator_id": sp["annotator_id"].to_numpy()[i[ov]], "gold_row": j[ov]}).drop_duplicates()
    gs = gs.merge(hit.assign(hit=1), on=["annotator_id", "gold_row"], how="left")
    gs["missed"] = gs["hit"].isna().astype(int)
    mb = [c for c in by if c in gs.columns]
    ms = gs.groupby(mb, observed=True)["missed"].agg(["sum", "count"])
    lo, hi = wilson_interval(ms["sum"].to_numpy(float), ms["count"].to_numpy(float))
    ms = pd.DataFrame({"miss_rate": ms["sum"] / ms["count"], "miss_rate_ci_low": lo, "miss_rate_ci_high": hi,
                       "n_gold": ms["count"]}, index=ms.index)
    return out.join(ms, how="outer").reset_index()


def _num(v):
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return None
    return int(v) if isinstance(v, (int, np.integer)) else float(v)


def _prf(tp_pred: float, n_pred: float, tp_gold: float, n_gold: float) -> dict:
    """Precision (tp/n_pred) and recall (tp/n_gold) with Wilson intervals, F1 = 2 TP / (n_pred + n_gold)."""
    plo, phi = wilson_interval(np.array([tp_pred], float), np.array([n_pred], float))
    rlo, rhi = wilson_interval(np.array([tp_gold], float), np.array([n_gold], float))
    f = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"precision": f(tp_pred / n_pred if n_pred else np.nan), "precision_ci_low": f(plo[0]),
                "precision_ci_high": f(phi[0]), "recall": f(tp_gold / n_gold if n_gold else np.nan),
                "recall_ci_low": f(rlo[0]), "recall_ci_high": f(rhi[0]),
                "f1": f((tp_pred + tp_gold) / (n_pred + n_gold) if n_pred + n_gold else np.nan),
                "n_annotated": int(n_pred), "n_gold": int(n_gold)}


def span_accuracy(spans: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Exact-match counts per label: ``label, tp_annotated, n_annotated, tp_gold, n_gold``.

    An annotated span is a true positive when the item's gold has a span with identical start, end and label; a
    gold span is found when the annotator (on an item they annotated) has that identical span. Gold spans count
    once per annotator who annotated the item (as recall in :mod:`analytics.kinds.boxes.accuracy`)."""
    sp = check_spans(spans)
    annotated = sp[["item_id", "annotator_id"]].astype(str).drop_duplicates()
    sp = sp[sp["label"].notna()].astype({"item_id": str, "annotator_id": str, "label": str})
    sp = sp.drop_duplicates(["item_id", "annotator_id", "start", "end", "label"])
    g = check_spans(gold.assign(annotator_id="gold"), what="gold spans")
    g = g[g["label"].notna()].astype({"item_id": str, "label": str}).drop(columns="annotator_id")
    g = g.drop_duplicates(["item_id", "start", "end", "label"])[["item_id", "start", "end", "label"]]
    key = ["item_id", "start", "end", "label"]
    hit = sp[key + ["annotator_id"]].merge(g.assign(_g=1), on=key, how="left")
    pred = hit.assign(tp=hit["_g"].notna().astype(int)).groupby("label")["tp"].agg(["sum", "count"])
    gs = annotated.merge(g, on="item_id")
    found = gs.merge(sp[key + ["annotator_id"]].assign(_s=1), on=key + ["annotator_id"], how="left")
    rec = found.assign(tp=found["_s"].notna().astype(int)).groupby("label")["tp"].agg(["sum", "count"])
    idx = pred.index.union(rec.index)
    pred, rec = pred.reindex(idx, fill_value=0), rec.reindex(idx, fill_value=0)
    return pd.DataFrame({"label": idx, "tp_annotated": pred["sum"].to_numpy(), "n_annotated": pred["count"].to_numpy(),
                         "tp_gold": rec["sum"].to_numpy(), "n_gold": rec["count"].to_numpy()})


def span_accuracy_json(spans: pd.DataFrame, gold: pd.DataFrame) -> dict:
    """The JSON of ``labelqa accuracy FILE --gold GOLD --kind spans``: exact-match precision / recall / F1
    overall and per label (Wilson intervals, n), and per annotator the error breakdown of :func:`span_errors`."""
    c = span_accuracy(spans, gold)
    t = c[["tp_annotated", "n_annotated", "tp_gold", "n_gold"]].sum()
    per_label = {str(r.label): _prf(r.tp_annotated, r.n_annotated, r.tp_gold, r.n_gold)
                 for r in c.itertuples(index=False)}
    err = span_errors(spans, gold, by=("annotator_id",))
    per_annotator = {str(r.pop("annotator_id")): {k: _num(v) for k, v in r.items()}
                     for r in err.to_dict("records")}
    return {"kind": "spans", "match": "exact",
            "overall": _prf(t["tp_annotated"], t["n_annotated"], t["tp_gold"], t["n_gold"]),
            "per_label": per_label, "per_annotator": per_annotator,
            "method": "exact match (start, end, label) against gold; precision and recall with Wilson 95% "
                      "intervals; F1 = 2 TP / (annotated + gold); per annotator: correct / boundary / label / "
                      "spurious shares of annotated spans and the miss rate of gold spans"}
