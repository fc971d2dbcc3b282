"""Inter-annotator agreement: percent agreement, Cohen's kappa (unweighted / linear / quadratic), Fleiss' kappa,
Krippendorff's alpha (nominal, ordinal, interval, ratio), Gwet's AC1, Scott's pi, per-category agreement and
the pairwise Cohen matrix, each with a confidence interval.

Input is the long annotation frame ``item_id, annotator_id, label`` (+ grouping columns); rows with a missing
label are missing ratings. The *unit* of agreement is an item within a group: with ``by='team'`` an item's
annotations from two teams are two units, so the agreement is within-team. Items with a single rating carry no
agreement information; they are left out of every observed-agreement term and enter only the chance terms of
Fleiss' kappa and Gwet's AC1 (as in Gwet 2014). ``n_items`` (= ``Estimate.n``) counts the units with 2+ ratings
and ``n_annotations`` their ratings.

Notation, per unit ``u``: ``n_uc`` ratings of category ``c``, ``n_u = sum_c n_uc`` ratings in all; ``N`` units
with ``n_u >= 2`` ("pairable"), ``n = sum_u n_u`` pairable values.

* Percent agreement ``P = (1/N) sum_u sum_c n_uc (n_uc - 1) / (n_u (n_u - 1))`` (the share of agreeing rater
  pairs, averaged over items; for two raters, the share of items they agree on).
* Fleiss' kappa (Fleiss 1971) ``(P - P_e) / (1 - P_e)``, ``P_e = sum_c p_c^2`` with ``p_c`` the mean over items
  of the per-item proportions ``n_uc / n_u``. With a varying number of raters, ``P`` averages ``P_u`` over items
  with ``n_u >= 2`` and ``p_c`` averages over every rated item, as in Gwet (2014, Handbook of Inter-Rater
  Reliability, 4th ed., ch. 2) and R ``irrCAC::fleiss.kappa.raw``; with a constant number of raters this is
  exactly ``statsmodels.stats.inter_rater.fleiss_kappa``.
* Gwet's AC1 (Gwet 2008, Br. J. Math. Stat. Psychol. 61:29-48) ``(P - P_e) / (1 - P_e)`` with
  ``P_e = sum_c p_c (1 - p_c) / (q - 1)``, ``p_c`` as for Fleiss and ``q`` the number of categories observed in
  the group.
* Scott's pi (Scott 1955; multi-rater form of Siegel & Castellan 1988, = ``nltk`` ``AnnotationTask.pi``):
  ``(P - P_e) / (1 - P_e)`` with ``P_e = sum_c (n_c / n)^2`` from the pooled pairable values.
* Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): coincidences
  ``o_ck = sum_u n_uc (n_uk - [c = k]) / (n_u - 1)``, ``n_c = sum_k o_ck``,
  ``alpha = 1 - (n - 1) sum_ck o_ck d_ck / sum_ck n_c n_k d_ck`` with the squared difference ``d_ck`` of the
  level: nominal ``[c != k]``; ordinal ``(sum_{g=c..k} n_g - (n_c + n_k)/2)^2``; interval ``(c - k)^2``;
  ratio ``((c - k) / (c + k))^2``. Nominal alpha needs only the diagonal ``o_cc`` and ``n_c``.
* Cohen's kappa (Cohen 1960; weighted: Cohen 1968) for exactly two annotators on the items both rated:
  ``1 - sum_ij w_ij p_ij / sum_ij w_ij p_i. p_.j`` with disagreement weights ``w_ij = [i != j]`` (none),
  ``|i - j|`` (linear) or ``(i - j)^2`` (quadratic) on the positions of the ordered categories observed (as
  ``sklearn.metrics.cohen_kappa_score``), or on ``categories`` when given.
* Per category ``c``: specific agreement ``o_cc / n_c`` (the share of the pairable ``c`` values that are paired
  with another ``c``; for two raters ``2 n_cc / (n_c. + n_.c)``), and Fleiss' category kappa
  ``kappa_c = 1 - sum_u n_uc (n_u - n_uc) / (n_u (n_u - 1)) / (N p_c (1 - p_c))`` with
  ``p_c = (1/N) sum_u n_uc / n_u`` over pairable items (Fleiss 1971 for a constant number of raters; this
  generalisation keeps ``kappa = sum_c p_c q_c kappa_c / sum_c p_c q_c``).

Intervals: cluster bootstrap over the 64 md5 item buckets (docs/ARCHITECTURE.md, "Item buckets"). The
sufficient statistics above are additive over units, so they are summed per (group, bucket, label) -- in SQL
(``sql/agreement_bucket_stats.sql``, ``sql/agreement_coincidences.sql``) or with pandas (:func:`bucket_stats`,
:func:`coincidence_stats`, identical frames) -- and each bootstrap replicate is a weighted sum of the buckets.
A group that has items in ``K`` buckets resamples ``K`` of its buckets with replacement (with few items every
item is its own bucket, so this is the ordinary item bootstrap). The draws come from one ``(n_boot x 64)``
uniform matrix of ``seed``, so a group's interval depends only on its own data and the seed: the grouped result
equals the metric on the group's rows alone, and the DataFrame and SQL paths give the same interval. Percentile
intervals; ``ci_low``/``ci_high`` are NaN when ``n_boot == 0``, the group spans fewer than 2 buckets, or fewer
than half of the replicates are defined. Every metric is a dimensionless coefficient (1 = perfect agreement;
0 = chance level for the chance-corrected ones).
"""
from __future__ import annotations

