"""Ordinal Krippendorff's alpha on graded preference judgments (``strength``, e.g. -3..3).

Krippendorff (2011, "Computing Krippendorff's alpha-reliability", sec. C and F): coincidences
``o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (n_u - 1)`` over units with 2+ values, ``n_c = sum_k o_ck``,
ordinal distance ``d_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2`` over the ordered values observed,
``alpha = 1 - (n - 1) sum o_ck d_ck / sum n_c n_k d_ck``. A judge's repeated grades of a unit are averaged and
rounded to the nearest grade. Units and intervals as in :mod:`.agreement`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.preference._boot import N_BUCKETS, bootstrap_ci, group_codes, pair_bucket

__all__ = ["ordinal_alpha", "coincidences"]


def coincidences(codes_unit: np.ndarray, codes_value: np.ndarray, n_units: int, k: int) -> np.ndarray:
    """``(n_units, k * k)`` per-unit coincidence contributions from one value per (unit, judge)."""
    counts = np.bincount(codes_unit * k + codes_value, minlength=n_units * k).reshape(n_units, k).astype(float)
    n_u = counts.sum(1)
    with np.errstate(divide="ignore"):
        inv = np.where(n_u >= 2, 1.0 / (n_u - 1), 0.0)
    o = counts[:, :, None] * counts[:, None, :]
    o[:, np.arange(k), np.arange(k)] -= counts
    return (o * inv[:, None, None]).reshape(n_units, k * k), n_u


def _alpha_fn(k: int):
    def f(x):
        o = x[..., : k * k].reshape(x.shape[:-1] + (k, k))
        n_c = o.sum(-1)
        n = n_c.sum(-1)
        cum = np.cumsum(n_c, -1)
        # sum_{g=c..k} n_g for c <= k = cum[k] - cum[c] + n_c
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        span = cum[..., hi] - cum[..., lo] + n_c[..., lo]
        d = (span - (n_c[..., :, None] + n_c[..., None, :]) / 2) ** 2
        num = (o * d).sum((-1, -2))
        den = (n_c[..., :, None] * n_c[..., None, :] * d).sum((-1, -2))
        with np.errstate(invalid="ignore", divide="ignore"):
            a = 1 - (n - 1) * num / den
        return np.where(den > 1e-12, a, np.nan)
    return f


def ordinal_alpha(judgments: pd.DataFrame, by_cols: list[str], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Ordinal alpha per group on ``strength``; rows shaped like :func:`.agreement.agreement_from_stats`."""
    if "strength" not in judgments.columns or judgments["strength"].isna().all():
        raise ValueError("ordinal agreement needs graded judgments (a 'strength' column)")
    j = judgments[judgments["strength"].notna()]
    keys_u = [*by_cols, "dimension", "pair_id"]
    per = (j.groupby([*keys_u, "annotator_id"], sort=False, observed=True, dropna=False)
           .agg(s=("strength", "mean"), rows=("strength", "size")).reset_index())
    per["s"] = np.rint(per["s"])
    ucode, _ = pd.factorize(pd.MultiIndex.from_frame(per[keys_u]))
    vcode, values = pd.factorize(per["s"], sort=True)
    k = len(values)
    n_units = int(ucode.max()) + 1 if len(ucode) else 0
    contrib, n_u = coincidences(ucode, vcode, n_units, max(k, 1))
    first = pd.Series(np.arange(len(per))).groupby(ucode).first().to_numpy()
    unit_frame = per.iloc[first].reset_index(drop=True)
    rows_u = np.bincount(ucode, weights=per["rows"].to_numpy(float), minlength=n_units)
    g, keys = group_codes(unit_frame, by_cols)
    kk = max(k, 1) ** 2
    cube = np.zeros((len(keys), N_BUCKETS, kk + 2))
    vec = np.column_stack([contrib, (n_u >= 2).astype(float), rows_u])
    np.add.at(cube, (g, pair_bucket(unit_frame["pair_id"])), vec)
    val, lo, hi = bootstrap_ci(cube, _alpha_fn(max(k, 1)), n_boot, seed)
    tot = cube.sum(1)
    f = keys.copy().reset_index(drop=True)
    f["metric"] = "krippendorff_alpha"
    f["value"], f["ci_low"], f["ci_high"] = val, lo, hi
    f["n"] = tot[:, kk].astype(np.int64)
    f["n_judgments"] = tot[:, kk + 1].astype(np.int64)
    f["reason"] = [None if np.isfinite(v) else ("no pair has grades from two or more judges" if t[kk] == 0
                   else "all grades are equal (chance agreement is 1)") for v, t in zip(val, tot)]
    f["level"] = "ordinal"
    return f
