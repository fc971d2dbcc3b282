"""Likely label errors per group (issue 14 sec. 1): the share of a group's labels that confident learning flags.

Input: one row per ``dim, grp`` with ``n`` (annotations of scored items) and ``k`` (flagged labels: the annotation
gave its item's given label and the item is flagged). Output adds ``share = k / n`` with a Wilson interval
(annotations treated as independent; labels of one item are correlated, so the interval is somewhat narrow where
annotators share many items) and ``small_sample`` (n below ``small_n``). Groups without annotations are dropped.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.results import SMALL_N, wilson_interval

__all__ = ["DIMENSIONS", "issue_shares", "flagged_annotators", "gold_overlap"]

DIMENSIONS = ("annotator", "team", "week", "batch")


def issue_shares(counts: pd.DataFrame, confidence: float = 0.95, small_n: int = SMALL_N) -> pd.DataFrame:
    """``dim, grp, n, k, share, ci_low, ci_high, small_sample``, per dimension sorted by share (desc) then group."""
    missing = [c for c in ("dim", "grp", "n", "k") if c not in counts.columns]
    if missing:
        raise ValueError(f"label-issue counts need columns dim, grp, n, k; missing {missing}")
    f = counts[counts["n"].astype(float) > 0].copy()
    n, k = f["n"].to_numpy(float), f["k"].fillna(0).to_numpy(float)
    if (k < 0).any() or (k > n).any():
        raise ValueError("flagged labels must lie between 0 and the annotations of the group")
    lo, hi = wilson_interval(k, n, confidence)
    f = f.assign(n=n.astype(np.int64), k=k.astype(np.int64), share=k / n, ci_low=lo, ci_high=hi,
                 small_sample=n < small_n)
    f["grp"] = f["grp"].where(f["grp"].notna(), "(none)").astype(str)
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    f = f.assign(_d=f["dim"].map(order).fillna(len(order)))
    f = f.sort_values(["_d", "share", "grp"], ascending=[True, False, True], kind="stable")
    return f.drop(columns="_d").reset_index(drop=True)


def flagged_annotators(shares: pd.DataFrame) -> list[str]:
    """Annotators whose flagged-label share is above the scope's: the lower end of their Wilson interval exceeds
    the share over every annotator (``issue_shares`` output, ``dim == 'annotator'``). Sorted."""
    a = shares[shares["dim"] == "annotator"]
    if a.empty or a["n"].sum() == 0:
        return []
    overall = a["k"].sum() / a["n"].sum()
    return sorted(a.loc[a["ci_low"] > overall, "grp"].astype(str))


def gold_overlap(counts: pd.DataFrame, confidence: float = 0.95) -> dict:
    """Flags against gold on the scored items that have a gold label. ``counts``: ``flagged, wrong, n`` (0/1 codes;
    ``wrong``: the given label differs from gold). Returns ``n_gold`` (scored gold items), ``n_flagged`` (of them
    flagged), ``n_wrong`` (gold-known errors), ``true_flags`` (flagged and wrong), ``precision`` (true_flags /
    n_flagged) and ``recall`` (true_flags / n_wrong), each with a Wilson interval (``*_ci``); NaN when undefined."""
    c = counts.assign(flagged=counts["flagged"].astype(int), wrong=counts["wrong"].astype(int))
    cell = lambda f, w: int(c.loc[(c["flagged"] == f) & (c["wrong"] == w), "n"].sum())  # noqa: E731
    tp, fp, fn, tn = cell(1, 1), cell(1, 0), cell(0, 1), cell(0, 0)

    def rate(k, n):
        lo, hi = wilson_interval(k, n, confidence)
        return (float(k / n) if n else float("nan")), (float(lo), float(hi))

    precision, p_ci = rate(tp, tp + fp)
    recall, r_ci = rate(tp, tp + fn)
    return {"n_gold": tp + fp + fn + tn, "n_flagged": tp + fp, "n_wrong": tp + fn, "true_flags": tp,
            "precision": precision, "precision_ci": p_ci, "recall": recall, "recall_ci": r_ci}
