"""Confident learning: find labels that are likely wrong from out-of-sample model scores.

Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels", JAIR 70 (2021).
The flagged set equals ``cleanlab.filter.find_label_issues`` (cleanlab 2.9) for the same ``filter_by``
with ``frac_noise=1``, ``min_examples_per_class=1`` (tested in tests/test_label_errors.py).

Shapes
------
``labels`` frame: ``item_id, label``. ``scores`` frame: long ``item_id, label, score`` (top-k allowed,
missing classes are score 0) or wide ``item_id, <one column per class>``. Internally ``probs`` is an
``(N, K)`` float array (rows = items, columns = classes in ``classes`` order) and ``given`` an ``(N,)``
int array of class indices.

Sufficient statistics (what SQL can return instead of rows): per-class sums of self-confidence and
counts give the thresholds ``t_k = mean(p_k | given = k)`` (eq. 2); the confident joint ``C[i, j]``
(given i, true j) is a ``(K, K)`` count matrix. ``prune_counts`` turns it into the number of items
to remove per (given, true) cell; only those items need to come back as rows.

Ties: ranking inside a class uses ``numpy.argsort`` exactly as cleanlab does, so ties at a cut-off
are broken the same way as the reference on the same input order.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analytics.metrics.results import wilson_interval

__all__ = [
    "FILTERS", "RANKINGS", "LabelErrors", "confident_thresholds", "thresholds_from_sums",
    "confident_joint", "calibrate_joint", "noise_matrix", "prune_counts", "find_label_issues",
    "label_quality", "label_errors_from_frames", "probs_from_frames", "label_errors_document", "pruning_cells",
    "survives_reduce", "per_class_table",
]

FILTERS = ("prune_by_noise_rate", "prune_by_class", "both", "predicted_neq_given")
RANKINGS = ("self_confidence", "normalized_margin")
_EPS_THRESHOLD = 1e-6  # cleanlab compute_confident_joint: p >= t - 1e-6 counts as confident
_EPS_REDUCE = 1e-6     # cleanlab _reduce_issues: given label within 1e-6 of the max is not an issue
_TINY = 1e-100
_T_MIN = 2e-6  # cleanlab 2.9 CONFIDENT_THRESHOLDS_LOWER_BOUND (it was 2 * float16 eps, ~1.95e-3, in older cleanlab)


def thresholds_from_sums(sc_sum, n) -> np.ndarray:
    """Per-class threshold t_k = sum of p_k over items given k / their count (eq. 2); 2 for empty classes."""
    sc_sum, n = np.asarray(sc_sum, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 0, sc_sum / np.where(n > 0, n, 1), 2.0)
    return np.clip(t, _T_MIN, None)


def confident_thresholds(given: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Mean self-confidence per class, shape (K,)."""
    k = probs.shape[1]
    sc = probs[np.arange(len(given)), given]
    return thresholds_from_sums(np.bincount(given, sc, k), np.bincount(given, minlength=k))


def confident_joint(given: np.ndarray, probs: np.ndarray, thresholds=None) -> np.ndarray:
    """Uncalibrated confident joint C[given, true] (K, K) ints, diagonal at least 1 (cleanlab)."""
    k = probs.shape[1]
    t = confident_thresholds(given, probs) if thresholds is None else np.asarray(thresholds)
    conf = probs >= t - _EPS_THRESHOLD
    n_conf = conf.sum(axis=1)
    guess = np.where(n_conf > 1, probs.argmax(axis=1), conf.argmax(axis=1))
    ok = n_conf > 0
    cj = np.bincount(given[ok] * k + guess[ok], minlength=k * k).reshape(k, k)
    np.fill_diagonal(cj, cj.diagonal().clip(min=1))
    return cj


