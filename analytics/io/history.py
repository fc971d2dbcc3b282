"""A history that proves itself: canonical table digests, a hash chain per load and verification.

Pure functions over frames and plain dict records (the caller stores them, e.g. in an ``ingest_log``
table). Canonical encoding of a table: columns sorted by name, rows sorted by the key columns, values
written as CSV (``repr``-exact floats, ``\\n`` line ends, UTF-8); the table digest is SHA-256 of those
bytes, so it does not depend on row or column order. Per-row fingerprints
(``pandas.util.hash_pandas_object`` over the same canonical columns, 64-bit) let ``verify`` say which
rows were added, deleted or changed and which load they came from. A load's chain digest is
SHA-256 over the previous chain digest and the load's canonical JSON record, so editing any earlier
record breaks every later link.

In the database (``sql/schema.sql``: ``ingest_log``, ``ingest_rows``): :func:`append_load` runs inside every
``labelqa load`` transaction (so a refused load leaves no log entry) and stores the load's record, its chain
digest and the fingerprint of every loaded annotation, gold label and review (:data:`TRACKED`);
:func:`verify_db` recomputes the chain and compares the current tables with the fingerprints: rows changed,
deleted or added outside ``labelqa load`` since (and the load each changed / deleted row came from). Rows that
were in the database before the first recorded load (e.g. the demo, written directly) count as added.
Table and column names in the few statements built here are the fixed canonical ones, never user values.
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json

import numpy as np
import pandas as pd

__all__ = ["GENESIS", "TRACKED", "table_digest", "row_fingerprints", "file_sha256", "load_record", "verify_chain",
           "diff_rows", "verify", "append_load", "verify_db", "fingerprint_digest"]

GENESIS = "0" * 64
#: Tables whose rows the history fingerprints, with their keys.
TRACKED = {"annotations": ["annotation_id"], "gold_labels": ["item_id"], "reviews": ["review_id"]}


def _canonical(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    missing = [k for k in key if k not in frame.columns]
    if missing:
        raise ValueError(f"key columns {missing} not in the table")
    if frame.duplicated(subset=key).any():
        raise ValueError(f"key {key} is not unique in the table")
    f = frame[sorted(frame.columns)].astype("string").fillna("\\N")
    return f.sort_values(key, kind="stable").reset_index(drop=True)


def table_digest(frame: pd.DataFrame, key: list[str]) -> str:
    """SHA-256 hex of the canonical CSV encoding (order-independent)."""
    data = _canonical(frame, key).to_csv(index=False, lineterminator="\n").encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def row_fingerprints(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Key columns (as strings) plus ``row_hash`` (64-bit, stored as int64) per row, vectorised."""
    c = _canonical(frame, key)
    h = pd.util.hash_pandas_object(c, index=False).to_numpy()
    return c[key].assign(row_hash=h.view("int64"))


def fingerprint_digest(fingerprints: pd.DataFrame, key: list[str]) -> str:
    """SHA-256 hex over :func:`row_fingerprints` sorted by key (keys and 64-bit row hashes): the digest a load
    records per table. Order-independent like :func:`table_digest`, and far cheaper on millions of rows."""
    f = fingerprints.sort_values(key, kind="stable")
    d = hashlib.sha256()
    d.update(pd.util.hash_pandas_object(f[key].astype("string"), index=False).to_numpy().tobytes())  # the keys
    d.update(f["row_hash"].to_numpy("int64").tobytes())
    return d.hexdigest()


def file_sha256(path) -> str:
    d = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            d.update(chunk)
    return d.hexdigest()


def _json(body: dict) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _chain(prev: str, body: dict) -> str:
    return hashlib.sha256((prev + _json(body)).encode()).hexdigest()


def load_record(load_id: int, tables: dict[str, pd.DataFrame], keys: dict[str, list[str]], prev_digest: str = GENESIS,
                *, who: str = "", when: str = "", files: dict[str, str] | None = None,
                counts: dict[str, int] | None = None, digests: dict[str, str] | None = None) -> dict:
    """One ingest-log record: who/when, file SHA-256s, row counts and digests per table, chained digest.
    ``counts`` (rows added per table, every table of the load) is recorded when given; ``digests`` replaces the
    per-table :func:`table_digest` (the database path records :func:`fingerprint_digest`)."""
    digests = digests or {}
    body = {"load_id": int(load_id), "who": who, "when": when, "files": dict(sorted((files or {}).items())),
            "tables": {t: {"rows": int(len(f)), "digest": digests.get(t) or table_digest(f, keys[t])}
                       for t, f in sorted(tables.items())},
            "prev_digest": prev_digest}
    if counts is not None:
        body["counts"] = {t: int(n) for t, n in sorted(counts.items())}
    return {**body, "digest": _chain(prev_digest, body)}


def verify_chain(records: list[dict]) -> list[int]:
    """load_ids whose record no longer matches its digest or whose link to the previous load is broken. Links are
    checked against the previous record's *recomputed* digest, so an edited record breaks every later link even
    when its own stored digest was recomputed too (only rewriting every later record hides it: keep the newest
    digest somewhere else, e.g. in the delivery note)."""
    bad, prev = [], GENESIS
    for r in records:  # one step per load (a handful), not per row
        body = {k: v for k, v in r.items() if k != "digest"}
        now = _chain(r.get("prev_digest") or "", body)
        if r.get("prev_digest") != prev or now != r.get("digest"):
            bad.append(r["load_id"])
        prev = now
    return bad


