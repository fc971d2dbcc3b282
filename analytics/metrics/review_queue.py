"""The review queue: one documented priority per item, budgeted stratified allocation, exports.

Input frame (one row per item): ``item_id, label`` (the current label) plus any of the signal columns
below; a missing column counts as 0 / False. Priority = sum of weight x signal (each signal in [0, 1]):

==================  ======  =====================================================================
column              weight  signal
==================  ======  =====================================================================
label_error         3.0     confident learning flagged the label (bool)
vote_entropy        1.0     entropy of the annotators' votes / log(number of classes), in [0, 1]
ds_posterior        1.0     1 - Dawid-Skene posterior of the winning label
model_conflict      2.0     model top label != current label with model confidence >= 0.9 (bool,
                            derived from ``model_label`` and ``model_confidence`` when present)
model_confidence    1.0     1 - model confidence (uncertainty sampling)
critical            1.0     the class is in the critical tier (bool)
flagged_period      1.0     labelled by a flagged annotator or in a drift period (bool)
gold_gap            0.5     the class is under its QA rate (bool)
==================  ======  =====================================================================

``reasons`` names every signal whose weighted contribution is at least 0.25, strongest first.

The loop: :func:`queue_yield` measures the queue's precision from re-imported reviews (share of reviewed queued
items whose given label a reviewer corrected or rejected, Wilson interval) next to the same share among reviewed
items that were not queued (the yield of reviewing at random).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["WEIGHTS", "CONFLICT_CONFIDENCE", "priority", "allocate", "to_label_studio", "queue_from_label_errors",
           "class_minimums", "vote_entropy", "queue_yield"]

WEIGHTS = {"label_error": 3.0, "vote_entropy": 1.0, "ds_posterior": 1.0, "model_conflict": 2.0,
           "model_confidence": 1.0, "critical": 1.0, "flagged_period": 1.0, "gold_gap": 0.5}
CONFLICT_CONFIDENCE = 0.9
_REASON_MIN = 0.25


def _signals(f: pd.DataFrame) -> pd.DataFrame:
    n = len(f)
    col = lambda c, d=0.0: f[c].astype(float).fillna(d).to_numpy() if c in f.columns else np.full(n, d)  # noqa: E731
    s = pd.DataFrame(index=f.index)
    s["label_error"] = col("label_error")
    s["vote_entropy"] = col("vote_entropy")
    s["ds_posterior"] = 1 - col("ds_posterior", 1.0)
    if "model_conflict" in f.columns:
        s["model_conflict"] = col("model_conflict")
    elif {"model_label", "model_confidence"} <= set(f.columns):
        s["model_conflict"] = ((f["model_label"].astype(str) != f["label"].astype(str))
                               & (f["model_confidence"].astype(float) >= CONFLICT_CONFIDENCE)).astype(float).to_numpy()
    else:
        s["model_conflict"] = 0.0
    s["model_confidence"] = 1 - col("model_confidence", 1.0)
    for c in ("critical", "flagged_period", "gold_gap"):
        s[c] = col(c)
    if ((s < 0) | (s > 1)).any().any():
        raise ValueError("review-queue signals must lie in [0, 1]")
    return s


def priority(items: pd.DataFrame) -> pd.DataFrame:
    """``items`` plus ``priority`` (documented weighted sum) and ``reasons``, sorted by priority desc."""
    for c in ("item_id", "label"):
        if c not in items.columns:
            raise ValueError(f"review-queue frame needs column {c!r}")
    s = _signals(items)
    w = s * pd.Series(WEIGHTS)
    order = np.argsort(-w.to_numpy(), axis=1, kind="stable")
    names = np.array(list(WEIGHTS))[order]
    keep = np.take_along_axis(w.to_numpy(), order, axis=1) >= _REASON_MIN
    parts = np.where(keep, names, "")
    reasons = parts[:, 0].astype(object)
    for j in range(1, parts.shape[1]):  # over the 8 signals, not rows; kept reasons are a prefix (sorted)
        reasons = np.where(parts[:, j] != "", reasons + ", " + parts[:, j].astype(object), reasons)
    out = items.assign(priority=w.sum(axis=1).to_numpy(), reasons=np.asarray(reasons, dtype=object))
    return out.sort_values(["priority", "item_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def allocate(queue: pd.DataFrame, budget: int, minimums: dict | None = None, seed: int = 0) -> pd.DataFrame:
    """Pick ``budget`` items: first each class's minimum (its highest-priority items), then the highest
    priority overall. Ties in priority are broken by a seeded random key, so the pick is reproducible."""
    if budget < 0:
        raise ValueError("budget must be >= 0")
    minimums = minimums or {}
    if sum(minimums.values()) > budget:
        raise ValueError(f"class minimums ({sum(minimums.values())}) exceed the budget ({budget})")
    q = queue.assign(_r=np.random.default_rng(seed).random(len(queue)))
    q = q.sort_values(["priority", "_r"], ascending=[False, True], kind="stable")
    rank = q.groupby(q["label"].astype(str)).cumcount()
    need = q["label"].astype(str).map({str(k): v for k, v in minimums.items()}).fillna(0)
    first = rank < need
    picked = pd.concat([q[first], q[~first].head(max(budget - int(first.sum()), 0))])
    return picked.drop(columns="_r").head(budget).reset_index(drop=True)


def to_label_studio(queue: pd.DataFrame, from_name: str = "label", to_name: str = "item",
                    data_columns: tuple = ("item_id",)) -> list[dict]:
    """Label Studio import tasks with the current label as a prediction (choices control)."""
    recs = queue[list(data_columns) + ["label", "priority", "reasons"]].to_dict("records")
    return [{"data": {c: r[c] for c in data_columns} | {"priority": float(r["priority"]), "reasons": r["reasons"]},
             "predictions": [{"model_version": "current_label",
                              "result": [{"from_name": from_name, "to_name": to_name, "type": "choices",
                                          "value": {"choices": [str(r["label"])]}}]}]}
            for r in recs]


def queue_from_label_errors(issues: pd.DataFrame, critical=(), flagged_labels=(), gold_gap_labels=()) -> pd.DataFrame:
    """Review-queue input from a confident-learning issue list (``LabelErrors.issues``: ``item_id, given_label,
    suggested_label, self_confidence, suggested_score``): one row per flagged item with ``label`` (the given
    label), ``label_error`` = 1, ``model_label`` / ``model_confidence`` (the model's top class and its score),
    ``critical`` (given or suggested class in ``critical``), ``gold_gap`` (given class in ``gold_gap_labels``),
    ``flagged_period`` (given class in ``flagged_labels``). Feed it to :func:`priority`."""
    for c in ("item_id", "given_label", "suggested_label", "self_confidence", "suggested_score"):
        if c not in issues.columns:
            raise ValueError(f"issue list needs column {c!r}")
    own = issues["self_confidence"].astype(float).to_numpy()
    other = issues["suggested_score"].astype(float).to_numpy()
    given, sugg = issues["given_label"].astype(str), issues["suggested_label"].astype(str)
    crit = {str(x) for x in critical}
    return pd.DataFrame({
        "item_id": issues["item_id"].to_numpy(), "label": given.to_numpy(), "suggested_label": sugg.to_numpy(),
        "label_error": 1.0,
        "model_label": np.where(other > own, sugg, given), "model_confidence": np.maximum(own, other),
        "critical": (given.isin(crit) | sugg.isin(crit)).astype(float).to_numpy(),
        "gold_gap": given.isin({str(x) for x in gold_gap_labels}).astype(float).to_numpy(),
        "flagged_period": given.isin({str(x) for x in flagged_labels}).astype(float).to_numpy(),
    })


def class_minimums(queue: pd.DataFrame, classes, each: int, budget: int) -> dict:
    """Minimum picks per class for :func:`allocate`: ``each`` (or all its queued items, if fewer) for every class in
    ``classes`` that is queued, reduced in class order until the total fits ``budget`` (rare critical classes are
    never starved while the budget allows one item each)."""
    counts = queue["label"].astype(str).value_counts()
    mins = {str(k): int(min(each, counts[str(k)])) for k in sorted(map(str, classes)) if str(k) in counts.index}
    while sum(mins.values()) > budget and any(mins.values()):
        k = max(mins, key=lambda x: (mins[x], x))  # trim the largest minimum first
        mins[k] -= 1
    return {k: v for k, v in mins.items() if v > 0}


def vote_entropy(votes: pd.DataFrame, n_classes: int) -> pd.Series:
    """Per item: Shannon entropy of its votes (``item_id, label, n``) divided by ``log(n_classes)``, in [0, 1]
    (0: unanimous or a single vote; 1: votes spread evenly over every class)."""
    if n_classes < 2:
        return pd.Series(0.0, index=pd.Index(votes["item_id"].unique(), name="item_id"))
    v = votes.groupby(["item_id", "label"], sort=False)["n"].sum().reset_index()
    p = v["n"] / v.groupby("item_id")["n"].transform("sum")
    h = (-(p * np.log(p))).groupby(v["item_id"]).sum()
    return (h / np.log(n_classes)).clip(0.0, 1.0).rename("vote_entropy")


def queue_yield(rows: pd.DataFrame, picked=None, confidence: float = 0.95) -> dict:
    """The queue's measured precision from reviews. ``rows``: ``item_id, queued, n_reviewed, n_corrected`` (one
    row per reviewed queued item, one summed row for the reviewed items not queued; ``sql/review_queue_yield.sql``).
    ``picked``: item ids of a budgeted pick (its yield too). Returns ``{"queue": {...}, "picked": {...} | None,
    "baseline": {...}, "lift"}``, each part ``{"n_reviewed", "n_corrected", "share", "ci_low", "ci_high"}``
    (share NaN without reviews)."""
    from analytics.metrics.results import wilson_interval

    def part(n, k) -> dict:
        lo, hi = wilson_interval(k, n, confidence)
        return {"n_reviewed": int(n), "n_corrected": int(k), "share": float(k / n) if n else float("nan"),
                "ci_low": float(lo), "ci_high": float(hi)}

    q = rows[rows["queued"].astype(int) == 1]
    b = rows[rows["queued"].astype(int) == 0]
    out = {"queue": part(q["n_reviewed"].sum(), q["n_corrected"].sum()),
           "baseline": part(b["n_reviewed"].sum(), b["n_corrected"].sum()), "picked": None}
    if picked is not None:
        pq = q[q["item_id"].astype(str).isin({str(x) for x in picked})]
        out["picked"] = part(pq["n_reviewed"].sum(), pq["n_corrected"].sum())
    qs, bs = out["queue"]["share"], out["baseline"]["share"]
    out["lift"] = float(qs / bs) if bs == bs and bs > 0 and qs == qs else float("nan")
    return out