def _round_preserving_sum(x: np.ndarray) -> np.ndarray:
    # cleanlab.internal.util.round_preserving_sum, same argsort so the same cells move
    ints = x.round()
    orig, cur = np.sum(x).round(), np.sum(ints).round()
    while abs(cur - orig) > 1e-6:
        diff = np.round(orig - cur)
        inc = -1 if diff < 0 else 1
        idx = np.argsort(x - ints)[::-inc][: min(int(abs(diff)), len(x))]
        ints[idx] += inc
        cur = np.sum(ints).round()
    return ints.astype(int)


def _round_rows(m: np.ndarray) -> np.ndarray:
    return np.vstack([_round_preserving_sum(np.asarray(r, float)) for r in m]).astype(int)  # K rows


def calibrate_joint(cj: np.ndarray, label_counts) -> np.ndarray:
    """Calibrated joint (eq. 3): rows rescaled to the given-label counts, total = N, integer counts."""
    label_counts = np.asarray(label_counts, float)
    # cleanlab builds its joint as ``confusion_matrix(...).T`` (a column-major view) and sums it in that layout;
    # the same layout here makes the sums round identically, so a tie in the row rounding below breaks the same way
    cj = np.asfortranarray(cj)
    c = (cj.T / np.clip(cj.sum(axis=1), _TINY, None) * label_counts).T
    c = c / np.clip(c.sum(), _TINY, None) * label_counts.sum()
    return _round_rows(c)


def noise_matrix(cj: np.ndarray) -> np.ndarray:
    """Estimated P(given = i | true = j) from a (calibrated) joint: columns sum to 1 (cleanlab estimate_latent)."""
    m = cj / np.clip(cj.sum(axis=0), _TINY, None)
    d = m.diagonal().copy()
    m = np.clip(m, 0, 0.9999)
    np.fill_diagonal(m, d)
    return m / np.clip(m.sum(axis=0), _TINY, None)


def prune_counts(cj_calibrated: np.ndarray, min_examples_per_class: int = 1, frac_noise: float = 1.0) -> np.ndarray:
    """Items to remove per cell, indexed [true j, given k] (cleanlab ``_keep_at_least_n_per_class``)."""
    pcm = cj_calibrated.T.astype(float)
    d = pcm.diagonal()
    new_d = np.maximum(d, min_examples_per_class)
    per_col = np.maximum(np.count_nonzero(pcm, axis=0) - 1.0, 1.0)
    m = pcm - (new_d - d) / per_col
    m[m < 0] = 0
    np.fill_diagonal(m, new_d)
    r = m * frac_noise  # cleanlab _reduce_prune_counts: shrink noise cells, keep column totals
    np.fill_diagonal(r, m.diagonal())
    np.fill_diagonal(r, m.diagonal() + np.sum(m - r, axis=0))
    return _round_rows(r.astype(int).astype(float))


def find_label_issues(given, probs, filter_by: str = "prune_by_noise_rate",
                      min_examples_per_class: int = 1, frac_noise: float = 1.0) -> np.ndarray:
    """Boolean mask (N,) of likely label errors; see the module docstring for the rules."""
    if filter_by not in FILTERS:
        raise ValueError(f"filter_by must be one of {FILTERS}, got {filter_by!r}")
    given, probs = np.asarray(given), np.ascontiguousarray(probs, float)  # row gathers: C order (frames give F)
    if probs.ndim != 2 or len(given) != len(probs):
        raise ValueError("probs must be (N, K) with one row per given label")
    n, k = probs.shape
    if filter_by == "predicted_neq_given":
        mask = probs.argmax(axis=1) != given
    else:
        counts = np.bincount(given, minlength=k)
        cj = calibrate_joint(confident_joint(given, probs), counts)
        pcm = prune_counts(cj, min_examples_per_class, frac_noise)
        by_class = np.zeros(n, bool)
        by_rate = np.zeros(n, bool)
        rows: dict = {}  # one gather per given class, not per (given, true) cell
        for c, j, m in pruning_cells(counts, pcm, filter_by, min_examples_per_class):
            if c not in rows:
                i_c = np.flatnonzero(given == c)  # cleanlab's per-class argsort, reproduced for identical ties
                rows = {c: (i_c, probs[i_c])}
            idx, p = rows[c]
            if j == c:
                by_class[idx[np.argsort(p[:, c])[:m]]] = True
            else:
                by_rate[idx[np.argsort(-(p[:, j] - p[:, c]))[:m]]] = True
        mask = {"prune_by_class": by_class, "prune_by_noise_rate": by_rate, "both": by_class & by_rate}[filter_by]
    bumped = probs.copy()
    bumped[np.arange(n), given] += _EPS_REDUCE
    return mask & (bumped.argmax(axis=1) != given)


