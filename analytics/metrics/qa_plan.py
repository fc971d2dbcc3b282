"""QA sample planning, no I/O: how many items of each class to review (rate, precision and minimum rules), the
over-sampled strata (class x flag), each stratum's inclusion probability and design weight, and the
Horvitz-Thompson estimate from the reviewed sample."""
from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import require_columns
from analytics.metrics.results import Estimate

__all__ = ["FLAG_WORDS", "plan_qa_sample", "plan_qa_strata", "reweighted_accuracy", "stratum_name", "systematic_keys"]

def _per_label(value: float | Mapping[str, float] | pd.Series, labels: pd.Series, name: str) -> np.ndarray:
    if isinstance(value, (Mapping, pd.Series)):
        mapping = dict(value)
        missing = [l for l in labels if l not in mapping]
        if missing:
            raise ValueError(f"{name} has no value for label(s) {missing!r}")
        return labels.map(mapping).to_numpy(dtype=float)
    return np.full(len(labels), float(value))


def plan_qa_sample(population: pd.DataFrame, min_rate: float | Mapping[str, float] = 0.10,
                   half_width: float | None = None, expected_accuracy: float = 0.9, confidence: float = 0.95,
                   min_count: int | None = None) -> pd.DataFrame:
    """How many items of each class to review.

    ``population``: ``label, population`` (items per class). Per class, ``n`` is the largest of

    - ``n_rate = ceil(min_rate * N)`` (``min_rate`` a number or a ``{label: rate}`` mapping, e.g. per tier);
    - ``n_precision``: the sample size whose 95% (``confidence``) normal half-width for an accuracy near
      ``expected_accuracy`` is at most ``half_width``, with the finite population correction
      (Cochran 1977, ch. 4: ``n0 = z^2 p (1 - p) / d^2``, ``n = n0 / (1 + (n0 - 1) / N)``); 0 if no half-width;
    - ``min_count`` (if given),

    capped at the population ``N``. Returns ``label, population, n_rate, n_precision, n_min, n, rate``
    (``n / N``), ``expected_half_width`` (normal half-width with fpc at ``n``; NaN when n = 0) and ``capped``.
    """
    require_columns(population, ("label", "population"), "population")
    if half_width is not None and not (0 < half_width < 1):
        raise ValueError(f"half_width must lie in (0, 1), got {half_width!r}")
    if not (0 < expected_accuracy < 1):
        raise ValueError(f"expected_accuracy must lie in (0, 1), got {expected_accuracy!r}")
    labels = population["label"]
    N = pd.to_numeric(population["population"], errors="coerce")
    if N.isna().any() or (N < 0).any():
        raise ValueError("population must hold non-negative counts")
    N = N.to_numpy(dtype=float)
    rate = _per_label(min_rate, labels, "min_rate")
    if np.any((rate < 0) | (rate > 1)):
        raise ValueError("min_rate must lie in [0, 1]")
    z = stats.norm.ppf(0.5 + confidence / 2)
    pq = expected_accuracy * (1 - expected_accuracy)
    # round before ceil so that e.g. 0.1 * 30 = 3.0000000000000004 asks for 3 items, not 4
    n_rate = np.ceil(np.round(rate * N, 9))
    if half_width is None:
        n_prec = np.zeros_like(N)
    else:
        n0 = z * z * pq / (half_width * half_width)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_prec = np.where(N > 0, np.ceil(np.round(n0 / (1 + (n0 - 1) / np.where(N > 0, N, 1)), 9)), 0)
    n_min = np.full_like(N, float(min_count or 0))
    want = np.maximum.reduce([n_rate, n_prec, n_min])
    n = np.minimum(want, N)
    with np.errstate(invalid="ignore", divide="ignore"):
        fpc = np.where(N > 1, (N - n) / np.where(N > 1, N - 1, 1), 0.0)
        hw = np.where(n > 0, z * np.sqrt(pq / np.where(n > 0, n, 1) * np.clip(fpc, 0, 1)), np.nan)
        share = np.where(N > 0, n / np.where(N > 0, N, 1), np.nan)
    return pd.DataFrame({
        "label": labels.to_numpy(), "population": N.astype("int64"),
        "n_rate": n_rate.astype("int64"), "n_precision": n_prec.astype("int64"), "n_min": n_min.astype("int64"),
        "n": n.astype("int64"), "rate": share, "expected_half_width": hw, "capped": want > N,
    })


