"""Shared pieces of the agreement coefficients: choices, md5 item buckets, units (item x group) and grouping."""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
import pandas as pd

from analytics.frames import check_annotations


METRICS = ("krippendorff", "fleiss", "gwet_ac1", "percent", "scott_pi", "cohen")


LEVELS = ("nominal", "ordinal", "interval", "ratio")


WEIGHTS = (None, "linear", "quadratic")


DB_GROUPS = (None, "week", "team", "schema_version", "batch_id", "split")


N_BUCKETS = 64


_NAMES = {
    "krippendorff": "Krippendorff's alpha",
    "fleiss": "Fleiss' kappa",
    "gwet_ac1": "Gwet's AC1",
    "percent": "percent agreement",
    "scott_pi": "Scott's pi",
    "cohen": "Cohen's kappa",
}


# bucket = ascii(h[0]) * 4 + ascii(h[1]) % 4 for the hex md5 digest h: both characters are the two nibbles of
# the digest's first byte, so a 256-entry table maps that byte to the bucket id.
_HEX = b"0123456789abcdef"


_BYTE_TO_BUCKET = np.array([_HEX[b >> 4] * 4 + _HEX[b & 15] % 4 for b in range(256)], dtype=np.int64)


BUCKET_IDS = np.unique(_BYTE_TO_BUCKET)  # the 64 bucket ids the formula can produce, ascending


NOMINAL_STATS = ("n_pairable", "o_cc", "fleiss_sum", "prop_sum", "items_with_label", "n_single")


COINCIDENCE_STATS = ("o", "prop_sum", "n_single")


_GROUP_COLS = ("value", "ci_low", "ci_high", "n_items", "n_annotations", "reason")


_PER_CATEGORY_COLS = ("label", "specific_agreement", "ci_low", "ci_high", "fleiss_kappa", "kappa_ci_low",
                      "kappa_ci_high", "n_annotations", "n_items", "reason")


_MAX_CHUNK = 4_000_000  # elements per bootstrap block (bounds memory; the loop is over blocks, not replicates)


# --------------------------------------------------------------------------------------------- buckets

def item_bucket(item_ids) -> pd.Series:
    """The item bucket of each id, identical to the SQL expression
    ``ascii(substr(md5(item_id), 1, 1)) * 4 + ascii(substr(md5(item_id), 2, 1)) % 4``.

    Ids are hashed as their UTF-8 text (``str(id)``, as stored in the ``VARCHAR`` column). Returns an ``int64``
    Series on the input's index; the 64 possible values are :data:`BUCKET_IDS` (192 .. 411, unequal sizes).
    """
    s = item_ids if isinstance(item_ids, pd.Series) else pd.Series(item_ids)
    codes, uniques = pd.factorize(s)
    if (codes < 0).any():
        raise ValueError("item_id has missing values")
    return pd.Series(_buckets_of_uniques(uniques)[codes], index=s.index, name="bucket", dtype="int64")


def _buckets_of_uniques(uniques) -> np.ndarray:
    """Bucket id of each distinct id (one md5 per id; the ids' text as in SQL)."""
    vals = list(map(str, uniques.tolist() if hasattr(uniques, "tolist") else uniques))
    if len(vals) >= _VECTOR_MD5_MIN:
        # Many ids: DuckDB's vectorised md5 is ~5x faster than a Python loop over hashlib (same digest).
        import duckdb
        import pyarrow as pa

        con = duckdb.connect()
        try:
            con.register("ids", pa.table({"v": pa.array(vals, type=pa.string())}))
            out = con.execute(
                "SELECT ascii(substr(md5(v), 1, 1)) * 4 + ascii(substr(md5(v), 2, 1)) % 4 AS b FROM ids"
            ).fetchnumpy()["b"]
        finally:
            con.close()
        return np.asarray(out, dtype=np.int64)
    md5 = hashlib.md5
    first = np.fromiter((md5(v.encode("utf-8")).digest()[0] for v in vals), dtype=np.uint8, count=len(vals))
    return _BYTE_TO_BUCKET[first]


_VECTOR_MD5_MIN = 50_000


def _bucket_index(bucket_ids) -> np.ndarray:
    ids = np.asarray(bucket_ids, dtype=np.int64)
    pos = np.searchsorted(BUCKET_IDS, ids)
    if len(ids) and (pos.max() >= N_BUCKETS or (BUCKET_IDS[np.minimum(pos, N_BUCKETS - 1)] != ids).any()):
        raise ValueError("bucket ids outside the 64 md5 buckets")
    return pos


# --------------------------------------------------------------------------------------------- input