def pruning_cells(label_counts, pcm: np.ndarray, filter_by: str, min_examples_per_class: int = 1) -> list:
    """The cells the pruning rules remove items from: ``(c, j, n)`` = the ``n`` items given class ``c`` with the
    largest margin ``p_j - p_c`` (``j != c``, prune_by_noise_rate) or, for ``j == c`` (prune_by_class), the ``n``
    with the lowest self-confidence ``p_c``. ``pcm`` from :func:`prune_counts`; classes with at most
    ``min_examples_per_class`` items are skipped. The SQL path binds exactly these cells."""
    cells = []
    for c in range(len(label_counts)):  # K classes, not rows
        if label_counts[c] <= min_examples_per_class:
            continue
        if filter_by in ("prune_by_class", "both") and label_counts[c] - pcm[c, c] >= 1:
            cells.append((c, c, int(label_counts[c] - pcm[c, c])))
        if filter_by in ("prune_by_noise_rate", "both"):
            cells += [(c, int(j), int(pcm[j, c])) for j in np.flatnonzero(pcm[:, c] > 0) if j != c]
    return cells


def survives_reduce(self_confidence, best_other, best_other_first) -> np.ndarray:
    """cleanlab's last step (``_reduce_issues``): an item stays an issue only when its given label, raised by 1e-6,
    is still not the arg-max: ``best_other > p_given + 1e-6``, or equal to it with the best other class before the
    given one in class order (``best_other_first``, numpy's first-index arg-max)."""
    bumped = np.asarray(self_confidence, float) + _EPS_REDUCE
    best = np.asarray(best_other, float)
    return (best > bumped) | ((best == bumped) & np.asarray(best_other_first, bool))


def label_quality(given, probs, rank_by: str = "self_confidence") -> np.ndarray:
    """Per-item label quality in [0, 1], low = likely wrong: p_given, or (p_given - max other + 1) / 2."""
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {RANKINGS}, got {rank_by!r}")
    n = len(given)
    sc = probs[np.arange(n), given]
    if rank_by == "self_confidence":
        return sc
    other = probs.copy()
    other[np.arange(n), given] = -np.inf
    return (sc - other.max(axis=1) + 1) / 2


@dataclasses.dataclass(frozen=True)
class LabelErrors:
    """Result of confident learning over one labelled set.

    ``issues``: ranked frame ``item_id, given_label, suggested_label, score`` (score = label quality, low first),
    plus ``self_confidence`` (score of the given label) and ``suggested_score`` (score of the suggested label).
    ``per_class``: index label, columns ``n, n_issues, share, ci_low, ci_high`` (Wilson 95%).
    ``noise_matrix``: frame P(given | true), index given, columns true. ``thresholds``: per-class t_k.
    """

    n_items: int
    issues: pd.DataFrame
    per_class: pd.DataFrame
    noise_matrix: pd.DataFrame
    thresholds: pd.Series
    filter_by: str
    rank_by: str