import hashlib
import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps

from analytics.frames import ANNOTATION_COLUMNS, check_annotations, require_columns
from analytics.frames import by_list as _by_list
from analytics.metrics.results import Estimate

__all__ = [
    "METRICS",
    "LEVELS",
    "WEIGHTS",
    "DB_GROUPS",
    "N_BUCKETS",
    "BUCKET_IDS",
    "NOMINAL_STATS",
    "COINCIDENCE_STATS",
    "item_bucket",
    "numeric_labels",
    "bucket_stats",
    "coincidence_stats",
    "percent_agreement",
    "cohens_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
    "scotts_pi",
    "agreement",
    "agreement_from_db",
    "agreement_stats_from_db",
    "agreement_from_stats",
    "per_category_from_stats",
    "per_category_agreement",
    "per_category_agreement_from_db",
    "pairwise_cohen",
    "pairwise_cohen_from_db",
]

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


class _NominalArrays:
    """Dense per-(group, bucket, label) statistics from a :func:`bucket_stats` frame (pandas or SQL)."""

    def __init__(self, stats: pd.DataFrame, by_cols: list[str]):
        self.g, self.keys = _group_codes(stats, by_cols)
        self.G = len(self.keys)
        b = _bucket_index(stats["bucket"].to_numpy())
        lab, labels = pd.factorize(stats["label"], sort=True)
        self.labels = pd.Index(labels)
        self.q = len(labels)
        shape = (self.G, N_BUCKETS, self.q)
        self.arrays = {k: _dense([self.g, b, lab], shape, stats[k].to_numpy(dtype=np.float64))
                       for k in NOMINAL_STATS}
        # pairable units per bucket: sum over labels of n_uc / n_u is 1 per unit (rounded: exact count)
        self.arrays["items"] = np.rint(self.arrays["prop_sum"].sum(-1))
        self.occupied = (self.arrays["n_pairable"] + self.arrays["n_single"]).sum(-1) > 0
        tot = {k: a.sum(1) for k, a in self.arrays.items()}
        self.total = tot
        self.q_obs = ((tot["n_pairable"] + tot["n_single"]) > 0).sum(-1)  # categories observed per group


def _nominal_value(metric: str, s: dict[str, np.ndarray], q_obs: np.ndarray) -> np.ndarray:
    """Metric from summed statistics (leading dims ``(..., G)``, label last); NaN where undefined."""
    N = s["items"]
    npair = s.get("n_pairable")
    pbar = s["fleiss_sum"].sum(-1) / N if "fleiss_sum" in s else None
    if metric == "percent":
        v = pbar
        bad = N <= 0
    elif metric in ("fleiss", "gwet_ac1"):
        everyone = s["prop_sum"] + s["n_single"]
        n_all = everyone.sum(-1)
        p = everyone / n_all[..., None]
        if metric == "fleiss":
            pe = (p * p).sum(-1)
            bad = (N <= 0) | ((everyone > 0).sum(-1) < 2)
        else:
            pe = (p * (1 - p)).sum(-1) / (q_obs - 1)
            bad = (N <= 0) | (q_obs < 2)
        v = (pbar - pe) / (1 - pe)
    elif metric == "scott_pi":
        p = npair / npair.sum(-1)[..., None]
        pe = (p * p).sum(-1)
        v = (pbar - pe) / (1 - pe)
        bad = (N <= 0) | ((npair > 0).sum(-1) < 2)
    elif metric == "krippendorff":
        n = npair.sum(-1)
        v = 1 - (n - 1) * (n - s["o_cc"].sum(-1)) / (n * n - (npair * npair).sum(-1))
        bad = (N <= 0) | ((npair > 0).sum(-1) < 2)
    else:  # pragma: no cover - checked by callers
        raise ValueError(metric)
    return np.where(bad, np.nan, v)