# --------------------------------------------------------------------------------------------------------------
# strata, over-sampling, inclusion probabilities and the reweighted estimate
# --------------------------------------------------------------------------------------------------------------

FLAG_WORDS = {"systematic": "systematic confusion", "drift": "drifting annotator", "none": "rest of the class"}
STRATUM_COLUMNS = ("label", "flag", "stratum", "population", "n", "inclusion_probability", "weight", "why")


def systematic_keys(findings: pd.DataFrame) -> list[str]:
    """``'<class>|<group>'`` keys of the groups where a systematic confusion concentrates, for both classes of the
    pair (the true class and the label it is confused with), from a ``systematic_confusions`` frame (rows with
    ``systematic`` True). Groups holding a missing value (``(missing)``) are skipped."""
    if findings is None or findings.empty:
        return []
    hits = findings[findings["systematic"].astype(bool) & findings["concentrated_in"].notna()]
    keys = set()
    for r in hits.itertuples(index=False):
        group = str(r.concentrated_in)
        if "(missing)" in group:
            continue
        keys.update({f"{r.true_label}|{group}", f"{r.label}|{group}"})
    return sorted(keys)


def stratum_name(label: str, flag: str) -> str:
    """Readable stratum name: ``'bicycle / systematic confusion'``."""
    return f"{label} / {FLAG_WORDS.get(flag, flag)}"