def probs_from_frames(labels: pd.DataFrame, scores: pd.DataFrame):
    """(item_ids, classes, given index array, probs (N, K)) from a labels frame and long or wide scores."""
    if not {"item_id", "label"} <= set(labels.columns):
        raise ValueError("labels needs columns item_id, label")
    if labels["item_id"].duplicated().any():
        raise ValueError("labels has more than one row per item_id")
    if {"item_id", "label", "score"} <= set(scores.columns):
        wide = scores.pivot_table(index="item_id", columns="label", values="score", aggfunc="sum", fill_value=0.0)
    elif "item_id" in scores.columns and scores.shape[1] > 1:
        wide = scores.set_index("item_id")
        wide.columns = [c[5:] if str(c).startswith("prob_") else c for c in wide.columns]
    else:
        raise ValueError("scores needs item_id, label, score (long) or item_id plus one column per class (wide)")
    classes = sorted(set(wide.columns.astype(str)) | set(labels["label"].astype(str)))
    wide.columns = wide.columns.astype(str)
    wide = wide.reindex(columns=classes, fill_value=0.0)
    # object indexes: pandas 3's Arrow strings make isin / loc loop in Python (seconds at 1M items)
    wide.index = pd.Index(wide.index.astype(str).to_numpy(object), dtype=object)
    ids = labels["item_id"].astype(str).to_numpy(object)
    missing = ~pd.Index(ids, dtype=object).isin(wide.index)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} labelled items have no scores, e.g. {ids[missing][0]!r}")
    probs = wide.loc[ids].to_numpy(float)
    given = pd.Categorical(labels["label"].astype(str), categories=classes).codes.astype(np.int64)
    return ids, classes, given, probs


def per_class_table(classes, n, n_issues) -> pd.DataFrame:
    """Index label; ``n, n_issues, share, ci_low, ci_high`` (Wilson 95%; share NaN for an empty class)."""
    n, ni = np.asarray(n), np.asarray(n_issues)
    lo, hi = wilson_interval(ni, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, ni / np.maximum(n, 1), np.nan)
    return pd.DataFrame({"n": n, "n_issues": ni, "share": share, "ci_low": lo, "ci_high": hi},
                        index=pd.Index(classes, name="label"))


def label_errors_from_frames(labels: pd.DataFrame, scores: pd.DataFrame, filter_by: str = "prune_by_noise_rate",
                             rank_by: str = "self_confidence") -> LabelErrors:
    """Confident learning from frames (file CLI path)."""
    ids, classes, given, probs = probs_from_frames(labels, scores)
    mask = find_label_issues(given, probs, filter_by)
    q = label_quality(given, probs, rank_by)
    flagged = np.flatnonzero(mask)
    order = flagged[np.argsort(q[flagged])]  # cleanlab order_label_issues
    other = probs.copy()
    other[np.arange(len(given)), given] = -np.inf
    cls = np.asarray(classes, dtype=object)
    issues = pd.DataFrame({"item_id": ids[order], "given_label": cls[given[order]],
                           "suggested_label": cls[other[order].argmax(axis=1)], "score": q[order],
                           "self_confidence": probs[order, given[order]], "suggested_score": other[order].max(axis=1)})
    k = len(classes)
    n = np.bincount(given, minlength=k)
    per_class = per_class_table(classes, n, np.bincount(given[mask], minlength=k))
    cj = calibrate_joint(confident_joint(given, probs), n)
    nm = pd.DataFrame(noise_matrix(cj), index=pd.Index(classes, name="given"), columns=pd.Index(classes, name="true"))
    return LabelErrors(len(ids), issues, per_class, nm, pd.Series(confident_thresholds(given, probs), index=classes),
                       filter_by, rank_by)


def label_errors_document(res: LabelErrors) -> dict:
    """The ``labelqa label-errors --json`` document (issue 14)."""
    return {
        "n_items": int(res.n_items),
        "n_issues": int(len(res.issues)),
        "issues": [{"item_id": str(r.item_id), "given_label": str(r.given_label),
                    "suggested_label": str(r.suggested_label), "score": float(r.score)}
                   for r in res.issues.itertuples(index=False)],
        "per_class": {str(c): {"n": int(r.n), "n_issues": int(r.n_issues),
                               "share": None if np.isnan(r.share) else float(r.share)}
                      for c, r in res.per_class.iterrows()},
    }
