"""Consistency of preferences over the compared objects: transitivity of the majority graph and Bradley-Terry.

Objects are the ``response_a`` / ``response_b`` ids of the pairs (e.g. model names). A judgment ``a`` is a win
of ``response_a`` over ``response_b``; ``tie`` is neither (Bradley-Terry: half a win to each, or dropped).

Transitivity, within a group: ``W[i, j]`` = wins of object ``i`` over ``j`` over all pairs and orders; the
majority graph has the edge ``i -> j`` when ``W[i, j] > W[j, i]`` (equal counts: no edge). With ``A`` its
adjacency and ``U = A | A^T``, ``triads = trace(U^3) / 6`` (triples whose three pairs all have an edge) and
``cyclic_triads = trace(A^3) / 3`` (each directed 3-cycle is counted once per starting vertex; a triad with
three edges has at most one cycle), ``cycle_rate = cyclic / triads``. All groups at once as a batched matrix
product.

Bradley-Terry (Bradley & Terry 1952) by Hunter's (2004, Ann. Statist. 32:384) MM algorithm,
``p_i <- w_i / sum_j N_ij / (p_i + p_j)``, normalised to sum 1 (as ``crowdkit.aggregation.BradleyTerry``),
run on all bootstrap replicates at once (replicate win matrices from the pair-bucket bootstrap of :mod:`._boot`).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analytics.kinds.preference._boot import N_BUCKETS, boot_weights, by_list, group_codes, pair_bucket

__all__ = ["win_tensor", "win_tensor_from_counts", "transitivity", "transitivity_from_wins", "bradley_terry",
           "bradley_terry_from_wins", "mm_fit"]


def _object_codes(d: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The compared objects of ``response_a`` / ``response_b`` in sorted order and each row's two codes into them.
    Factorize (hash) then sort the few distinct objects: np.unique sorted all 2n strings (seconds at 1M)."""
    codes, uniq = pd.factorize(np.concatenate([np.asarray(d["response_a"].astype(str), dtype=object),
                                               np.asarray(d["response_b"].astype(str), dtype=object)]))
    order = np.argsort(np.asarray(uniq, dtype=str), kind="stable")
    objects = pd.Index(np.asarray(uniq, dtype=str)[order])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return objects, rank[codes[:len(d)]], rank[codes[len(d):]]


def win_tensor(judged: pd.DataFrame, by=None, ties: str = "half", buckets: bool = False):
    """Win counts ``(G, [64,] O, O)``, the object index and the group keys.

    ``judged``: judgments joined with their pair's ``response_a, response_b``. ``ties``: ``"half"`` (half a win
    to each side), ``"drop"`` or ``"count"`` (returns a separate tie tensor as the 4th value).
    """
    by_cols = by_list(by)
    if not {"response_a", "response_b"} <= set(judged.columns):
        raise ValueError("consistency needs response_a, response_b (the compared objects) in the pairs")
    d = judged[judged["response_a"].notna() & judged["response_b"].notna()]
    g, keys = group_codes(d, by_cols)
    objects, ia, ib = _object_codes(d)
    c = d["choice"].to_numpy()
    o = len(objects)
    bk = pair_bucket(d["pair_id"]) if buckets else np.zeros(len(d), dtype=np.int64)
    nb = N_BUCKETS if buckets else 1
    shape = (len(keys), nb, o, o)
    win = np.zeros(shape)
    tie = np.zeros(shape)
    np.add.at(win, (g, bk, ia, ib), (c == "a").astype(float))
    np.add.at(win, (g, bk, ib, ia), (c == "b").astype(float))
    t = (c == "tie").astype(float)
    np.add.at(tie, (g, bk, ia, ib), t)
    np.add.at(tie, (g, bk, ib, ia), t)
    if ties == "half":
        win = win + tie / 2
    elif ties not in ("drop", "count"):
        raise ValueError(f"unknown ties rule {ties!r}; choose half, drop or count")
    if not buckets:
        win, tie = win[:, 0], tie[:, 0]
    return win, objects, keys, tie


def win_tensor_from_counts(counts: pd.DataFrame, key_col: str | None = None, buckets: bool = False):
    """``win_tensor`` from vote counts per (group, [bucket,] response_a, response_b): columns ``n_a, n_b, n_tie``,
    ``bucket`` (0..63) with ``buckets``, ``key_col`` naming the group column (None: one group). Returns
    ``(win, tie, objects, keys)`` with ties dropped from ``win`` (the database path's input)."""
    d = counts[counts["response_a"].notna() & counts["response_b"].notna()]
    if key_col is None:
        g, keys = np.zeros(len(d), dtype=np.int64), pd.DataFrame(index=range(1))
    else:
        g, keys = group_codes(d, [key_col])
    objects, ia, ib = _object_codes(d)
    bk = d["bucket"].to_numpy(dtype=np.int64) if buckets else np.zeros(len(d), dtype=np.int64)
    shape = (len(keys), N_BUCKETS if buckets else 1, len(objects), len(objects))
    win, tie = np.zeros(shape), np.zeros(shape)
    np.add.at(win, (g, bk, ia, ib), d["n_a"].to_numpy(float))
    np.add.at(win, (g, bk, ib, ia), d["n_b"].to_numpy(float))
    np.add.at(tie, (g, bk, ia, ib), d["n_tie"].to_numpy(float))
    np.add.at(tie, (g, bk, ib, ia), d["n_tie"].to_numpy(float))
    if not buckets:
        win, tie = win[:, 0], tie[:, 0]
    return win, tie, objects, keys


