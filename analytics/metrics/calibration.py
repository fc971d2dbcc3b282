"""Model calibration, no I/O: reliability bins and the expected calibration error with a bootstrap interval."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from analytics.frames import require_columns
from analytics.metrics.results import Estimate, wilson_interval

__all__ = ["CalibrationResult", "calibration"]

@dataclasses.dataclass(frozen=True)
class CalibrationResult:
    """Reliability diagram and expected calibration error of one model run.

    ``bins``: ``bin, conf_low, conf_high, mean_confidence, accuracy, ci_low, ci_high, n, n_gold, n_consensus``
    (equal-width confidence bins; empty bins omitted; Wilson 95% interval on accuracy).
    ``ece``: ``Estimate`` of ECE = sum_b n_b / N |acc_b - conf_b| (Naeini et al., AAAI 2015; Guo et al.,
    ICML 2017) with a parametric-bootstrap 95% interval (bin accuracies redrawn Binomial(n_b, acc_b), bin
    confidences held fixed; seeded). ``mce`` = max_b |acc_b - conf_b|. ``reference``: what predictions were
    scored against.
    """

    bins: pd.DataFrame
    ece: Estimate
    mce: float
    n: int
    n_gold: int
    n_consensus: int
    reference: str


def _finish_calibration(stats_: pd.DataFrame, bins: int, reference: str, n_boot: int, seed: int) -> CalibrationResult:
    agg = stats_.groupby("bin", sort=True).agg(n=("n", "sum"), sum_confidence=("sum_confidence", "sum"),
                                               correct=("correct", "sum"))
    by_ref = stats_.pivot_table(index="bin", columns="reference", values="n", aggfunc="sum", fill_value=0)
    agg["n_gold"] = by_ref["gold"] if "gold" in by_ref else 0
    agg["n_consensus"] = by_ref["consensus"] if "consensus" in by_ref else 0
    agg = agg[agg["n"] > 0]
    n_b = agg["n"].to_numpy(float)
    conf = agg["sum_confidence"].to_numpy(float) / n_b
    acc = agg["correct"].to_numpy(float) / n_b
    low, high = wilson_interval(agg["correct"].to_numpy(float), n_b)
    b = agg.index.to_numpy()
    table = pd.DataFrame({"bin": b.astype(np.int64), "conf_low": b / bins, "conf_high": (b + 1) / bins,
                          "mean_confidence": conf, "accuracy": acc, "ci_low": low, "ci_high": high,
                          "n": n_b.astype(np.int64), "n_gold": agg["n_gold"].to_numpy(np.int64),
                          "n_consensus": agg["n_consensus"].to_numpy(np.int64)})
    total = int(n_b.sum())
    method = f"ECE, {bins} equal-width bins (Naeini et al. 2015; Guo et al. 2017); parametric bootstrap CI"
    if total == 0:
        ece = Estimate.undefined("no scored predictions with a confidence", method=method)
        return CalibrationResult(table, ece, math.nan, 0, 0, 0, reference)
    w = n_b / total
    ece_value = float((w * np.abs(acc - conf)).sum())
    rng = np.random.default_rng(seed)
    boot_acc = rng.binomial(n_b.astype(np.int64), acc, size=(n_boot, len(n_b))) / n_b
    boot = (w * np.abs(boot_acc - conf)).sum(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    ece = Estimate(ece_value, float(lo), float(hi), n=total, method=method)
    return CalibrationResult(table, ece, float(np.abs(acc - conf).max()), total,
                             int(table["n_gold"].sum()), int(table["n_consensus"].sum()), reference)


def _check_bins(bins: int) -> int:
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    return int(bins)


def calibration(frame: pd.DataFrame, bins: int = 10, n_boot: int = 2000, seed: int = 0) -> CalibrationResult:
    """Reliability bins and ECE from a frame ``confidence, correct`` (+ optional ``reference`` = 'gold' |
    'consensus'); bin b holds confidences in [b/bins, (b+1)/bins), confidence 1.0 in the last bin (as the SQL)."""
    bins = _check_bins(bins)
    require_columns(frame, ("confidence", "correct"), "frame")
    d = frame[frame["confidence"].notna()]
    conf = d["confidence"].to_numpy(float)
    if ((conf < 0) | (conf > 1)).any():
        raise ValueError("confidence must lie in [0, 1]")
    b = np.minimum(np.floor(conf * bins).astype(np.int64), bins - 1)
    ref = d["reference"].to_numpy() if "reference" in d.columns else np.full(len(d), "gold")
    s = pd.DataFrame({"bin": b, "reference": ref, "n": 1, "sum_confidence": conf,
                      "correct": d["correct"].to_numpy(float)})
    s = s.groupby(["bin", "reference"], as_index=False).sum()
    return _finish_calibration(s, bins, "frame", n_boot, seed)
