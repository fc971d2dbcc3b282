"""Shared machinery: group codes, md5 pair buckets and the seeded cluster bootstrap over pairs.

Every interval of the preference kind that is not a Wilson interval comes from here. A pair's bucket is the
project's item bucket of its ``pair_id`` (docs/ARCHITECTURE.md "Item buckets":
``ascii(substr(md5(id), 1, 1)) * 4 + ascii(substr(md5(id), 2, 1)) % 4``, 64 buckets), so all judgments of a
pair -- on every dimension -- fall in one bucket and the bootstrap resamples pairs (in 64 clusters; with fewer
than ~64 pairs nearly every pair is its own cluster). Sufficient statistics are summed per (group, bucket);
replicate ``r`` weights bucket ``k`` by ``W[r, k] ~ Poisson(1)`` (the Poisson bootstrap, Hanley & MacGibbon
2006, Comput. Methods Programs Biomed. 81:233; it approximates the multinomial one and lets every group use the
same ``(n_boot x 64)`` matrix, so a group's interval depends only on its own data and the seed). Percentile
intervals; NaN when ``n_boot == 0``, the group spans fewer than 2 buckets, or fewer than half the replicates
are defined.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from analytics.frames import by_list

__all__ = ["N_BUCKETS", "pair_bucket", "group_codes", "boot_weights", "bootstrap_ci", "by_list", "known"]

N_BUCKETS = 64


def pair_bucket(pair_ids) -> np.ndarray:
    """Bucket index ``0..63`` (rank of the SQL bucket id among the 64 possible ids) of each pair id."""
    s = pd.Series(pair_ids)
    codes, uniques = pd.factorize(s)
    if (codes < 0).any():
        raise ValueError("pair_id has missing values")
    if len(uniques) == 0:
        return np.zeros(0, dtype=np.int64)
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    try:  # DuckDB's vectorised md5: the same digest as hashlib and as the SQL expression
        con.register("ids", pa.table({"v": pa.array([str(u) for u in uniques], type=pa.string())}))
        ids = con.execute("SELECT ascii(substr(md5(v), 1, 1)) * 4 + ascii(substr(md5(v), 2, 1)) % 4 AS b "
                          "FROM ids").fetchnumpy()["b"]
    finally:
        con.close()
    return np.searchsorted(_BUCKET_IDS, np.asarray(ids, dtype=np.int64))[codes]


# ascii codes of the two leading hex digits: the 64 bucket ids the SQL expression can produce (192 .. 411)
_BUCKET_IDS = np.unique([h * 4 + l % 4 for h in b"0123456789abcdef" for l in b"0123456789abcdef"])


def known(values, universe) -> np.ndarray:
    """``values.isin(universe)`` as a bool array through a hash index (pandas' ``isin`` on Arrow-backed strings
    walks a large ``universe`` in Python: 1M judgments against 250k pair ids took seconds)."""
    idx = pd.Index(pd.unique(np.asarray(pd.Series(universe).astype(str), dtype=object)))
    return idx.get_indexer(np.asarray(pd.Series(values).astype(str), dtype=object)) >= 0


def group_codes(frame: pd.DataFrame, by_cols: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Sorted group codes ``0..G-1`` per row and the key frame (one row per group, same order)."""
    by_cols = list(by_cols)
    if not by_cols:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=range(1))
    gb = frame.groupby(by_cols, sort=True, dropna=False, observed=True)
    codes = gb.ngroup().to_numpy(dtype=np.int64)
    keys = gb.size().index.to_frame(index=False).reset_index(drop=True)
    return codes, keys


def boot_weights(n_boot: int, seed: int) -> np.ndarray:
    """The ``(n_boot x 64)`` Poisson(1) bucket weights of ``seed``."""
    return np.random.default_rng(seed).poisson(1.0, size=(max(int(n_boot), 0), N_BUCKETS)).astype(np.float64)


def bootstrap_ci(stats: np.ndarray, metric: Callable[[np.ndarray], np.ndarray], n_boot: int, seed: int,
                 confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point value and percentile interval of ``metric`` for each group.

    ``stats``: ``(G, 64, *shape)`` additive sufficient statistics per group and bucket. ``metric`` maps an
    array ``(..., *shape)`` of summed statistics to ``(...)`` values (NaN where undefined), vectorised.
    Returns ``value, ci_low, ci_high``, each ``(G,)``.
    """
    stats = np.asarray(stats, dtype=np.float64)
    g = stats.shape[0]
    value = metric(stats.sum(axis=1))
    lo = np.full(g, np.nan)
    hi = np.full(g, np.nan)
    W = boot_weights(n_boot, seed)
    if len(W) == 0 or g == 0:
        return value, lo, hi
    occupied = np.abs(stats.reshape(g, N_BUCKETS, -1)).sum(axis=2) > 0
    flat = stats.reshape(g, N_BUCKETS, -1)
    reps = np.einsum("bk,gks->gbs", W, flat).reshape((g, len(W)) + stats.shape[2:])
    vals = metric(reps)  # (G, B)
    ok = np.isfinite(vals)
    alpha = (1 - confidence) / 2
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a group with no defined replicate: NaN interval
        q = np.nanquantile(np.where(ok, vals, np.nan), [alpha, 1 - alpha], axis=1) if ok.any() else None
    if q is not None:
        good = (ok.sum(axis=1) >= len(W) / 2) & (occupied.sum(axis=1) >= 2)
        lo = np.where(good, q[0], np.nan)
        hi = np.where(good, q[1], np.nan)
    return value, lo, hi
