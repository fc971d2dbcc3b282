"""Per-category agreement: specific agreement and Fleiss' category kappa, with intervals."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.frames import by_list as _by_list
from analytics.metrics.agreement.base import _key_frame, _PER_CATEGORY_COLS, _reasons
from analytics.metrics.agreement.bootstrap import _ci
from analytics.metrics.agreement.nominal import _NEEDS, _NominalArrays
from analytics.metrics.agreement.stats import bucket_stats


# --------------------------------------------------------------------------------------------- per category

def _per_category_values(s: dict[str, np.ndarray]) -> np.ndarray:
    """Stack ``(..., 2, q)``: specific agreement and Fleiss' category kappa; NaN where undefined."""
    npair = s["n_pairable"]
    spec = np.where(npair > 0, s["o_cc"] / npair, np.nan)
    N = s["items"][..., None]
    p = s["prop_sum"] / N
    kap = 1 - (s["prop_sum"] - s["fleiss_sum"]) / (N * p * (1 - p))
    kap = np.where((s["prop_sum"] > 0) & (p < 1 - 1e-12) & (N > 0), kap, np.nan)
    return np.stack([spec, kap], axis=-2)


def _finish_per_category(stats: pd.DataFrame, by_cols: list[str], n_boot: int, seed: int,
                         confidence: float) -> pd.DataFrame:
    A = _NominalArrays(stats, by_cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = _per_category_values(A.total)  # (G, 2, q)
    lo, hi = _ci({k: A.arrays[k] for k in _NEEDS["per_category"]}, A.occupied, _per_category_values, n_boot,
                 seed, confidence, point.shape)
    gi, ci = np.nonzero(A.total["n_pairable"] > 0)
    out = _key_frame(A.keys, gi, by_cols)
    out["label"] = A.labels[ci] if len(ci) else pd.Series([], dtype=object)
    out["specific_agreement"] = point[gi, 0, ci]
    out["ci_low"] = lo[gi, 0, ci]
    out["ci_high"] = hi[gi, 0, ci]
    kap = point[gi, 1, ci]
    out["fleiss_kappa"] = kap
    out["kappa_ci_low"] = np.where(np.isfinite(kap), lo[gi, 1, ci], np.nan)
    out["kappa_ci_high"] = np.where(np.isfinite(kap), hi[gi, 1, ci], np.nan)
    out["n_annotations"] = A.total["n_pairable"][gi, ci].astype(np.int64)
    out["n_items"] = A.total["items_with_label"][gi, ci].astype(np.int64)
    out["reason"] = _reasons([None if np.isfinite(k) else
                              "the category is every pairable rating of the group: its kappa is undefined"
                              for k in kap])
    return out[[*by_cols, *_PER_CATEGORY_COLS]].reset_index(drop=True)


def per_category_agreement(df: pd.DataFrame, by=None, n_boot: int = 1000, seed: int = 0,
                           confidence: float = 0.95) -> pd.DataFrame:
    """Which class is ambiguous: one row per (group,) label with a pairable rating.

    Columns: ``by`` columns, ``label, specific_agreement, ci_low, ci_high`` (``o_cc / n_c``, bootstrap CI),
    ``fleiss_kappa, kappa_ci_low, kappa_ci_high`` (Fleiss' category kappa), ``n_annotations`` (pairable ratings
    of the label), ``n_items`` (items with 2+ ratings, one of them the label), ``reason``.
    """
    by_cols = _by_list(by)
    return _finish_per_category(bucket_stats(df, by_cols), by_cols, n_boot, seed, confidence)