def _nominal_reasons(metric: str, A: _NominalArrays) -> list[str | None]:
    name = _NAMES[metric]
    tot = A.total
    out: list[str | None] = []
    for g in range(A.G):
        N = tot["items"][g]
        n_single = int(tot["n_single"][g].sum())
        if N <= 0:
            out.append(f"no item has 2 or more ratings ({n_single} item(s) rated once): {name} is undefined")
            continue
        if metric in ("fleiss", "gwet_ac1"):
            present = (tot["prop_sum"][g] + tot["n_single"][g]) > 0
        else:
            present = tot["n_pairable"][g] > 0
        if metric != "percent" and present.sum() < 2:
            only = A.labels[np.flatnonzero(present)[0]] if present.any() else None
            out.append(f"every rating is the same category ({only!r}): chance agreement is 1, so {name} is "
                       "undefined")
            continue
        out.append(None)
    return out


# the per-bucket statistics each metric reads (only these are resampled)
_NEEDS = {
    "percent": ("fleiss_sum", "items"),
    "fleiss": ("fleiss_sum", "prop_sum", "n_single", "items"),
    "gwet_ac1": ("fleiss_sum", "prop_sum", "n_single", "items"),
    "scott_pi": ("fleiss_sum", "n_pairable", "items"),
    "krippendorff": ("o_cc", "n_pairable", "items"),
    "per_category": ("o_cc", "n_pairable", "fleiss_sum", "prop_sum", "items"),
}


