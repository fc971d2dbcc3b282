"""The ingest log's row fingerprints, computed from Arrow (DuckDB targets): the same 64-bit values and digests as
:func:`analytics.io.history.row_fingerprints` / :func:`~analytics.io.history.fingerprint_digest` (which
``labelqa verify`` recomputes from the tables), ~5x faster on millions of rows.

Why the values are identical: ``history`` hashes each canonical column (``astype("string")``, NULL -> ``\\N``)
with pandas' ``hash_array`` and combines the columns in name order with ``combine_hash_arrays``. A value's hash
does not depend on the other values, so here each column is hashed once per *distinct* value (Arrow
``dictionary_encode`` for text; ``pd.factorize`` of the column as DuckDB's ``.df()`` types it, then the same
``astype("string")`` on the distinct values, for numbers and timestamps) and spread back by the codes. The row
sort of ``history`` only orders the rows; the digest's key order is Arrow's byte-wise sort (= code-point order,
pandas' order for unique string keys). ``tests/test_ingest_fast.py`` compares both on the hostile corpus."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.core.util.hashing import combine_hash_arrays, hash_array

from analytics.io import history
from analytics.io.ingest.schema import TABLE_COLUMNS

_NULL = "\\N"


def _hash_strings(values: np.ndarray) -> np.ndarray:
    return hash_array(np.asarray(values, dtype=object), categorize=False)


def _text_hash(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    enc = pc.dictionary_encode(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
    hashed = _hash_strings(np.append(enc.dictionary.to_numpy(zero_copy_only=False), _NULL))
    codes = pc.fill_null(enc.indices, len(enc.dictionary)).to_numpy(zero_copy_only=False)
    return hashed.take(codes)


def _other_hash(series: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = pd.Series(uniques).astype("string").fillna(_NULL)
    hashed = _hash_strings(np.append(text.to_numpy(dtype=object), _NULL))
    return hashed.take(np.where(codes < 0, len(uniques), codes))


def fingerprints(raw, sql: str, columns: Sequence[str], key: Sequence[str]) -> tuple[pa.Table, str]:
    """``sql`` (on the raw DuckDB connection ``raw``) selects ``columns``: returns (key columns as text +
    ``row_hash`` int64, in the query's row order; :func:`history.fingerprint_digest` of them)."""
    tbl = raw.sql(sql).to_arrow_table()
    text_cols = [c for c in columns if pa.types.is_string(tbl.schema.field(c).type)
                 or pa.types.is_large_string(tbl.schema.field(c).type)]
    others = [c for c in columns if c not in text_cols]
    frame = raw.execute(f"SELECT {', '.join(others)} FROM ({sql}) q").df() if others else None  # .df() types, as history._read
    n = tbl.num_rows
    hashes = {c: _text_hash(tbl.column(c)) for c in text_cols}
    for c in others:
        hashes[c] = _other_hash(frame[c])
    ordered = sorted(columns)
    row_hash = combine_hash_arrays(iter([hashes[c] for c in ordered]), len(ordered), n) if n else np.array([], np.uint64)
    out = pa.table({**{k: tbl.column(k).cast(pa.string()) for k in key},
                    "row_hash": pa.array(row_hash.view("int64"), pa.int64())})
    # fingerprint_digest: rows sorted by key; the key columns' frame hash, then the row hashes
    order = pc.sort_indices(out, sort_keys=[(k, "ascending") for k in key]).to_numpy()
    key_hash = combine_hash_arrays(iter([hashes[k][order] for k in key]), len(key), n) if n else np.array([], np.uint64)
    d = hashlib.sha256()
    d.update(key_hash.tobytes())
    d.update(row_hash.view("int64")[order].tobytes())
    return out, d.hexdigest()


class _Rows:
    """Stands in for a frame in :func:`history.load_record` (which only takes its length when a digest is given)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n


def _prints_of(raw, staged: set, stage_prefix: str, sources) -> tuple[dict, dict, dict]:
    prints: dict[str, pa.Table] = {}
    digests: dict[str, str] = {}
    for t, key in history.TRACKED.items():
        if t in staged:
            sql = history._select(t, stage_prefix + t)   # the columns history._read fingerprints
            prints[t], digests[t] = fingerprints(raw, sql, list(TABLE_COLUMNS[t]), key)
    files = {s.name: history.file_sha256(s.path) for s in sources if s.path.is_file()}
    return prints, digests, files


def start_prints(staged_tables: Mapping[str, pa.Table], sources) -> tuple[ThreadPoolExecutor, Future]:
    """Compute the staged rows' fingerprints and the files' SHA-256 in a worker thread (its own in-memory DuckDB
    connection over the same Arrow tables the load stages), while the load checks and inserts: the values are the
    staged rows', so they are the same whenever the load goes ahead. Returns (pool, future of (prints, digests,
    files)) for :func:`append_load_duckdb`; shut the pool down either way."""
    import duckdb

    tracked = {t: tbl for t, tbl in staged_tables.items() if t in history.TRACKED}

    def work():
        mem = duckdb.connect()
        try:
            for t, tbl in tracked.items():
                mem.register(f"_lqa_fp_{t}", tbl)
            return _prints_of(mem, set(tracked), "_lqa_fp_", sources)
        finally:
            mem.close()

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labelqa-ingest-log")
    return pool, pool.submit(work)


def append_load_duckdb(con, sources, staged: set, counts: dict, stage_prefix: str,
                       precomputed: Future | None = None) -> dict:
    """:func:`history.append_load` for a DuckDB target: the same record, chain digest and ``ingest_rows``, with
    the fingerprints from :func:`fingerprints` (``precomputed``: from :func:`start_prints`) and the rows inserted
    from Arrow."""
    from sqlalchemy import text

    from analytics.db import sql_text

    raw = con.connection.driver_connection
    rows = con.execute(text(sql_text("history_last_load"))).fetchall()  # all: no unfinished result on ``raw``
    last = rows[0] if rows else None
    load_id, prev = (int(last[0]) + 1, str(last[1])) if last else (1, history.GENESIS)
    prints, digests, files = precomputed.result() if precomputed else _prints_of(raw, staged, stage_prefix, sources)
    when = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    rec = history.load_record(load_id, {t: _Rows(p.num_rows) for t, p in prints.items()}, history.TRACKED, prev,
                              who=history._user(), when=when.isoformat(sep=" "), files=files, counts=counts,
                              digests=digests)
    body = {k: v for k, v in rec.items() if k != "digest"}
    con.execute(text(sql_text("history_insert_load")), {"load_id": load_id, "loaded_at": when,
                                                          "loaded_by": rec["who"], "record": history._json(body),
                                                          "digest": rec["digest"]})
    parts = [pa.table({"load_id": pa.repeat(pa.scalar(load_id, pa.int64()), p.num_rows),
                       "table_name": pa.repeat(pa.scalar(t, pa.string()), p.num_rows),
                       "row_key": p.column(history.TRACKED[t][0]), "row_hash": p.column("row_hash")})
             for t, p in prints.items() if p.num_rows]
    if parts:
        raw.register("_lqa_history_rows", pa.concat_tables(parts))
        try:
            con.execute(text(sql_text("history_insert_rows")))
        finally:
            raw.unregister("_lqa_history_rows")
    return rec
