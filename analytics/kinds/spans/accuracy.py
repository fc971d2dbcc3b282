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

__all__ = ["SPAN_ERRORS", "span_errors"]

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
