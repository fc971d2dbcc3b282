"""Krippendorff's alpha at every level (nominal, ordinal, interval, ratio) from coincidence matrices."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from analytics.metrics.agreement.base import _bucket_index, _group_codes, N_BUCKETS, _reasons
from analytics.metrics.agreement.bootstrap import _ci, _dense


# --------------------------------------------------------------------------------------------- alpha, all levels

def numeric_labels(labels: pd.Series, what: str, rows: bool = True) -> pd.Series:
    """Labels as floats (missing stay NaN); ``ValueError`` naming the first value that is not a number and,
    with ``rows``, its row (1-based position in ``labels``)."""
    num = pd.to_numeric(labels, errors="coerce")
    bad = num.isna().to_numpy() & labels.notna().to_numpy()
    if bad.any():
        pos = int(np.argmax(bad))
        where = f" at row {pos + 1}" if rows else ""
        raise ValueError(f"labels must be numeric for {what}: {labels.iloc[pos]!r}{where}")
    return num.astype(np.float64)


def _label_values(labels: pd.Index, level: str, categories: Sequence | None) -> np.ndarray:
    """Numeric value of each label for the metric of ``level`` (positions in ``categories`` if given)."""
    if categories is not None:
        cats = list(categories)
        pos = pd.Index(cats).get_indexer(labels)
        if (pos < 0).any():
            missing = [l for l, p in zip(labels, pos) if p < 0]
            raise ValueError(f"label(s) {missing[:5]!r} not in categories {cats!r}")
        return pos.astype(np.float64)
    if level == "nominal":
        return np.arange(len(labels), dtype=np.float64)
    return numeric_labels(pd.Series(np.asarray(labels, dtype=object)), f"level={level!r}", rows=False).to_numpy()


def _delta(level: str, values: np.ndarray, n_c: np.ndarray | None = None) -> np.ndarray:
    """Squared difference ``d_ck`` (Krippendorff 2011, section E); ordinal needs the marginals ``n_c`` (..., q)."""
    q = len(values)
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "interval":
        return (values[:, None] - values[None, :]) ** 2
    if level == "ratio":
        s = values[:, None] + values[None, :]
        d = values[:, None] - values[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s != 0, (d / np.where(s != 0, s, 1)) ** 2, 0.0)
    # ordinal: values are sorted ascending, so the rank order is the array order
    lo = np.minimum(np.arange(q)[:, None], np.arange(q)[None, :])
    hi = np.maximum(np.arange(q)[:, None], np.arange(q)[None, :])
    cum = np.cumsum(n_c, axis=-1)
    between = cum[..., hi] - cum[..., lo] + n_c[..., lo]
    return (between - (n_c[..., lo] + n_c[..., hi]) / 2) ** 2


def _alpha_from_coincidences(O: np.ndarray, level: str, values: np.ndarray) -> np.ndarray:
    """Alpha for coincidence matrices ``O`` of shape ``(..., q, q)``; NaN where undefined."""
    n_c = O.sum(-1)
    n = n_c.sum(-1)
    if level == "ordinal":
        d = _delta(level, values, n_c)
        Do = (O * d).sum((-1, -2))
        De = np.einsum("...i,...ij,...j->...", n_c, d, n_c)
    else:
        d = _delta(level, values)
        Do = (O * d).sum((-1, -2))
        De = np.einsum("...i,ij,...j->...", n_c, d, n_c)
    v = 1 - (n - 1) * Do / De
    return np.where((n > 0) & (De > 0), v, np.nan)


def _finish_coincidences(stats: pd.DataFrame, by_cols: list[str], level: str, categories, n_boot: int,
                         seed: int, confidence: float) -> pd.DataFrame:
    g, keys = _group_codes(stats, by_cols)
    G = len(keys)
    b = _bucket_index(stats["bucket"].to_numpy())
    labels = pd.Index(pd.unique(pd.concat([stats["label_c"], stats["label_k"]], ignore_index=True)))
    raw = _label_values(labels, level, categories)
    # categories with the same value (e.g. '1' and '1.0') are one value
    vcode, values = pd.factorize(raw, sort=True)
    values = np.asarray(values, dtype=np.float64)
    q = len(values)
    c = vcode[labels.get_indexer(stats["label_c"])]
    k = vcode[labels.get_indexer(stats["label_k"])]
    O = _dense([g, b, c, k], (G, N_BUCKETS, q, q), stats["o"].to_numpy(dtype=np.float64))
    items = np.rint(_dense([g, b], (G, N_BUCKETS), stats["prop_sum"].to_numpy(dtype=np.float64)))
    single = _dense([g, b], (G, N_BUCKETS), stats["n_single"].to_numpy(dtype=np.float64))
    occupied = (items + single) > 0
    Ot = O.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _alpha_from_coincidences(Ot, level, values)
    lo, hi = _ci({"O": O}, occupied, lambda s: _alpha_from_coincidences(s["O"], level, values), n_boot, seed,
                 confidence, (G,))
    n_items = items.sum(1)
    name = f"Krippendorff's alpha ({level})"
    reasons = []
    for gi in range(G):
        if n_items[gi] <= 0:
            reasons.append(f"no item has 2 or more ratings ({int(single[gi].sum())} item(s) rated once): "
                           f"{name} is undefined")
        elif not np.isfinite(value[gi]):
            present = np.flatnonzero(Ot[gi].sum(-1) > 0)
            reasons.append(f"every rating has the same value ({values[present[0]]!r}): expected disagreement "
                           f"is 0, so {name} is undefined")
        else:
            reasons.append(None)
    out = keys.copy()
    out["value"] = value
    out["ci_low"] = np.where(np.isfinite(value), lo, np.nan)
    out["ci_high"] = np.where(np.isfinite(value), hi, np.nan)
    out["n_items"] = n_items.astype(np.int64)
    out["n_annotations"] = np.rint(Ot.sum((-1, -2))).astype(np.int64)
    out["reason"] = _reasons(reasons)
    return out