def transitivity(judged: pd.DataFrame, by=None) -> pd.DataFrame:
    """``triads, cyclic_triads, cycle_rate`` of the majority preference graph, per group."""
    win, objects, keys, _ = win_tensor(judged, by, ties="drop")
    return transitivity_from_wins(win, objects, keys)


def transitivity_from_wins(win: np.ndarray, objects: pd.Index, keys: pd.DataFrame) -> pd.DataFrame:
    """:func:`transitivity` from win matrices ``(G, O, O)`` (ties dropped)."""
    A = (win > np.swapaxes(win, 1, 2)).astype(float)
    U = np.maximum(A, np.swapaxes(A, 1, 2))
    tri = np.einsum("gii->g", U @ U @ U) / 6
    cyc = np.einsum("gii->g", A @ A @ A) / 3
    f = keys.copy().reset_index(drop=True)
    f["n_objects"] = len(objects)
    f["triads"] = np.rint(tri).astype(np.int64)
    f["cyclic_triads"] = np.rint(cyc).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        f["cycle_rate"] = np.where(f["triads"] > 0, f["cyclic_triads"] / f["triads"].clip(lower=1), np.nan)
    f["reason"] = np.where(f["triads"] > 0, None, "no three objects with all three pairs decided")
    return f


def mm_fit(win: np.ndarray, n_iter: int = 500, tol: float = 1e-10) -> np.ndarray:
    """Bradley-Terry strengths ``(..., O)`` summing to 1 from win matrices ``(..., O, O)`` (MM, batched)."""
    T = win + np.swapaxes(win, -1, -2)
    w = win.sum(-1)
    p = np.full(w.shape, 1.0 / w.shape[-1])
    for _ in range(n_iter):  # iterations of one batched update, not a loop over data
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.where(T > 0, T / (p[..., :, None] + p[..., None, :]), 0.0).sum(-1)
            new = np.where(z > 0, w / z, 0.0)
            new = new / new.sum(-1, keepdims=True)
        if np.nanmax(np.abs(new - p)) < tol:
            p = new
            break
        p = new
    return p


def bradley_terry(judged: pd.DataFrame, by=None, ties: str = "half", n_boot: int = 200, seed: int = 0,
                  confidence: float = 0.95) -> pd.DataFrame:
    """Leaderboard per group: ``object, score, ci_low, ci_high, rank, wins, losses, ties``.

    ``score`` is the BT strength (sum 1 over the group's objects); the interval is the percentile interval over
    ``n_boot`` pair-bucket bootstrap replicates; ``rank`` 1 = strongest (ties share the best rank).
    """
    win_b, objects, keys, tie_b = win_tensor(judged, by, ties=ties if ties != "count" else "drop", buckets=True)
    raw, _, _, tie_raw = win_tensor(judged, by, ties="drop", buckets=False)
    return bradley_terry_from_wins(win_b, raw, tie_raw, objects, keys, n_boot, seed, confidence)


def bradley_terry_from_wins(win_b: np.ndarray, raw: np.ndarray, tie_raw: np.ndarray, objects: pd.Index,
                            keys: pd.DataFrame, n_boot: int = 200, seed: int = 0,
                            confidence: float = 0.95) -> pd.DataFrame:
    """:func:`bradley_terry` from per-bucket win matrices ``(G, 64, O, O)`` (with the ties rule applied) and the
    raw win / tie matrices ``(G, O, O)`` (the database path's input)."""
    score = mm_fit(win_b.sum(1))
    W = boot_weights(n_boot, seed)
    lo = hi = np.full_like(score, np.nan)
    if len(W):
        reps = np.einsum("bk,gkij->gbij", W, win_b)
        boot = mm_fit(reps)
        a = (1 - confidence) / 2
        with warnings.catch_warnings():  # objects absent from a group are all-NaN there: NaN interval
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanquantile(boot, a, axis=1), np.nanquantile(boot, 1 - a, axis=1)
    rows = []
    for gi in range(len(keys)):  # one small frame per group (groups are few: the --by values)
        seen = (raw[gi].sum(0) + raw[gi].sum(1) + tie_raw[gi].sum(1)) > 0
        f = pd.DataFrame({"object": objects[seen], "score": score[gi][seen], "ci_low": lo[gi][seen],
                          "ci_high": hi[gi][seen], "wins": raw[gi].sum(1)[seen].astype(np.int64),
                          "losses": raw[gi].sum(0)[seen].astype(np.int64),
                          "ties": tie_raw[gi].sum(1)[seen].astype(np.int64)})
        f["rank"] = f["score"].rank(ascending=False, method="min").astype(np.int64)
        for c in keys.columns:
            f[c] = keys.iloc[gi][c]
        rows.append(f.sort_values(["rank", "object"]))
    cols = [*keys.columns, "object", "score", "ci_low", "ci_high", "rank", "wins", "losses", "ties"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)