def diff_rows(stored: pd.DataFrame, current: pd.DataFrame, key: list[str]) -> dict[str, pd.DataFrame]:
    """Compare stored fingerprints (``key..., row_hash, load_id``) with the current table.

    Returns frames ``added`` (key), ``deleted`` and ``changed`` (key, load_id of the original row)."""
    cur = row_fingerprints(current, key)
    st = stored.assign(**{k: stored[k].astype("string") for k in key})
    m = st.merge(cur, on=key, how="outer", suffixes=("_stored", "_now"), indicator=True)
    return {"added": m.loc[m._merge == "right_only", key].reset_index(drop=True),
            "deleted": m.loc[m._merge == "left_only", key + ["load_id"]].reset_index(drop=True),
            "changed": m.loc[(m._merge == "both") & (m.row_hash_stored != m.row_hash_now), key + ["load_id"]]
            .reset_index(drop=True)}


def verify(records: list[dict], stored: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame],
           keys: dict[str, list[str]]) -> dict:
    """Full check: broken chain links plus, per table, rows added/deleted/changed since they were loaded."""
    out = {"broken_loads": verify_chain(records), "tables": {}}
    for t, frame in current.items():
        d = diff_rows(stored[t], frame, keys[t])
        out["tables"][t] = {k: int(len(v)) for k, v in d.items()} | {"details": d}
    out["ok"] = not out["broken_loads"] and all(
        v["added"] == v["deleted"] == v["changed"] == 0 for v in out["tables"].values())
    return out


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return ""


def _select(table: str, source: str) -> str:
    from analytics.io.ingest.schema import TABLE_COLUMNS

    return f"SELECT {', '.join(TABLE_COLUMNS[table])} FROM {source}"  # fixed canonical names only


def _read(con, sql: str) -> pd.DataFrame:
    """A query's rows as a frame, the same way at load time and at verification (DuckDB: its own fast fetch)."""
    from sqlalchemy import text

    if con.dialect.name == "duckdb":
        return con.connection.driver_connection.execute(sql).df()
    return pd.read_sql(text(sql), con)


def append_load(con, duck: bool, sources, staged: set, counts: dict, registered: list,
                stage_prefix: str = "_lqa_stage_") -> dict:
    """Append this load to the ingest log (inside the load's transaction): record + chain digest in
    ``ingest_log``, one fingerprint per loaded row of :data:`TRACKED` tables in ``ingest_rows``. Returns the record."""
    import pyarrow as pa
    from sqlalchemy import text

    from analytics.db import sql_text
    from analytics.io.ingest.checks import _stage

    last = con.execute(text(sql_text("history_last_load"))).fetchone()
    load_id, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    frames = {t: _read(con, _select(t, stage_prefix + t)) for t in TRACKED if t in staged}
    prints = {t: row_fingerprints(f, TRACKED[t]) for t, f in frames.items()}
    when = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    files = {s.name: file_sha256(s.path) for s in sources if s.path.is_file()}
    rec = load_record(load_id, frames, TRACKED, prev, who=_user(), when=when.isoformat(sep=" "), files=files,
                      counts=counts, digests={t: fingerprint_digest(p, TRACKED[t]) for t, p in prints.items()})
    body = {k: v for k, v in rec.items() if k != "digest"}
    con.execute(text(sql_text("history_insert_load")), {"load_id": load_id, "loaded_at": when,
                                                          "loaded_by": rec["who"], "record": _json(body),
                                                          "digest": rec["digest"]})
    parts = [p.rename(columns={TRACKED[t][0]: "row_key"}).assign(table_name=t) for t, p in prints.items() if len(p)]
    if parts:
        df = pd.concat(parts, ignore_index=True)
        tbl = pa.table({"load_id": pa.array(np.full(len(df), load_id, dtype=np.int64)),
                        "table_name": pa.array(df["table_name"].to_numpy(str), pa.string()),
                        "row_key": pa.array(df["row_key"].to_numpy(str), pa.string()),
                        "row_hash": pa.array(df["row_hash"].to_numpy("int64"), pa.int64())})
        _stage(con, duck, "_lqa_history_rows", tbl, registered)
        con.execute(text(sql_text("history_insert_rows")))
    return rec


def verify_db(engine) -> dict:
    """:func:`verify` against the database: ``ok``, ``broken_loads`` (load ids whose record or link no longer
    matches), per tracked table ``added`` / ``deleted`` / ``changed`` counts and ``details`` frames, ``n_loads``.
    Raises ``NoData`` when no load was recorded."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import Engine

    from analytics.db import query_df
    from analytics.metrics.results import NoData

    if isinstance(engine, Engine):
        with engine.connect() as con:
            return verify_db(con)
    if not inspect(engine).has_table("ingest_log"):
        raise NoData("no load is recorded: this database has no ingest log yet (labelqa load creates it)")
    log = query_df(engine, "history_log")
    if log.empty:
        raise NoData("no load is recorded in the ingest log (rows written by labelqa load are)")
    records = [json.loads(r.record) | {"digest": r.digest} for r in log.itertuples()]
    stored, current = {}, {}
    for t, key in TRACKED.items():
        rows = query_df(engine, "history_rows", table_name=t).drop_duplicates("row_key", keep="last")
        stored[t] = rows.rename(columns={"row_key": key[0]})
        current[t] = _read(engine, _select(t, t))
    out = verify(records, stored, current, TRACKED)
    out["n_loads"] = len(records)
    out["loads"] = log[["load_id", "loaded_at", "loaded_by", "digest"]]
    return out
