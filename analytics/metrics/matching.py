"""Matching, IoU and pairwise-F1 helpers shared by the region kinds (spans, boxes).

Vocabulary: a *region* is one row of a span or box frame. Two regions are *candidates* when they share a match
group (item and, for same-label matching, label) and come from different sides (two annotators, or an annotator
and gold). Matching is one-to-one inside a match group and maximises the total IoU among candidates with
``IoU >= threshold`` (Hungarian assignment, ``scipy.optimize.linear_sum_assignment``). Candidates whose two
regions have no other candidate are matched directly (an isolated edge is in every optimal assignment); only the
remaining groups go through the assignment, one call per group.

Pairwise F1 (Kolditz et al. 2019, bratiaa): for annotators ``a, b`` pooled over the items both annotated,
``F1 = 2 TP / (n_a + n_b)``; reported as the mean and the population SD over annotator pairs.

Intervals: seeded bootstrap over the 64 md5 item buckets of ``analytics`` classification agreement (the same
``item_bucket``); the dataset's occupied buckets are resampled with replacement and the mean pairwise F1
recomputed. Percentile intervals.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from analytics.metrics.agreement import BUCKET_IDS, item_bucket

__all__ = [
    "N_BUCKETS",
    "within_group_pairs",
    "cross_group_pairs",
    "interval_iou",
    "box_iou",
    "one_to_one",
    "group_codes",
    "pair_stats",
    "bucket_weights",
    "pairwise_f1",
]

N_BUCKETS = 64
_BLOCK = 2_000_000  # elements per bootstrap block


def within_group_pairs(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs ``(i, j)``, ``i`` before ``j`` in sorted order, of elements with equal ``group`` code."""
    group = np.asarray(group)
    n = len(group)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(group, kind="stable")
    g = group[order]
    start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    size = np.diff(np.r_[start, n])
    end = np.repeat(start + size, size)
    pos = np.arange(n)
    cnt = end - pos - 1
    i = np.repeat(pos, cnt)
    offs = np.cumsum(cnt) - cnt
    j = i + 1 + (np.arange(int(cnt.sum())) - np.repeat(offs, cnt))
    return order[i], order[j]


def cross_group_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ``(i, j)`` with ``left[i] == right[j]`` (indices into the two code arrays)."""
    left, right = np.asarray(left), np.asarray(right)
    ro = np.argsort(right, kind="stable")
    rg = right[ro]
    lo = np.searchsorted(rg, left, "left")
    cnt = np.searchsorted(rg, left, "right") - lo
    i = np.repeat(np.arange(len(left)), cnt)
    offs = np.cumsum(cnt) - cnt
    j = ro[np.repeat(lo, cnt) + (np.arange(int(cnt.sum())) - np.repeat(offs, cnt))]
    return i, j


def interval_iou(s1, e1, s2, e2) -> np.ndarray:
    """IoU of half-open intervals ``[s, e)`` (length of the intersection over length of the union)."""
    s1, e1, s2, e2 = (np.asarray(a, dtype=float) for a in (s1, e1, s2, e2))
    inter = np.clip(np.minimum(e1, e2) - np.maximum(s1, s2), 0, None)
    union = (e1 - s1) + (e2 - s2) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def box_iou(x1, y1, w1, h1, x2, y2, w2, h2) -> np.ndarray:
    """IoU of axis-aligned boxes given by top-left corner, width and height (any one unit)."""
    x1, y1, w1, h1, x2, y2, w2, h2 = (np.asarray(a, dtype=float) for a in (x1, y1, w1, h1, x2, y2, w2, h2))
    iw = np.clip(np.minimum(x1 + w1, x2 + w2) - np.maximum(x1, x2), 0, None)
    ih = np.clip(np.minimum(y1 + h1, y2 + h2) - np.maximum(y1, y2), 0, None)
    inter = iw * ih
    union = w1 * h1 + w2 * h2 - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def group_codes(*arrays) -> np.ndarray:
    """Dense int64 codes of the rows' key tuple (faster than factorizing a MultiIndex: integer mixed radix)."""
    code = np.zeros(len(arrays[0]), dtype=np.int64)
    for a in arrays:
        c, u = pd.factorize(np.asarray(a))
        code = pd.factorize(code * (len(u) + 1) + c)[0].astype(np.int64)
    return code


