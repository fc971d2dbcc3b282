"""Sufficient statistics summed per (group, bucket, label): the frame equivalents of the agreement SQL."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.frames import by_list as _by_list
from analytics.metrics.agreement.base import (
    _aggregate, BUCKET_IDS, _bucket_index, _key_frame, NOMINAL_STATS, _Units,
)


def bucket_stats(df: pd.DataFrame, by=None) -> pd.DataFrame:
    """Nominal sufficient statistics per (group, item bucket, label): the pandas twin of
    ``sql/agreement_bucket_stats.sql``.

    Columns: the ``by`` columns, ``bucket`` (id, see :func:`item_bucket`), ``label``, and sums over the units
    (items within a group) of the bucket: ``n_pairable = sum n_uc`` over units with ``n_u >= 2``,
    ``o_cc = sum n_uc (n_uc - 1) / (n_u - 1)``, ``fleiss_sum = sum n_uc (n_uc - 1) / (n_u (n_u - 1))``,
    ``prop_sum = sum n_uc / n_u`` (all over pairable units), ``items_with_label`` (pairable units with a
    ``c`` rating) and ``n_single`` (units rated once, with label ``c``).
    """
    by_cols = _by_list(by)
    u = _Units(df, by_cols)
    return _bucket_stats_from_units(u, by_cols)


def _bucket_stats_from_units(u: _Units, by_cols: list[str]) -> pd.DataFrame:
    pair = u.n_u >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        o = np.where(pair, u.n_uc * (u.n_uc - 1) / (u.n_u - 1), 0.0)
        f = np.where(pair, u.n_uc * (u.n_uc - 1) / (u.n_u * (u.n_u - 1)), 0.0)
        p = np.where(pair, u.n_uc / u.n_u, 0.0)
    (g, b, lab), sums = _aggregate(
        [u.g, _bucket_index(u.bucket), u.lab],
        {"n_pairable": np.where(pair, u.n_uc, 0.0), "o_cc": o, "fleiss_sum": f, "prop_sum": p,
         "items_with_label": pair.astype(np.float64), "n_single": (~pair).astype(np.float64)},
    )
    out = _key_frame(u.keys, g, by_cols)
    out["bucket"] = BUCKET_IDS[b]
    out["label"] = u.labels[lab] if len(lab) else pd.Series([], dtype=object)
    for k in NOMINAL_STATS:
        v = sums[k]
        out[k] = v.astype(np.int64) if k in ("n_pairable", "items_with_label", "n_single") else v
    return out


def coincidence_stats(df: pd.DataFrame, by=None) -> pd.DataFrame:
    """Full coincidence sums per (group, item bucket, label pair): the pandas twin of
    ``sql/agreement_coincidences.sql`` (for ordinal / interval / ratio alpha).

    Columns: the ``by`` columns, ``bucket``, ``label_c``, ``label_k``, ``o = sum_u n_uc (n_uk - [c = k]) /
    (n_u - 1)`` over units with ``n_u >= 2``, ``prop_sum = sum_u n_uc / n_u`` on the diagonal rows (pairable
    units), ``n_single`` (units rated once, on their diagonal row).
    """
    by_cols = _by_list(by)
    u = _Units(df, by_cols)
    return _coincidence_stats_from_units(u, by_cols)


def _coincidence_stats_from_units(u: _Units, by_cols: list[str]) -> pd.DataFrame:
    # every ordered pair of (unit, label) rows within a unit: sum_u L_u^2 rows (L_u distinct labels of u)
    order = np.argsort(u.unit, kind="stable")
    unit_s = u.unit[order]
    starts = np.searchsorted(unit_s, np.arange(u.n_units))
    sizes = np.bincount(unit_s, minlength=u.n_units)
    reps = sizes[unit_s]  # each row pairs with every row of its unit
    left = np.repeat(order, reps)
    offs = np.arange(len(left)) - np.repeat(np.cumsum(reps) - reps, reps)
    right = order[np.repeat(starts[unit_s], reps) + offs]
    n_u = u.n_u[left]
    same = u.lab[left] == u.lab[right]
    pair = n_u >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        o = np.where(pair, u.n_uc[left] * (u.n_uc[right] - same) / (n_u - 1), 0.0)
        p = np.where(pair & same, u.n_uc[left] / n_u, 0.0)
    (g, b, c, k), sums = _aggregate(
        [u.g[left], _bucket_index(u.bucket[left]), u.lab[left], u.lab[right]],
        {"o": o, "prop_sum": p, "n_single": (~pair & same).astype(np.float64)},
    )
    out = _key_frame(u.keys, g, by_cols)
    out["bucket"] = BUCKET_IDS[b]
    out["label_c"] = u.labels[c] if len(c) else pd.Series([], dtype=object)
    out["label_k"] = u.labels[k] if len(k) else pd.Series([], dtype=object)
    out["o"] = sums["o"]
    out["prop_sum"] = sums["prop_sum"]
    out["n_single"] = sums["n_single"].astype(np.int64)
    return out