def _finish_nominal(stats: pd.DataFrame, by_cols: list[str], metric: str, n_boot: int, seed: int,
                    confidence: float) -> pd.DataFrame:
    A = _NominalArrays(stats, by_cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = _nominal_value(metric, A.total, A.q_obs)
    lo, hi = _ci({k: A.arrays[k] for k in _NEEDS[metric]}, A.occupied,
                 lambda s: _nominal_value(metric, s, A.q_obs), n_boot, seed, confidence, (A.G,))
    out = A.keys.copy()
    out["value"] = value
    out["ci_low"] = np.where(np.isfinite(value), lo, np.nan)
    out["ci_high"] = np.where(np.isfinite(value), hi, np.nan)
    out["n_items"] = A.total["items"].astype(np.int64)
    out["n_annotations"] = A.total["n_pairable"].sum(-1).astype(np.int64)
    out["reason"] = _reasons(_nominal_reasons(metric, A))
    return out


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


# --------------------------------------------------------------------------------------------- public: frame

def _to_estimate(row: pd.Series, method: str) -> Estimate:
    n_items = int(row["n_items"])
    if row["reason"] is not None and isinstance(row["reason"], str):
        return Estimate.undefined(reason=row["reason"], n=n_items, n_items=n_items,
                                  n_annotations=int(row["n_annotations"]), method=method)
    return Estimate(value=float(row["value"]), ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                    n=n_items, n_items=n_items, n_annotations=int(row["n_annotations"]), method=method)


def _shape(frame: pd.DataFrame, by_cols: list[str], method: str):
    if by_cols:
        return frame[[*by_cols, *_GROUP_COLS]].reset_index(drop=True)
    if frame.empty:
        return Estimate.undefined(reason="no annotations", n=0, n_items=0, n_annotations=0, method=method)
    return _to_estimate(frame.iloc[0], method)


def agreement(df: pd.DataFrame, metric: str = "krippendorff", by=None, level: str = "nominal", weights=None,
              n_boot: int = 1000, seed: int = 0, categories: Sequence | None = None,
              confidence: float = 0.95):
    """One agreement metric for a long annotation frame, overall or per group in one grouped computation.

    ``metric``: ``'krippendorff'`` (``level`` nominal/ordinal/interval/ratio), ``'fleiss'``, ``'gwet_ac1'``,
    ``'percent'``, ``'scott_pi'``, ``'cohen'`` (exactly two annotators; ``weights`` None/'linear'/'quadratic').
    ``categories`` orders non-numeric labels for ordinal alpha and weighted Cohen. Returns an
    :class:`~analytics.metrics.results.Estimate` (``n = n_items`` = items with 2+ ratings, ``n_annotations`` = their
    ratings) or, with ``by``, a frame with the ``by`` columns and ``value, ci_low, ci_high, n_items,
    n_annotations, reason`` (one row per group, sorted). Formulas and the interval: module docstring.
    """
    _check_choice(metric, METRICS, "metric")
    _check_choice(level, LEVELS, "level")
    weights = _norm_weights(weights)
    by_cols = _by_list(by)
    if level != "nominal" and metric != "krippendorff":
        raise ValueError(f"level={level!r} applies to metric='krippendorff' only")
    if weights is not None and metric != "cohen":
        raise ValueError(f"weights={weights!r} applies to metric='cohen' only")
    require_columns(df, (*ANNOTATION_COLUMNS, *by_cols), "annotations")
    name = _NAMES[metric] + (f" ({level})" if metric == "krippendorff" else "") + \
        (f" ({weights} weights)" if weights else "")
    method = _method_text(name, n_boot, seed, confidence)
    if metric == "cohen":
        frame = _finish_cohen(df, by_cols, weights, categories, n_boot, seed, confidence)
    elif metric == "krippendorff" and level != "nominal":
        d = df if categories is not None else df.assign(label=numeric_labels(df["label"], f"level={level!r}"))
        frame = _finish_coincidences(coincidence_stats(d, by_cols), by_cols, level, categories, n_boot, seed,
                                     confidence)
    else:
        frame = _finish_nominal(bucket_stats(df, by_cols), by_cols, metric, n_boot, seed, confidence)
    return _shape(frame, by_cols, method)


def percent_agreement(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Mean share of agreeing rater pairs per item (items with 2+ ratings); see :func:`agreement`."""
    return agreement(df, "percent", n_boot=n_boot, seed=seed, confidence=confidence)


def fleiss_kappa(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Fleiss' kappa (Fleiss 1971) with any number of raters per item; see the module docstring."""
    return agreement(df, "fleiss", n_boot=n_boot, seed=seed, confidence=confidence)


def krippendorff_alpha(df: pd.DataFrame, level: str = "nominal", n_boot: int = 1000, seed: int = 0,
                       categories: Sequence | None = None, confidence: float = 0.95) -> Estimate:
    """Krippendorff's alpha (2011) for ``level`` nominal/ordinal/interval/ratio, missing ratings allowed."""
    return agreement(df, "krippendorff", level=level, n_boot=n_boot, seed=seed, categories=categories,
                     confidence=confidence)


def gwet_ac1(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Gwet's AC1 for any number of raters (Gwet 2008); see the module docstring."""
    return agreement(df, "gwet_ac1", n_boot=n_boot, seed=seed, confidence=confidence)


def scotts_pi(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Scott's pi (1955), multi-rater form with pooled category proportions; see the module docstring."""
    return agreement(df, "scott_pi", n_boot=n_boot, seed=seed, confidence=confidence)


def cohens_kappa(data, labels_b=None, weights=None, categories: Sequence | None = None, n_boot: int = 1000,
                 seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Cohen's kappa for two annotators: a long frame with exactly two annotators, or two label arrays
    (position ``i`` = item ``i``; missing labels drop the item). ``weights`` None/'linear'/'quadratic'."""
    if isinstance(data, pd.DataFrame):
        if labels_b is not None:
            raise ValueError("give either a frame or two label arrays, not both")
        return agreement(data, "cohen", weights=weights, categories=categories, n_boot=n_boot, seed=seed,
                         confidence=confidence)
    if labels_b is None:
        raise ValueError("cohens_kappa needs a frame or two label arrays")
    a = pd.Series(list(data) if not isinstance(data, pd.Series) else data.to_numpy())
    b = pd.Series(list(labels_b) if not isinstance(labels_b, pd.Series) else labels_b.to_numpy())
    if len(a) != len(b):
        raise ValueError(f"the two label arrays differ in length ({len(a)} vs {len(b)})")
    ids = pd.Series(np.arange(len(a))).astype(str)
    frame = pd.DataFrame({"item_id": pd.concat([ids, ids], ignore_index=True),
                          "annotator_id": ["a"] * len(a) + ["b"] * len(b),
                          "label": pd.concat([a, b], ignore_index=True)})
    return agreement(frame, "cohen", weights=weights, categories=categories, n_boot=n_boot, seed=seed,
                     confidence=confidence)


# --------------------------------------------------------------------------------------------- per category

def _per_category_values(s: dict[str, np.ndarray]) -> np.ndarray:
    """Stack ``(..., 2, q)``: specific agreement and Fleiss' category kappa; NaN where undefined."""
    npair = s["n_pairable"]
    spec = np.where(npair > 0, s["o_cc"] / npair, np.nan)
    N = s["items"][..., None]
    p = s["prop_sum"] / N
    kap = 1 - (s["prop_sum"] - s["fleiss_sum"]) / (N * p * (1 - p))
    kap = np.where((s["prop_sum"] > 0) & (p < 1 - 1e-12) & (N > 0), kap, np.nan)
    return np.stack([spec, kap], axis=-2)


def _finish_per_category(stats: pd.DataFrame, by_cols: list[str], n_boot: int, seed: int,
                         confidence: float) -> pd.DataFrame:
    A = _NominalArrays(stats, by_cols)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = _per_category_values(A.total)  # (G, 2, q)
    lo, hi = _ci({k: A.arrays[k] for k in _NEEDS["per_category"]}, A.occupied, _per_category_values, n_boot,
                 seed, confidence, point.shape)
    gi, ci = np.nonzero(A.total["n_pairable"] > 0)
    out = _key_frame(A.keys, gi, by_cols)
    out["label"] = A.labels[ci] if len(ci) else pd.Series([], dtype=object)
    out["specific_agreement"] = point[gi, 0, ci]
    out["ci_low"] = lo[gi, 0, ci]
    out["ci_high"] = hi[gi, 0, ci]
    kap = point[gi, 1, ci]
    out["fleiss_kappa"] = kap
    out["kappa_ci_low"] = np.where(np.isfinite(kap), lo[gi, 1, ci], np.nan)
    out["kappa_ci_high"] = np.where(np.isfinite(kap), hi[gi, 1, ci], np.nan)
    out["n_annotations"] = A.total["n_pairable"][gi, ci].astype(np.int64)
    out["n_items"] = A.total["items_with_label"][gi, ci].astype(np.int64)
    out["reason"] = _reasons([None if np.isfinite(k) else
                              "the category is every pairable rating of the group: its kappa is undefined"
                              for k in kap])
    return out[[*by_cols, *_PER_CATEGORY_COLS]].reset_index(drop=True)


def per_category_agreement(df: pd.DataFrame, by=None, n_boot: int = 1000, seed: int = 0,
                           confidence: float = 0.95) -> pd.DataFrame:
    """Which class is ambiguous: one row per (group,) label with a pairable rating.

    Columns: ``by`` columns, ``label, specific_agreement, ci_low, ci_high`` (``o_cc / n_c``, bootstrap CI),
    ``fleiss_kappa, kappa_ci_low, kappa_ci_high`` (Fleiss' category kappa), ``n_annotations`` (pairable ratings
    of the label), ``n_items`` (items with 2+ ratings, one of them the label), ``reason``.
    """
    by_cols = _by_list(by)
    return _finish_per_category(bucket_stats(df, by_cols), by_cols, n_boot, seed, confidence)


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


# --------------------------------------------------------------------------------------------- database

def _check_db_by(by) -> str | None:
    if by is not None and not isinstance(by, str):
        raise ValueError(f"by must be one of {', '.join(repr(b) for b in DB_GROUPS)} for the database path")
    return _check_choice(by, DB_GROUPS, "by")


def _db_stats(engine, filters, name: str, by: str | None) -> pd.DataFrame:
    from analytics.db import query_df  # late import: the frame functions do not need SQLAlchemy

    stats = query_df(engine, name, **filters.params(), by=by)
    if by is None:
        return stats.drop(columns=["grp"])
    grp = stats["grp"]
    if by == "week":
        conv = pd.to_datetime(grp).dt.date
    elif by == "schema_version":
        conv = pd.to_numeric(grp).astype("Int64")
    else:
        conv = grp.astype(object).where(grp.notna(), None)
    out = stats.drop(columns=["grp"])
    out[by] = conv
    return out


def agreement_from_db(engine, filters, metric: str = "krippendorff", by: str | None = None,
                      level: str = "nominal", n_boot: int = 1000, seed: int = 0, confidence: float = 0.95):
    """:func:`agreement` on the filtered annotations in the database, from SQL sufficient statistics.

    ``by``: None, 'week' (Monday date), 'team' (the annotation's annotator's team: agreement within a team),
    'schema_version', 'batch_id', 'split'. ``sql/agreement_bucket_stats.sql`` returns groups x 64 buckets x
    labels rows (nominal metrics); ``level`` other than nominal reads ``sql/agreement_coincidences.sql`` and
    needs numeric labels. Cohen's kappa compares two fixed annotators: use :func:`pairwise_cohen_from_db`.
    Same result shapes as :func:`agreement`, and the same numbers and intervals as the frame path.
    """
    _check_choice(metric, METRICS, "metric")
    _check_choice(level, LEVELS, "level")
    by = _check_db_by(by)
    by_cols = _by_list(by)
    if metric == "cohen":
        raise ValueError("Cohen's kappa compares two fixed annotators; from the database use "
                         "pairwise_cohen_from_db (every annotator pair) or a multi-rater metric")
    if level != "nominal" and metric != "krippendorff":
        raise ValueError(f"level={level!r} applies to metric='krippendorff' only")
    if level == "nominal":
        return agreement_from_stats(agreement_stats_from_db(engine, filters, by), metric, by, n_boot, seed,
                                    confidence)
    name = _NAMES[metric] + f" ({level})"
    stats = _db_stats(engine, filters, "agreement_coincidences", by)
    frame = _finish_coincidences(stats, by_cols, level, None, n_boot, seed, confidence)
    return _shape(frame, by_cols, _method_text(name, n_boot, seed, confidence))


def agreement_stats_from_db(engine, filters, by: str | None = None) -> pd.DataFrame:
    """The nominal sufficient statistics of ``sql/agreement_bucket_stats.sql`` (groups x 64 buckets x labels).

    The one expensive step of every nominal metric and of per-category agreement: a dashboard caches this frame
    at its I/O edge and finishes it with :func:`agreement_from_stats` / :func:`per_category_from_stats`, so
    switching metric or adding the per-class view costs no second pass over the annotations.
    """
    return _db_stats(engine, filters, "agreement_bucket_stats", _check_db_by(by))


def agreement_from_stats(stats: pd.DataFrame, metric: str = "krippendorff", by: str | None = None,
                         n_boot: int = 1000, seed: int = 0, confidence: float = 0.95):
    """A nominal metric from :func:`agreement_stats_from_db` output (same result as :func:`agreement_from_db`)."""
    _check_choice(metric, METRICS, "metric")
    if metric == "cohen":
        raise ValueError("Cohen's kappa needs the two annotators' labels: use pairwise_cohen_from_db")
    by_cols = _by_list(_check_db_by(by))
    name = _NAMES[metric] + (" (nominal)" if metric == "krippendorff" else "")
    frame = _finish_nominal(stats, by_cols, metric, n_boot, seed, confidence)
    return _shape(frame, by_cols, _method_text(name, n_boot, seed, confidence))


def per_category_from_stats(stats: pd.DataFrame, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                            confidence: float = 0.95) -> pd.DataFrame:
    """Per-category agreement from :func:`agreement_stats_from_db` output."""
    return _finish_per_category(stats, _by_list(_check_db_by(by)), n_boot, seed, confidence)


def per_category_agreement_from_db(engine, filters, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                                   confidence: float = 0.95) -> pd.DataFrame:
    """:func:`per_category_agreement` from ``sql/agreement_bucket_stats.sql`` (``by`` as in
    :func:`agreement_from_db`, e.g. 'week' or 'schema_version')."""
    return per_category_from_stats(agreement_stats_from_db(engine, filters, by), by, n_boot, seed, confidence)


def pairwise_cohen_from_db(engine, filters, min_shared: int = 20, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`pairwise_cohen` from ``sql/agreement_pairs.sql`` (pair x label x label counts, one self-join)."""
    from analytics.db import query_df

    pairs = query_df(engine, "agreement_pairs", **filters.params())
    return _pairwise_from_counts(pairs, min_shared, confidence)