def _check_choice(value, allowed: Sequence, what: str):
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"unknown {what} {value!r}; choose one of {shown}")
    return value


def _norm_weights(weights):
    if isinstance(weights, str) and weights.lower() == "none":
        weights = None
    return _check_choice(weights, WEIGHTS, "weights")


def _group_codes(frame: pd.DataFrame, by_cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Sorted group codes (``0 .. G-1``) for each row and the key frame (one row per group, same order)."""
    if not by_cols:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=range(1 if len(frame) else 0))
    gb = frame.groupby(by_cols, sort=True, dropna=False, observed=True)
    codes = gb.ngroup().to_numpy(dtype=np.int64)
    keys = gb.size().index.to_frame(index=False).reset_index(drop=True)
    for c in keys.columns:  # a missing text key is None (as from SQL), not NaN
        if not pd.api.types.is_numeric_dtype(keys[c]) and keys[c].isna().any():
            keys[c] = keys[c].astype(object).where(keys[c].notna(), None)
    return codes, keys


class _Units:
    """Per (unit, label) counts of a long annotation frame: the one grouped pass every frame metric shares.

    Arrays are aligned, one entry per (unit, label) pair: ``g`` group code, ``bucket`` bucket id, ``unit`` unit
    code, ``lab`` label code (into ``labels``, sorted), ``n_uc`` ratings, ``n_u`` ratings of the unit.
    """

    def __init__(self, df: pd.DataFrame, by_cols: list[str]):
        d = check_annotations(df, extra=by_cols)
        g_row, self.keys = _group_codes(d, by_cols)
        item_codes, items = pd.factorize(d["item_id"])
        if (item_codes < 0).any():
            raise ValueError("item_id has missing values")
        lab_codes, labels = pd.factorize(d["label"], sort=True)
        self.labels = pd.Index(labels)
        q = max(len(labels), 1)
        n_it = max(len(items), 1)
        if len(self.keys) <= 1:  # one group: the units are the items
            unit_row, unit_item, unit_g = item_codes.astype(np.int64), np.arange(len(items)), None
        else:
            unit_row, uuniq = pd.factorize(g_row * n_it + item_codes)
            unit_item, unit_g = uuniq % n_it, uuniq // n_it
        n_units = len(unit_item)
        key = unit_row * q + lab_codes
        if n_units * q <= 50_000_000:  # dense count table: sorted by unit, no hashing
            counts = np.bincount(key, minlength=n_units * q)
            nz = np.flatnonzero(counts)
            n_uc = counts[nz]
        else:
            kcodes, nz = pd.factorize(key, sort=True)
            n_uc = np.bincount(kcodes)
        self.unit = (nz // q).astype(np.int64)
        self.lab = (nz % q).astype(np.int64)
        self.n_uc = n_uc.astype(np.float64)
        self.n_units = n_units
        self.n_u = np.bincount(self.unit, weights=self.n_uc, minlength=n_units)[self.unit]
        self.g = np.zeros(len(nz), np.int64) if unit_g is None else unit_g[self.unit].astype(np.int64)
        self.bucket = _buckets_of_uniques(items)[unit_item[self.unit]] if len(items) else np.zeros(0, np.int64)


def _reasons(reasons: list) -> pd.Series:
    """A ``reason`` column: text where undefined, ``None`` (not NaN) where defined."""
    return pd.Series(reasons, dtype=object)


def _key_frame(keys: pd.DataFrame, g: np.ndarray, by_cols: list[str]) -> pd.DataFrame:
    if not by_cols:
        return pd.DataFrame(index=range(len(g)))
    return keys.iloc[g].reset_index(drop=True)


def _aggregate(group_arrays: Sequence[np.ndarray], values: dict[str, np.ndarray]) -> tuple[list[np.ndarray], dict]:
    """Sum ``values`` over the distinct combinations of the integer ``group_arrays`` (sorted, vectorised)."""
    if len(group_arrays[0]) == 0:
        return [a[:0] for a in group_arrays], {k: v[:0] for k, v in values.items()}
    key = np.zeros(len(group_arrays[0]), dtype=np.int64)
    dims = [int(a.max()) + 1 for a in group_arrays]
    for a, dmax in zip(group_arrays, dims):
        key = key * dmax + a
    codes, uniq = pd.factorize(key, sort=True)
    out = {k: np.bincount(codes, weights=v, minlength=len(uniq)) for k, v in values.items()}
    parts = []
    rest = uniq
    for dmax in reversed(dims):
        parts.append(rest % dmax)
        rest = rest // dmax
    return parts[::-1], out