def one_to_one(i: np.ndarray, j: np.ndarray, score: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Boolean mask over candidate edges ``(i, j)``: the edges of a maximum-total-``score`` one-to-one matching
    within each ``group`` (``i`` and ``j`` index the regions of the two sides; scores must be positive)."""
    i, j, group = (np.asarray(a, dtype=np.int64) for a in (i, j, group))
    score = np.asarray(score, dtype=float)
    m = len(i)
    out = np.zeros(m, dtype=bool)
    if m == 0:
        return out
    ki = group_codes(group, i)
    kj = group_codes(group, j)
    di, dj = np.bincount(ki)[ki], np.bincount(kj)[kj]
    simple = (di == 1) & (dj == 1)
    out[simple] = True
    rest = np.flatnonzero(~simple)
    if len(rest) == 0:
        return out
    rest = rest[np.argsort(group[rest], kind="stable")]
    g = group[rest]
    bounds = np.flatnonzero(np.r_[True, g[1:] != g[:-1], True])
    for s, e in zip(bounds[:-1], bounds[1:]):  # one assignment per non-trivial match group
        idx = rest[s:e]
        ui, ri = np.unique(i[idx], return_inverse=True)
        uj, rj = np.unique(j[idx], return_inverse=True)
        mat = np.zeros((len(ui), len(uj)))
        mat[ri, rj] = score[idx]
        pos = np.full((len(ui), len(uj)), -1, dtype=np.int64)
        pos[ri, rj] = idx
        r, c = linear_sum_assignment(mat, maximize=True)
        chosen = pos[r, c]
        out[chosen[chosen >= 0]] = True
    return out


def pair_stats(annotated: pd.DataFrame, counts: pd.DataFrame, matches: pd.DataFrame,
               extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per (annotator pair, item, label): ``n_a``, ``n_b``, ``tp`` (+ sums in ``extra``).

    ``annotated``: ``item_id, annotator_id`` (who annotated which item, including items left empty);
    ``counts``: ``item_id, annotator_id, label, n`` regions; ``matches``: ``item_id, annotator_a, annotator_b,
    label, tp`` (+ ``extra``), oriented so that ``annotator_a < annotator_b``. Only pairs that both annotated
    the item appear.
    """
    ann = annotated[["item_id", "annotator_id"]].drop_duplicates().reset_index(drop=True)
    a_idx, b_idx = within_group_pairs(pd.factorize(ann["item_id"])[0])
    A = ann["annotator_id"].to_numpy()[a_idx]
    B = ann["annotator_id"].to_numpy()[b_idx]
    swap = A > B
    A, B = np.where(swap, B, A), np.where(swap, A, B)
    pairs = pd.DataFrame({"item_id": ann["item_id"].to_numpy()[a_idx], "annotator_a": A, "annotator_b": B})
    keys = ["item_id", "annotator_a", "annotator_b", "label"]
    sa = pairs.merge(counts.rename(columns={"annotator_id": "annotator_a", "n": "n_a"}),
                     on=["item_id", "annotator_a"])
    sb = pairs.merge(counts.rename(columns={"annotator_id": "annotator_b", "n": "n_b"}),
                     on=["item_id", "annotator_b"])
    st = pd.concat([sa, sb], ignore_index=True).fillna({"n_a": 0, "n_b": 0})
    st = st.groupby(keys, sort=True, observed=True)[["n_a", "n_b"]].sum().reset_index()
    m = matches.groupby(keys, observed=True)[["tp", *extra]].sum().reset_index()
    st = st.merge(m, on=keys, how="left")
    st[["tp", *extra]] = st[["tp", *extra]].fillna(0)
    for c in ("n_a", "n_b", "tp"):
        st[c] = st[c].astype(np.int64)
    return st


def bucket_weights(n_boot: int, occupied: np.ndarray, seed: int) -> np.ndarray:
    """``(n_boot, 64)`` bucket counts: ``K`` draws with replacement among the ``K`` occupied buckets."""
    rng = np.random.default_rng(seed)
    U = rng.random((n_boot, N_BUCKETS))
    occ = np.flatnonzero(occupied)
    K = len(occ)
    W = np.zeros((n_boot, N_BUCKETS))
    if K == 0:
        return W
    idx = occ[np.minimum((U[:, :K] * K).astype(np.int64), K - 1)]
    np.add.at(W, (np.repeat(np.arange(n_boot), K), idx.ravel()), 1.0)
    return W


def _mean_sd(tp: np.ndarray, tot: np.ndarray):
    """Mean and population SD over the pair axis (last) of ``2 tp / tot``, pairs with ``tot > 0`` only."""
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(tot > 0, 2 * tp / tot, np.nan)
    n = np.isfinite(f1).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(f1, -1) / n
        sd = np.sqrt(np.nansum((f1 - mean[..., None]) ** 2, -1) / n)
    return mean, sd, n


def pairwise_f1(stats: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95,
                extra_ratio: tuple[str, str] | None = None) -> dict:
    """Mean/SD of pairwise F1 overall, per label and per item from :func:`pair_stats` output.

    Returns ``{"overall": {...}, "per_label": {label: {...}}, "per_item": DataFrame, "pairs": DataFrame}``;
    each summary has ``mean, sd, ci_low, ci_high, n_pairs, n_items`` (and ``mean_iou`` = ``sum(num)/sum(den)``
    over the matched regions when ``extra_ratio=(num, den)``; ``den`` is normally ``tp``).
    """
    st = stats.assign(tot=stats["n_a"] + stats["n_b"])
    labels = pd.Index(sorted(st["label"].unique()))
    pair_key = pd.MultiIndex.from_arrays([st["annotator_a"], st["annotator_b"]])
    pc, pu = pd.factorize(pair_key)
    lc = labels.get_indexer(st["label"])
    bc = np.searchsorted(BUCKET_IDS, item_bucket(st["item_id"].astype(str)).to_numpy())
    P, L = len(pu), len(labels)
    tp = np.zeros((N_BUCKETS, P, L))
    tot = np.zeros((N_BUCKETS, P, L))
    np.add.at(tp, (bc, pc, lc), st["tp"].to_numpy(float))
    np.add.at(tot, (bc, pc, lc), st["tot"].to_numpy(float))
    num = den = None
    if extra_ratio:
        num = np.bincount(bc * L + lc, st[extra_ratio[0]].to_numpy(float), N_BUCKETS * L).reshape(N_BUCKETS, L)
        den = np.bincount(bc * L + lc, st[extra_ratio[1]].to_numpy(float), N_BUCKETS * L).reshape(N_BUCKETS, L)

    def values(TP, TOT, NUM=None, DEN=None):
        # TP, TOT: (..., P, L) -> overall (...,), per label (..., L)
        mo, so, no = _mean_sd(TP.sum(-1), TOT.sum(-1))
        ml, sl, nl = _mean_sd(np.swapaxes(TP, -1, -2), np.swapaxes(TOT, -1, -2))
        out = {"mo": mo, "so": so, "no": no, "ml": ml, "sl": sl, "nl": nl}
        if NUM is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                out["io"] = NUM.sum(-1) / DEN.sum(-1)
                out["il"] = NUM / DEN
        return out

    point = values(tp.sum(0), tot.sum(0), None if num is None else num.sum(0), None if den is None else den.sum(0))
    occupied = tot.sum((1, 2)) > 0
    lo = {k: np.full(np.shape(point[k]), np.nan) for k in ("mo", "ml", "io", "il") if k in point}
    hi = {k: v.copy() for k, v in lo.items()}
    if n_boot > 0 and occupied.sum() >= 2:
        W = bucket_weights(n_boot, occupied, seed)
        block = max(1, _BLOCK // max(1, P * L))
        reps = {k: [] for k in lo}
        for s in range(0, n_boot, block):
            w = W[s:s + block]
            r = values(np.tensordot(w, tp, 1), np.tensordot(w, tot, 1),
                       None if num is None else w @ num, None if den is None else w @ den)
            for k in reps:
                reps[k].append(r[k])
        a = (1 - confidence) / 2
        for k, v in reps.items():
            v = np.concatenate(v, 0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q = np.nanquantile(v, [a, 1 - a], axis=0)
            enough = np.isfinite(v).sum(0) >= 0.5 * v.shape[0]
            lo[k], hi[k] = np.where(enough, q[0], np.nan), np.where(enough, q[1], np.nan)

    def fl(x):
        x = float(x)
        return None if not np.isfinite(x) else x

    items_all = st.loc[st["tot"] > 0, "item_id"].nunique()
    items_label = st[st["tot"] > 0].groupby("label", observed=True)["item_id"].nunique()
    overall = {"mean": fl(point["mo"]), "sd": fl(point["so"]), "ci_low": fl(lo["mo"]), "ci_high": fl(hi["mo"]),
               "n_pairs": int(point["no"]), "n_items": int(items_all)}
    if num is not None:
        overall.update(mean_iou=fl(point["io"]), mean_iou_ci_low=fl(lo["io"]), mean_iou_ci_high=fl(hi["io"]),
                       n_matched=int(den.sum()))
    per_label = {}
    for k, lab in enumerate(labels):
        d = {"mean": fl(point["ml"][k]), "sd": fl(point["sl"][k]), "ci_low": fl(lo["ml"][k]),
             "ci_high": fl(hi["ml"][k]), "n_pairs": int(point["nl"][k]), "n_items": int(items_label.get(lab, 0))}
        if num is not None:
            d.update(mean_iou=fl(point["il"][k]), mean_iou_ci_low=fl(lo["il"][k]),
                     mean_iou_ci_high=fl(hi["il"][k]), n_matched=int(den[:, k].sum()))
        per_label[str(lab)] = d
    pi = st.groupby(["item_id", "annotator_a", "annotator_b"], observed=True)[["tp", "tot"]].sum().reset_index()
    pi["f1"] = np.where(pi["tot"] > 0, 2 * pi["tp"] / pi["tot"].where(pi["tot"] > 0, 1), np.nan)
    pi["f1_sq"] = pi["f1"] ** 2
    g = pi.groupby("item_id", observed=True)
    per_item = g["f1"].agg(mean="mean", n_pairs="count")
    # population SD (as bratiaa reports it): sqrt(E[f1^2] - E[f1]^2)
    per_item["sd"] = np.sqrt(np.clip(g["f1_sq"].mean() - per_item["mean"] ** 2, 0, None))
    pp = st.groupby(["annotator_a", "annotator_b"], observed=True)[["tp", "tot", "n_a", "n_b"]].sum().reset_index()
    pp["f1"] = np.where(pp["tot"] > 0, 2 * pp["tp"] / pp["tot"].where(pp["tot"] > 0, 1), np.nan)
    return {"overall": overall, "per_label": per_label, "per_item": per_item.reset_index(), "pairs": pp}
