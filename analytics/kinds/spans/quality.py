"""Spans per annotator, week and guideline version: F1 against gold at instance and token level, and pairwise
agreement per group.

* :func:`f1_vs_gold`: per group (``annotator_id``, ``team``, ``week``, ``schema_version``, ``label``), gold is
  treated as one more annotator and the pairwise F1 of (gold, annotator) is pooled over the group's items:
  ``F1 = 2 TP / (n_gold + n_annotated)``, precision ``TP / n_annotated``, recall ``TP / n_gold``; TP as
  :func:`analytics.kinds.spans.agreement.span_pair_stats` counts it (identical spans, or tokens with
  ``unit="token"``). An annotator who merges adjacent entities has low instance F1 and high token F1.
  Intervals: percentile bootstrap over the 64 md5 item buckets (:func:`analytics.metrics.matching.bucket_weights`).
* :func:`agreement_by`: pairwise F1 between annotators (:func:`span_agreement`) within each group of items
  (``week``, ``schema_version``), overall and per label, with its bootstrap interval.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analytics.kinds.spans.agreement import span_agreement, span_pair_stats
from analytics.kinds.spans.tokens import DEFAULT_TOKEN_PATTERN
from analytics.metrics.agreement import BUCKET_IDS, item_bucket
from analytics.metrics.matching import N_BUCKETS, bucket_weights
from analytics.metrics.results import NoData

__all__ = ["GOLD", "f1_vs_gold", "agreement_by", "worst_items"]

GOLD = "\x00gold"  # sorts before every annotator id: the pair (GOLD, annotator) has GOLD as annotator_a


def _item_groups(spans: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``item_id, annotator_id`` + the annotator-level ``by`` columns (first row of each)."""
    cols = [c for c in by if c not in ("item_id", "annotator_id", "label")]
    d = spans[["item_id", "annotator_id", *cols]].astype({"item_id": str, "annotator_id": str})
    return d.drop_duplicates(["item_id", "annotator_id"])


def f1_vs_gold(spans: pd.DataFrame, gold: pd.DataFrame, unit: str = "instance", texts: pd.DataFrame | None = None,
               by=("annotator_id",), match: str = "exact", token_pattern: str = DEFAULT_TOKEN_PATTERN,
               n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> pd.DataFrame:
    """Per group: ``f1, f1_ci_low, f1_ci_high, precision, recall, tp, n_annotated, n_gold, n_items`` against gold
    on the items with gold that the annotator annotated."""
    by = list(by)
    sp = spans.assign(item_id=spans["item_id"].astype(str))
    g = gold.assign(item_id=gold["item_id"].astype(str))
    sp = sp[sp["item_id"].isin(set(g["item_id"]))]
    if sp.empty:
        raise NoData("no annotated item has gold spans")
    core = ["item_id", "annotator_id", "start", "end", "label"]
    both = pd.concat([sp[core], g.assign(annotator_id=GOLD)[core]], ignore_index=True)
    st = span_pair_stats(both, match, unit, texts, token_pattern)
    st = st[st["annotator_a"] == GOLD].rename(columns={"annotator_b": "annotator_id", "n_a": "n_gold",
                                                        "n_b": "n_annotated"})
    st = st.merge(_item_groups(sp, by), on=["item_id", "annotator_id"], how="left")
    st["bucket"] = np.searchsorted(BUCKET_IDS, item_bucket(st["item_id"]).to_numpy())
    sums = st.groupby([*by, "bucket"], observed=True, dropna=False)[["tp", "n_gold", "n_annotated"]].sum()
    groups = sums.index.droplevel("bucket").unique()
    gi = groups.get_indexer(sums.index.droplevel("bucket"))
    bk = sums.index.get_level_values("bucket").to_numpy()
    arr = {c: np.zeros((len(groups), N_BUCKETS)) for c in ("tp", "n_gold", "n_annotated")}
    for c in arr:
        np.add.at(arr[c], (gi, bk), sums[c].to_numpy(float))
    tp, ng, na = (arr[c].sum(1) for c in ("tp", "n_gold", "n_annotated"))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"f1": 2 * tp / (ng + na), "precision": tp / na, "recall": tp / ng}, index=groups)
    lo = hi = np.full(len(groups), np.nan)
    occupied = (arr["n_gold"] + arr["n_annotated"]).sum(0) > 0
    if n_boot > 0 and occupied.sum() >= 2:
        W = bucket_weights(n_boot, occupied, seed)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            reps = 2 * (W @ arr["tp"].T) / (W @ (arr["n_gold"] + arr["n_annotated"]).T)
            a = (1 - confidence) / 2
            lo, hi = np.nanquantile(reps, [a, 1 - a], axis=0)
    out["f1_ci_low"], out["f1_ci_high"] = lo, hi
    out["tp"], out["n_gold"], out["n_annotated"] = tp.astype(int), ng.astype(int), na.astype(int)
    out["n_items"] = st.groupby(by, observed=True, dropna=False)["item_id"].nunique().reindex(groups).to_numpy()
    return out.reset_index()


def agreement_by(spans: pd.DataFrame, by: str = "week", match: str = "exact", unit: str = "instance",
                 texts: pd.DataFrame | None = None, n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Pairwise span F1 within each value of ``by`` (an annotation column: ``week``, ``schema_version``, ``team``):
    rows ``<by>, label ('' = overall), mean, sd, ci_low, ci_high, n_pairs, n_items``; a group whose items no two
    annotators share is left out."""
    rows = []
    for key, part in spans.groupby(by, observed=True, sort=True):
        try:
            r = span_agreement(part, match, unit, texts, n_boot=n_boot, seed=seed)
        except NoData:
            continue
        rows.append({by: key, "label": "", **r["overall"]})
        rows += [{by: key, "label": lab, **v} for lab, v in r["per_label"].items()]
    cols = [by, "label", "mean", "sd", "ci_low", "ci_high", "n_pairs", "n_items"]
    return pd.DataFrame(rows, columns=cols)


def worst_items(spans: pd.DataFrame, gold: pd.DataFrame, annotator: str, k: int = 3) -> pd.DataFrame:
    """The ``k`` items with gold where ``annotator``'s exact-match F1 against gold is lowest (ties: more gold
    spans first): ``item_id, f1, tp, n_annotated, n_gold``."""
    sp = spans[spans["annotator_id"].astype(str) == str(annotator)]
    if sp.empty:
        return pd.DataFrame(columns=["item_id", "f1", "tp", "n_annotated", "n_gold"])
    r = f1_vs_gold(sp, gold, "instance", by=("item_id",), n_boot=0)
    r = r.sort_values(["f1", "n_gold", "item_id"], ascending=[True, False, True]).head(k)
    return r[["item_id", "f1", "tp", "n_annotated", "n_gold"]].reset_index(drop=True)
