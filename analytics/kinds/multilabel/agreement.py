"""Multi-label set agreement. Frame (declared once): ``item_id, annotator_id, label``, one row per chosen
label; an annotator who chose nothing on an item has one row with an empty (or missing) label.

* Krippendorff's alpha with the MASI distance (Passonneau 2006): ``d(A, B) = 1 - J(A, B) * M`` with Jaccard
  ``J`` and ``M`` = 1 (equal), 2/3 (one a subset of the other), 1/3 (overlap), 0 (disjoint); ``d(∅, ∅) = 0``.
  ``alpha = 1 - D_o / D_e`` over items with 2+ annotators, ``D_o = sum_u sum_{i != k in u} d / (n_u - 1) / n``,
  ``D_e = sum_{i != k} d / (n (n - 1))`` over all pairable values (as ``nltk`` ``AnnotationTask.alpha``).
* per label: nominal alpha of the binary "label chosen" ratings; exact-set agreement and mean Jaccard over
  annotator pairs within items.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analytics.frames import require_columns
from analytics.metrics.matching import within_group_pairs

__all__ = ["MULTILABEL_COLUMNS", "check_multilabel", "label_sets", "masi_matrix", "multilabel_agreement_json"]

MULTILABEL_COLUMNS = ("item_id", "annotator_id", "label")


def check_multilabel(df: pd.DataFrame, what: str = "multi-label annotations") -> pd.DataFrame:
    require_columns(df, MULTILABEL_COLUMNS, what)
    out = df[list(MULTILABEL_COLUMNS)].astype({"item_id": str, "annotator_id": str})
    bad = out[["item_id", "annotator_id"]].isna().any(axis=1).to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"row {df.index[k]!r}: item_id and annotator_id must be present")
    return out


def label_sets(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.Index]:
    """``(units, X, labels)``: ``units`` one row per (item, annotator); ``X`` the boolean (units x labels)
    membership matrix."""
    d = check_multilabel(df)
    has = d["label"].notna() & (d["label"].astype(str) != "")
    units = d[["item_id", "annotator_id"]].drop_duplicates().reset_index(drop=True)
    uc = pd.MultiIndex.from_frame(units).get_indexer(pd.MultiIndex.from_frame(d.loc[has, ["item_id", "annotator_id"]]))
    labels = pd.Index(sorted(d.loc[has, "label"].astype(str).unique()))
    X = np.zeros((len(units), len(labels)), dtype=bool)
    X[uc, labels.get_indexer(d.loc[has, "label"].astype(str))] = True
    return units, X, labels


def masi_matrix(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """MASI distance between the rows of two boolean membership matrices, ``(len(A), len(B))``."""
    A, B = A.astype(np.float64), B.astype(np.float64)
    inter = A @ B.T
    na, nb = A.sum(1)[:, None], B.sum(1)[None, :]
    union = na + nb - inter
    m = np.where((inter == na) & (inter == nb), 1.0,
                 np.where(inter == np.minimum(na, nb), 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, 1 - inter / union * m, 0.0)


def _pairwise_masi(X: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    A, B = X[i].astype(np.float64), X[j].astype(np.float64)
    inter, na, nb = (A * B).sum(1), A.sum(1), B.sum(1)
    union = na + nb - inter
    m = np.where((inter == na) & (inter == nb), 1.0,
                 np.where(inter == np.minimum(na, nb), 2 / 3, np.where(inter > 0, 1 / 3, 0.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / union, 1.0)
    return np.where(union > 0, 1 - jac * m, 0.0), jac


def _alpha(units: pd.DataFrame, X: np.ndarray) -> float:
    """MASI alpha; distinct sets are the values, so ``D_e`` needs one (sets x sets) distance matrix."""
    item = pd.factorize(units["item_id"])[0]
    n_u = np.bincount(item)[item]
    ok = n_u >= 2
    Xp, itp, nup = X[ok], item[ok], n_u[ok]
    n = len(Xp)
    if n < 2:
        return float("nan")
    i, j = within_group_pairs(itp)
    d, _ = _pairwise_masi(Xp, i, j)
    Do = (2 * d / (nup[i] - 1)).sum() / n
    vals, inv = np.unique(Xp, axis=0, return_inverse=True)
    cnt = np.bincount(inv.ravel()).astype(float)
    De = (cnt[:, None] * cnt[None, :] * masi_matrix(vals, vals)).sum() / (n * (n - 1))
    if De == 0:
        return 1.0 if Do == 0 else float("nan")
    return float(1 - Do / De)


def _binary_alpha(units: pd.DataFrame, X: np.ndarray) -> np.ndarray:
    """Nominal alpha of each label's 0/1 ratings, vectorised over labels (Krippendorff 2011)."""
    item = pd.factorize(units["item_id"])[0]
    n_u = np.bincount(item)[item].astype(float)
    ok = n_u >= 2
    Xk, itk, nuk = X[ok].astype(float), item[ok], n_u[ok]
    n = len(Xk)
    G = int(itk.max()) + 1 if n else 0
    ones = np.zeros((G, X.shape[1]))
    np.add.at(ones, itk, Xk)
    nu = np.bincount(itk, minlength=G).astype(float)
    # observed disagreement: ordered pairs of different values in each unit / (n_u - 1)
    Do = (2 * ones * (nu[:, None] - ones) / np.maximum(nu[:, None] - 1, 1)).sum(0) / n
    n1 = ones.sum(0)
    De = 2 * n1 * (n - n1) / (n * (n - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(De > 0, 1 - Do / De, np.nan)


def _bucket_stats(units: pd.DataFrame, X: np.ndarray) -> dict:
    """Sufficient statistics per md5 item bucket (64 rows, :mod:`analytics.metrics.matching`): every summary of
    :func:`multilabel_agreement_json` is a ratio of sums of these, so a bootstrap replicate is a weighted sum."""
    from analytics.metrics.agreement import BUCKET_IDS, item_bucket
    from analytics.metrics.matching import N_BUCKETS

    item, uniq = pd.factorize(units["item_id"])
    bucket_of_item = np.searchsorted(BUCKET_IDS, item_bucket(pd.Series(uniq, dtype=object).astype(str)).to_numpy())
    n_u = np.bincount(item)[item]
    ok = n_u >= 2
    Xp, itp, nup = X[ok], item[ok], n_u[ok]
    bu = bucket_of_item[itp]
    i, j = within_group_pairs(itp)
    d, jac = _pairwise_masi(Xp, i, j)
    exact = (Xp[i] == Xp[j]).all(1)
    pb = bu[i]
    vals, inv = np.unique(Xp, axis=0, return_inverse=True) if len(Xp) else (np.zeros((0, X.shape[1]), bool),
                                                                              np.zeros(0, np.int64))
    inv = inv.ravel()
    C = np.zeros((N_BUCKETS, len(vals)))
    np.add.at(C, (bu, inv), 1.0)
    G = int(itp.max()) + 1 if len(itp) else 0
    ones = np.zeros((G, X.shape[1]))
    np.add.at(ones, itp, Xp.astype(float))
    nu = np.bincount(itp, minlength=G).astype(float)
    do_item = 2 * ones * (nu[:, None] - ones) / np.maximum(nu[:, None] - 1, 1)
    present = nu > 0
    L = X.shape[1]
    Dl = np.zeros((N_BUCKETS, L))
    N1 = np.zeros((N_BUCKETS, L))
    np.add.at(Dl, bucket_of_item[:G][present], do_item[present])
    np.add.at(N1, bucket_of_item[:G][present], ones[present])
    agg = lambda v, at: np.bincount(at, v, N_BUCKETS)  # noqa: E731
    return {"do": agg(2 * d / (nup[i] - 1), pb), "n": agg(np.ones(len(bu)), bu), "C": C,
            "M": masi_matrix(vals, vals), "exact": agg(exact.astype(float), pb), "jac": agg(jac, pb),
            "pairs": agg(np.ones(len(i)), pb), "items": agg(np.ones(G)[present], bucket_of_item[:G][present]),
            "Dl": Dl, "N1": N1}


def _replicates(st: dict, W: np.ndarray) -> dict:
    """Each summary for bucket weights ``W`` (replicates x 64)."""
    n = W @ st["n"]
    c = W @ st["C"]
    with np.errstate(invalid="ignore", divide="ignore"):
        Do = (W @ st["do"]) / n
        De = np.einsum("bv,vw,bw->b", c, st["M"], c) / (n * (n - 1))
        alpha = np.where(De > 0, 1 - Do / De, np.where(Do == 0, 1.0, np.nan))
        pairs = W @ st["pairs"]
        out = {"masi_alpha": np.where(n >= 2, alpha, np.nan), "exact_set_agreement": (W @ st["exact"]) / pairs,
               "mean_jaccard": (W @ st["jac"]) / pairs}
        n1 = W @ st["N1"]
        Del = 2 * n1 * (n[:, None] - n1) / (n[:, None] * (n[:, None] - 1))
        out["per_label"] = np.where(Del > 0, 1 - ((W @ st["Dl"]) / n[:, None]) / Del, np.nan)
    return out


def multilabel_agreement_json(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict:
    """The JSON of ``labelqa agreement FILE --kind multilabel``; intervals: seeded percentile bootstrap over md5
    item buckets (as the classification and region metrics), ``None`` with fewer than two occupied buckets."""
    from analytics.metrics.matching import bucket_weights

    units, X, labels = label_sets(df)
    item = pd.factorize(units["item_id"])[0]
    i, j = within_group_pairs(item)
    d, jac = _pairwise_masi(X, i, j)
    exact = (X[i] == X[j]).all(1)
    n_items = int((np.bincount(item) >= 2).sum()) if len(item) else 0
    ba = _binary_alpha(units, X)
    f = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
    overall = {"masi_alpha": f(_alpha(units, X)), "exact_set_agreement": f(exact.mean() if len(i) else np.nan),
               "mean_jaccard": f(jac.mean() if len(i) else np.nan), "n_items": n_items, "n_pairs": int(len(i))}
    lo = {k: None for k in ("masi_alpha", "exact_set_agreement", "mean_jaccard")}
    hi = dict(lo)
    lab_lo, lab_hi = [None] * len(labels), [None] * len(labels)
    st = _bucket_stats(units, X) if n_items else None
    if st is not None and n_boot > 0 and (st["items"] > 0).sum() >= 2:
        reps = _replicates(st, bucket_weights(n_boot, st["items"] > 0, seed))
        a = (1 - confidence) / 2

        def q(v):
            v = np.asarray(v, float)
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                lo_, hi_ = np.nanquantile(v, [a, 1 - a], axis=0)
            enough = np.isfinite(v).sum(0) >= 0.5 * v.shape[0]
            return np.where(enough, lo_, np.nan), np.where(enough, hi_, np.nan)

        for k in lo:
            lo_k, hi_k = q(reps[k])
            lo[k], hi[k] = f(lo_k), f(hi_k)
        ll, lh = q(reps["per_label"])
        lab_lo, lab_hi = [f(x) for x in np.atleast_1d(ll)], [f(x) for x in np.atleast_1d(lh)]
    for k in list(lo):
        overall[f"{k}_ci_low"], overall[f"{k}_ci_high"] = lo[k], hi[k]
    return {"kind": "multilabel", "overall": overall,
            "per_label": {str(l): {"alpha": f(a_), "ci_low": lab_lo[k], "ci_high": lab_hi[k],
                                   "n_chosen": int(X[:, k].sum())}
                          for k, (l, a_) in enumerate(zip(labels, ba))},
            "method": "Krippendorff's alpha with MASI distance (Passonneau 2006); per-label nominal alpha of "
                      "binary ratings; exact-set agreement and Jaccard over annotator pairs within items; "
                      f"{confidence:.0%} CI: percentile bootstrap over md5 item buckets ({n_boot} replicates, "
                      f"seed {seed})"}
