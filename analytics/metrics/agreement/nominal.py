"""Nominal coefficients from the bucket statistics: percent agreement, Fleiss' kappa, Gwet's AC1, Scott's pi
and nominal alpha."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.agreement.base import (
    _bucket_index, _group_codes, N_BUCKETS, _NAMES, NOMINAL_STATS, _reasons,
)
from analytics.metrics.agreement.bootstrap import _ci, _dense


class _NominalArrays:
    """Dense per-(group, bucket, label) statistics from a :func:`bucket_stats` frame (pandas or SQL)."""

    def __init__(self, stats: pd.DataFrame, by_cols: list[str]):
        self.g, self.keys = _group_codes(stats, by_cols)
        self.G = len(self.keys)
        b = _bucket_index(stats["bucket"].to_numpy())
        lab, labels = pd.factorize(stats["label"], sort=True)
        self.labels = pd.Index(labels)
        self.q = len(labels)
        shape = (self.G, N_BUCKETS, self.q)
        self.arrays = {k: _dense([self.g, b, lab], shape, stats[k].to_numpy(dtype=np.float64))
                       for k in NOMINAL_STATS}
        # pairable units per bucket: sum over labels of n_uc / n_u is 1 per unit (rounded: exact count)
        self.arrays["items"] = np.rint(self.arrays["prop_sum"].sum(-1))
        self.occupied = (self.arrays["n_pairable"] + self.arrays["n_single"]).sum(-1) > 0
        tot = {k: a.sum(1) for k, a in self.arrays.items()}
        self.total = tot
        self.q_obs = ((tot["n_pairable"] + tot["n_single"]) > 0).sum(-1)  # categories observed per group


def _nominal_value(metric: str, s: dict[str, np.ndarray], q_obs: np.ndarray) -> np.ndarray:
    """Metric from summed statistics (leading dims ``(..., G)``, label last); NaN where undefined."""
    N = s["items"]
    npair = s.get("n_pairable")
    pbar = s["fleiss_sum"].sum(-1) / N if "fleiss_sum" in s else None
    if metric == "percent":
        v = pbar
        bad = N <= 0
    elif metric in ("fleiss", "gwet_ac1"):
        everyone = s["prop_sum"] + s["n_single"]
        n_all = everyone.sum(-1)
        p = everyone / n_all[..., None]
        if metric == "fleiss":
            pe = (p * p).sum(-1)
            bad = (N <= 0) | ((everyone > 0).sum(-1) < 2)
        else:
            pe = (p * (1 - p)).sum(-1) / (q_obs - 1)
            bad = (N <= 0) | (q_obs < 2)
        v = (pbar - pe) / (1 - pe)
    elif metric == "scott_pi":
        p = npair / npair.sum(-1)[..., None]
        pe = (p * p).sum(-1)
        v = (pbar - pe) / (1 - pe)
        bad = (N <= 0) | ((npair > 0).sum(-1) < 2)
    elif metric == "krippendorff":
        n = npair.sum(-1)
        v = 1 - (n - 1) * (n - s["o_cc"].sum(-1)) / (n * n - (npair * npair).sum(-1))
        bad = (N <= 0) | ((npair > 0).sum(-1) < 2)
    else:  # pragma: no cover - checked by callers
        raise ValueError(metric)
    return np.where(bad, np.nan, v)


def _nominal_reasons(metric: str, A: _NominalArrays) -> list[str | None]:
    name = _NAMES[metric]
    tot = A.total
    out: list[str | None] = []
    for g in range(A.G):
        N = tot["items"][g]
        n_single = int(tot["n_single"][g].sum())
        if N <= 0:
            out.append(f"no item has 2 or more ratings ({n_single} item(s) rated once): {name} is undefined")
            continue
        if metric in ("fleiss", "gwet_ac1"):
            present = (tot["prop_sum"][g] + tot["n_single"][g]) > 0
        else:
            present = tot["n_pairable"][g] > 0
        if metric != "percent" and present.sum() < 2:
            only = A.labels[np.flatnonzero(present)[0]] if present.any() else None
            out.append(f"every rating is the same category ({only!r}): chance agreement is 1, so {name} is "
                       "undefined")
            continue
        out.append(None)
    return out


# the per-bucket statistics each metric reads (only these are resampled)
_NEEDS = {
    "percent": ("fleiss_sum", "items"),
    "fleiss": ("fleiss_sum", "prop_sum", "n_single", "items"),
    "gwet_ac1": ("fleiss_sum", "prop_sum", "n_single", "items"),
    "scott_pi": ("fleiss_sum", "n_pairable", "items"),
    "krippendorff": ("o_cc", "n_pairable", "items"),
    "per_category": ("o_cc", "n_pairable", "fleiss_sum", "prop_sum", "items"),
}


def _finish_nominal(stats: pd.DataFrame, by_cols: list[str], metric: str, n_boot: int, seed: int,
                    confidence: float) -> pd.DataFrame:
    A = _NominalArrays(stats, by_cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _nominal_value(metric, A.total, A.q_obs)
    lo, hi = _ci({k: A.arrays[k] for k in _NEEDS[metric]}, A.occupied,
                 lambda s: _nominal_value(metric, s, A.q_obs), n_boot, seed, confidence, (A.G,))
    out = A.keys.copy()
    out["value"] = value
    out["ci_low"] = np.where(np.isfinite(value), lo, np.nan)
    out["ci_high"] = np.where(np.isfinite(value), hi, np.nan)
    out["n_items"] = A.total["items"].astype(np.int64)
    out["n_annotations"] = A.total["n_pairable"].sum(-1).astype(np.int64)
    out["reason"] = _reasons(_nominal_reasons(metric, A))
    return out