def plan_qa_strata(strata: pd.DataFrame, min_rate: float | Mapping[str, float] = 0.10,
                   half_width: float | None = None, expected_accuracy: float = 0.9, confidence: float = 0.95,
                   min_count: int | None = None, oversample: float = 3.0,
                   class_minimum: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Per stratum (class x flag) sample sizes, inclusion probabilities and weights.

    ``strata``: ``label, flag, population`` (items eligible for QA in the stratum, e.g. not yet checked; ``flag``
    ``'systematic'``, ``'drift'`` or ``'none'``). Steps:

    1. per class, ``n_c`` from :func:`plan_qa_sample` on the class's eligible items (rate, precision, minimum),
       raised to ``class_minimum[c]`` (e.g. the items a class lacks to reach its QA rate), capped at ``N_c``;
    2. the class's base inclusion probability ``p_c = n_c / N_c`` applies to its ``'none'`` stratum; flagged
       strata are over-sampled at ``min(1, oversample * p_c)``; ``n_h = ceil(p_h N_h)`` (at most ``N_h``).

    Each stratum is then drawn as a simple random sample of ``n_h`` of its ``N_h`` items, so every item of the
    stratum has inclusion probability ``pi_h = n_h / N_h`` and design weight ``1 / pi_h = N_h / n_h``
    (Horvitz & Thompson 1952; Cochran 1977, ch. 5). Returns ``label, flag, stratum, population, n,
    inclusion_probability, weight, why`` (why the stratum is sampled more than its class's base rate, else None).
    """
    require_columns(strata, ("label", "flag", "population"), "strata")
    if oversample < 1:
        raise ValueError(f"oversample must be at least 1, got {oversample!r}")
    s = strata.copy()
    s["label"] = s["label"].astype(str)
    s["population"] = pd.to_numeric(s["population"], errors="coerce")
    if s["population"].isna().any() or (s["population"] < 0).any():
        raise ValueError("strata population must hold non-negative counts")
    classes = s.groupby("label", sort=True)["population"].sum().rename("population").reset_index()
    base = plan_qa_sample(classes, min_rate=min_rate, half_width=half_width, expected_accuracy=expected_accuracy,
                          confidence=confidence, min_count=min_count)
    n_c = base.set_index("label")["n"].astype(float)
    N_c = base.set_index("label")["population"].astype(float)
    deficit = pd.Series(dict(class_minimum or {}), dtype=float).reindex(n_c.index).fillna(0)
    raised = deficit > n_c
    n_c = np.minimum(np.maximum(n_c, deficit), N_c)
    p_c = (n_c / N_c.where(N_c > 0)).fillna(0.0)
    N = s["population"].to_numpy(float)
    flagged = (s["flag"].astype(str) != "none").to_numpy()
    p_base = s["label"].map(p_c).to_numpy(float)
    p_want = np.where(flagged, np.minimum(1.0, oversample * p_base), p_base)
    n = np.minimum(np.ceil(np.round(p_want * N, 9)), N)
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = np.where(N > 0, n / np.where(N > 0, N, 1), np.nan)
        w = np.where(n > 0, N / np.where(n > 0, n, 1), np.nan)
    why = np.full(len(s), None, dtype=object)
    lab_raised = s["label"].map(raised).fillna(False).to_numpy(bool)
    why[lab_raised] = "class under its QA rate"
    for flag, word in (("systematic", "systematic confusion"), ("drift", "drifting annotator")):
        m = (s["flag"].astype(str) == flag).to_numpy() & (n > 0)
        why[m] = [f"{word} ({oversample:g}x the class's rate)" + ("; class under its QA rate" if r else "")
                  for r in lab_raised[m]]
    out = pd.DataFrame({"label": s["label"].to_numpy(), "flag": s["flag"].astype(str).to_numpy(),
                        "stratum": [stratum_name(l, fl) for l, fl in zip(s["label"], s["flag"].astype(str))],
                        "population": N.astype("int64"), "n": n.astype("int64"), "inclusion_probability": pi,
                        "weight": w, "why": why})
    return out.sort_values(["label", "flag"], kind="mergesort").reset_index(drop=True)[list(STRATUM_COLUMNS)]


def reweighted_accuracy(sample: pd.DataFrame, correct: str = "correct", weight: str = "weight",
                        stratum: str = "stratum", confidence: float = 0.95) -> Estimate:
    """Accuracy of the population the sample was drawn from, from a reviewed stratified sample with design weights.

    ``sample``: one row per reviewed item with ``correct`` (1/0 or bool), ``weight`` (``1 / pi``, as exported by
    the planner) and ``stratum``. Horvitz-Thompson estimator of the mean with the known population size
    ``N = sum_h N_h`` (``N_h`` = the weight sum of the stratum: ``n_h * N_h / n_h``)::

        p_HT = sum_i w_i y_i / N
        v    = sum_h (N_h / N)^2 (1 - n_h / N_h) s_h^2 / n_h          (stratified SRS, s_h^2 the sample variance)

    normal interval clipped to [0, 1]. Strata with one reviewed item contribute no variance (noted in
    ``method``). If some planned items were not reviewed, pass the reviewed ones with weights recomputed as
    ``N_h / reviewed_h`` (the estimator then assumes the missing ones are missing at random within the stratum).
    """
    require_columns(sample, (correct, weight, stratum), "sample")
    d = sample[[correct, weight, stratum]].dropna()
    if d.empty:
        return Estimate.undefined("no reviewed item with a weight", n=0, method="Horvitz-Thompson")
    y = d[correct].astype(float).to_numpy()
    w = d[weight].astype(float).to_numpy()
    if (w < 1).any():
        raise ValueError("weights are 1 / inclusion probability and must be at least 1")
    N = float(w.sum())
    value = float((w * y).sum() / N)
    g = pd.DataFrame({"s": d[stratum].to_numpy(), "y": y, "w": w}).groupby("s")
    N_h, n_h = g["w"].sum(), g["y"].size()
    s2 = g["y"].var(ddof=1).fillna(0.0)
    var = float((((N_h / N) ** 2) * (1 - n_h / N_h).clip(lower=0) * s2 / n_h).sum())
    z = stats.norm.ppf(0.5 + confidence / 2)
    se = math.sqrt(max(var, 0.0))
    method = "Horvitz-Thompson (stratified SRS, design weights), normal interval"
    if (n_h < 2).any():
        method += f"; {int((n_h < 2).sum())} stratum(s) with one reviewed item add no variance"
    return Estimate(value=value, ci_low=max(0.0, value - z * se), ci_high=min(1.0, value + z * se), n=len(d),
                    n_items=len(d), method=method)
