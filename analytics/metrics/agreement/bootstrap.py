"""Cluster bootstrap over the 64 item buckets: replicate weights, percentile intervals, method text."""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from analytics.metrics.agreement.base import _MAX_CHUNK, N_BUCKETS


# --------------------------------------------------------------------------------------------- bootstrap

def _occupied_weights(occupied: np.ndarray, u_block: np.ndarray) -> np.ndarray:
    """Bucket weights ``(b, G, 64)``: for each replicate and group, ``K_g`` draws with replacement among the
    group's ``K_g`` occupied buckets, the j-th draw taken from ``u_block[:, j]`` (shared uniforms)."""
    G = occupied.shape[0]
    b = u_block.shape[0]
    if G == 0 or b == 0:
        return np.zeros((b, G, N_BUCKETS))
    K = occupied.sum(1)
    order = np.argsort(~occupied, axis=1, kind="stable")  # occupied bucket positions first, ascending
    idx = np.floor(u_block[:, None, :] * K[None, :, None]).astype(np.int64)  # (b, G, 64) in [0, K_g)
    valid = np.arange(N_BUCKETS)[None, None, :] < K[None, :, None]
    idx = np.minimum(idx, np.maximum(K[None, :, None] - 1, 0))
    chosen = order[np.arange(G)[None, :, None], idx]
    flat = ((np.arange(b)[:, None, None] * G + np.arange(G)[None, :, None]) * N_BUCKETS + chosen)[
        np.broadcast_to(valid, chosen.shape)]
    return np.bincount(flat, minlength=b * G * N_BUCKETS).reshape(b, G, N_BUCKETS).astype(np.float64)


def _bootstrap(arrays: dict[str, np.ndarray], occupied: np.ndarray, value_fn, n_boot: int, seed: int,
               per_group: int = 1) -> np.ndarray:
    """Replicate values ``(n_boot, G, ...)`` of ``value_fn`` applied to bucket-weighted sums of ``arrays``.

    ``arrays`` hold per-bucket statistics with shape ``(G, 64, ...)``; ``value_fn`` takes the dict of summed
    arrays (leading dims ``(b, G)``) and returns ``(b, G, ...)``. Vectorised over groups and replicates; the
    replicates are processed in blocks only to bound memory.
    """
    G = occupied.shape[0]
    rng = np.random.default_rng(seed)
    U = rng.random((n_boot, N_BUCKETS))
    width = max(1, G * max(per_group, max((int(np.prod(a.shape[2:])) for a in arrays.values()), default=1)))
    block = max(1, min(n_boot, _MAX_CHUNK // (width * 4)))
    out = []
    flat = {k: a.reshape(G, N_BUCKETS, -1) for k, a in arrays.items()}
    for s in range(0, n_boot, block):
        W = _occupied_weights(occupied, U[s:s + block])  # (b, G, 64)
        Wg = np.ascontiguousarray(W.transpose(1, 0, 2))  # (G, b, 64)
        sums = {}
        for k, a in flat.items():
            r = np.matmul(Wg, a)  # (G, b, m)
            sums[k] = r.transpose(1, 0, 2).reshape((W.shape[0], G) + arrays[k].shape[2:])
        with np.errstate(divide="ignore", invalid="ignore"):
            out.append(value_fn(sums))
    return np.concatenate(out, axis=0)


def _percentile_ci(reps: np.ndarray, confidence: float, ok_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over axis 0 of ``reps``; NaN where fewer than half the replicates are finite."""
    a = (1 - confidence) / 2
    finite = np.isfinite(reps)
    enough = finite.sum(0) >= 0.5 * reps.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanquantile(np.where(finite, reps, np.nan), [a, 1 - a], axis=0)
    ok = enough & np.broadcast_to(ok_groups.reshape(ok_groups.shape + (1,) * (reps.ndim - 1 - ok_groups.ndim)),
                                  enough.shape)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def _ci(arrays, occupied, value_fn, n_boot, seed, confidence, shape):
    if n_boot <= 0 or occupied.shape[0] == 0:
        nan = np.full(shape, np.nan)
        return nan, nan.copy()
    reps = _bootstrap(arrays, occupied, value_fn, int(n_boot), seed)
    return _percentile_ci(reps, confidence, occupied.sum(1) >= 2)


def _method_text(name: str, n_boot: int, seed: int, confidence: float) -> str:
    if n_boot <= 0:
        return f"{name}; no interval (n_boot=0)"
    return (f"{name}; {confidence:.0%} CI: percentile cluster bootstrap over md5 item buckets "
            f"({n_boot} replicates, seed {seed})")


# --------------------------------------------------------------------------------------------- nominal metrics

def _dense(codes: Sequence[np.ndarray], shape: tuple[int, ...], values) -> np.ndarray:
    size = int(np.prod(shape))
    if size == 0:
        return np.zeros(shape)
    flat = np.ravel_multi_index(tuple(codes), shape) if len(codes[0]) else np.zeros(0, np.int64)
    return np.bincount(flat, weights=np.asarray(values, dtype=np.float64), minlength=size).reshape(shape)
