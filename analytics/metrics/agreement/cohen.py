"""Cohen's kappa (unweighted / linear / quadratic) for two annotators, and the pairwise Cohen matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _sps

from analytics.frames import check_annotations
from analytics.metrics.agreement.base import _bucket_index, _buckets_of_uniques, _group_codes, N_BUCKETS, _reasons
from analytics.metrics.agreement.bootstrap import _ci, _dense


# --------------------------------------------------------------------------------------------- Cohen

def _cohen_weights(pos: np.ndarray, weights) -> np.ndarray:
    """Disagreement weights ``(..., q, q)`` from category positions ``(..., q)``."""
    diff = pos[..., :, None] - pos[..., None, :]
    if weights is None:
        return (diff != 0).astype(np.float64)
    if weights == "linear":
        return np.abs(diff).astype(np.float64)
    return (diff * diff).astype(np.float64)


def _cohen_value(s: dict[str, np.ndarray], w: np.ndarray) -> np.ndarray:
    n = s["n"]
    r, c = s["rows"], s["cols"]
    De = np.einsum("...gi,gij,...gj->...g", r, w, c) / (n * n)
    v = 1 - (s["dis"] / n) / De
    return np.where((n > 0) & (De > 0), v, np.nan)


def _finish_cohen(df: pd.DataFrame, by_cols: list[str], weights, categories, n_boot: int, seed: int,
                  confidence: float) -> pd.DataFrame:
    d = check_annotations(df, extra=by_cols)
    annotators = pd.unique(d["annotator_id"])
    if len(annotators) != 2:
        raise ValueError(
            f"Cohen's kappa needs exactly two annotators, found {len(annotators)}; use pairwise_cohen for all "
            "pairs or a multi-rater metric (krippendorff, fleiss, gwet_ac1)")
    first = sorted(annotators, key=str)[0]
    g_row, keys = _group_codes(d, by_cols)
    G = len(keys)
    item_codes, items = pd.factorize(d["item_id"])
    if categories is not None:
        cats = pd.Index(list(categories))
        lab = cats.get_indexer(d["label"])
        if (lab < 0).any():
            raise ValueError(f"label {d['label'].iloc[int(np.argmax(lab < 0))]!r} not in categories {list(cats)!r}")
        labels = cats
    else:
        lab, labels = pd.factorize(d["label"], sort=True)
    q = len(labels)
    is_a = (d["annotator_id"] == first).to_numpy()
    n_it = max(len(items), 1)
    unit = g_row * n_it + item_codes
    ucodes, uuniq = pd.factorize(unit)
    dup = np.bincount(ucodes * 2 + is_a, minlength=2 * len(uuniq))
    if (dup > 1).any():
        bad = int(np.argmax(dup > 1)) // 2
        raise ValueError(f"an annotator rated item {items[uuniq[bad] % n_it]!r} more than once; Cohen's kappa "
                         "needs one label per annotator and item")
    la = np.full(len(uuniq), -1)
    lb = np.full(len(uuniq), -1)
    la[ucodes[is_a]] = lab[is_a]
    lb[ucodes[~is_a]] = lab[~is_a]
    paired = (la >= 0) & (lb >= 0)
    ug = (uuniq // n_it)[paired]
    ub = _bucket_index(_buckets_of_uniques(items)[(uuniq % n_it)[paired]])
    la, lb = la[paired], lb[paired]
    # category positions: the given order, else the sorted categories observed in the group
    if categories is not None:
        pos = np.broadcast_to(np.arange(q, dtype=np.float64), (G, q))
    else:
        seen = _dense([ug, la], (G, q), np.ones(len(la))) + _dense([ug, lb], (G, q), np.ones(len(lb))) > 0
        pos = np.cumsum(seen, axis=1) - 1.0
    w = _cohen_weights(pos, weights)  # (G, q, q)
    arrays = {
        "n": _dense([ug, ub], (G, N_BUCKETS), np.ones(len(la))),
        "dis": _dense([ug, ub], (G, N_BUCKETS), w[ug, la, lb] if len(la) else np.zeros(0)),
        "rows": _dense([ug, ub, la], (G, N_BUCKETS, q), np.ones(len(la))),
        "cols": _dense([ug, ub, lb], (G, N_BUCKETS, q), np.ones(len(lb))),
    }
    tot = {k: a.sum(1) for k, a in arrays.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _cohen_value(tot, w)
    occupied = arrays["n"] > 0
    lo, hi = _ci(arrays, occupied, lambda s: _cohen_value(s, w), n_boot, seed, confidence, (G,))
    reasons = []
    for gi in range(G):
        if tot["n"][gi] <= 0:
            reasons.append("no item was rated by both annotators: Cohen's kappa is undefined")
        elif not np.isfinite(value[gi]):
            reasons.append("both annotators used one and the same category only: chance agreement is 1, so "
                           "Cohen's kappa is undefined")
        else:
            reasons.append(None)
    out = keys.copy()
    out["value"] = value
    out["ci_low"] = np.where(np.isfinite(value), lo, np.nan)
    out["ci_high"] = np.where(np.isfinite(value), hi, np.nan)
    out["n_items"] = tot["n"].astype(np.int64)
    out["n_annotations"] = 2 * tot["n"].astype(np.int64)
    out["reason"] = _reasons(reasons)
    return out


# --------------------------------------------------------------------------------------------- pairwise Cohen

def _pairwise_from_counts(pairs: pd.DataFrame, min_shared: int, confidence: float) -> pd.DataFrame:
    """Cohen's kappa per annotator pair from long counts ``annotator_a, annotator_b, label_a, label_b, n``.

    Vectorised over pairs; the interval is the asymptotic one of Fleiss, Cohen & Everitt (1969) (as
    ``statsmodels.stats.inter_rater.cohens_kappa``: ``kappa +- z * std_kappa``, clipped to [-1, 1]).
    """
    cols = ["annotator_a", "annotator_b", "kappa", "ci_low", "ci_high", "n_shared", "reason"]
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("annotator_a", "annotator_b", "reason")
                                          else float) for c in cols})
    n = pairs["n"].to_numpy(dtype=np.float64)
    pcode, puniq = pd.factorize(pd.MultiIndex.from_frame(pairs[["annotator_a", "annotator_b"]]), sort=True)
    labs, _ = pd.factorize(pd.concat([pairs["label_a"], pairs["label_b"]], ignore_index=True), sort=True)
    la, lb = labs[: len(pairs)], labs[len(pairs):]
    P, q = len(puniq), int(labs.max()) + 1
    N = np.bincount(pcode, weights=n, minlength=P)
    keep = N >= min_shared
    R = _dense([pcode, la], (P, q), n) / N[:, None]  # rater A marginals
    C = _dense([pcode, lb], (P, q), n) / N[:, None]  # rater B marginals
    diag = la == lb
    po = np.bincount(pcode, weights=n * diag, minlength=P) / N
    pe = (R * C).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (po - pe) / (1 - pe)
        pij = n / N[pcode]
        term_a = np.bincount(pcode, weights=np.where(diag, pij * (1 - (R[pcode, la] + C[pcode, la])
                                                                 * (1 - kappa[pcode])) ** 2, 0.0), minlength=P)
        term_b = (1 - kappa) ** 2 * np.bincount(
            pcode, weights=np.where(diag, 0.0, pij * (C[pcode, la] + R[pcode, lb]) ** 2), minlength=P)
        term_c = (kappa - pe * (1 - kappa)) ** 2
        var = (term_a + term_b - term_c) / (1 - pe) ** 2 / N
    defined = pe < 1 - 1e-12
    z = _sps.norm.ppf(0.5 + confidence / 2)
    se = np.sqrt(np.clip(var, 0, None))
    out = puniq.to_frame(index=False)
    out.columns = ["annotator_a", "annotator_b"]
    out["kappa"] = np.where(defined, kappa, np.nan)
    out["ci_low"] = np.where(defined, np.clip(kappa - z * se, -1, 1), np.nan)
    out["ci_high"] = np.where(defined, np.clip(kappa + z * se, -1, 1), np.nan)
    out["n_shared"] = N.astype(np.int64)
    out["reason"] = _reasons([None if d else "both annotators used one and the same category only: kappa is "
                              "undefined" for d in defined])
    return out[keep].reset_index(drop=True)[cols]


def pairwise_cohen(df: pd.DataFrame, min_shared: int = 20, confidence: float = 0.95) -> pd.DataFrame:
    """Cohen's kappa for every annotator pair sharing at least ``min_shared`` items, in one grouped computation.

    Long frame ``annotator_a, annotator_b, kappa, ci_low, ci_high, n_shared, reason`` (``annotator_a <
    annotator_b``; ``n_shared`` = items both rated). Each pair of annotations of the same item by two different
    annotators counts once (an annotator who rated an item twice contributes both ratings).
    """
    d = check_annotations(df)[["item_id", "annotator_id", "label"]]
    d = d.assign(annotator_id=d["annotator_id"].astype(str))
    m = d.merge(d, on="item_id", suffixes=("_a", "_b"))
    m = m[m["annotator_id_a"] < m["annotator_id_b"]]
    counts = (m.groupby(["annotator_id_a", "annotator_id_b", "label_a", "label_b"], sort=True, observed=True)
              .size().rename("n").reset_index()
              .rename(columns={"annotator_id_a": "annotator_a", "annotator_id_b": "annotator_b"}))
    return _pairwise_from_counts(counts, min_shared, confidence)
