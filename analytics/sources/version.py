"""A data version: a short text that changes whenever the data the dashboard reads may have changed.

The dashboard's result cache is shared by every session (``st.cache_data``); it is emptied when this text changes,
so a ``labelqa load`` or a rebuilt demo shows up on the next page run instead of after the cache's lifetime.

* DuckDB file: the file's and its write-ahead log's size and modification time (any write changes them; a
  read-only connection changes neither).
* Any database with LabelQA's ``ingest_log`` (``labelqa load`` appends one row per load): its row count, newest
  load id and digest (``sql/ui_data_version.sql``).
* Neither (a warehouse filled by other tools): ``None``; the caller falls back to a time-based lifetime.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url

__all__ = ["data_version", "duckdb_file"]


def duckdb_file(url: str) -> Path | None:
    """The DuckDB database file of ``url`` (``None`` for other databases and ``:memory:``)."""
    if not url.startswith("duckdb"):
        return None
    db = make_url(url).database
    if not db or db == ":memory:":
        return None
    return Path(db)


def _file_stamp(path: Path) -> str:
    parts = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    return "file " + " ".join(parts)


def _log_stamp(engine: Engine) -> str | None:
    from analytics.db import query_df  # late: analytics.db imports this package's query loader

    if not inspect(engine).has_table("ingest_log"):
        return None
    row = query_df(engine, "ui_data_version").iloc[0]
    return f"log {int(row['n_loads'])}:{row['last_load_id']}:{row['last_digest']}"


def data_version(engine: Engine, url: str | None = None) -> str | None:
    """The data version of ``engine`` (see the module text); ``None`` when nothing tells a change."""
    url = url if url is not None else str(getattr(engine, "url", ""))
    path = duckdb_file(url)
    if path is not None:
        return _file_stamp(path)
    if not hasattr(engine, "dialect"):  # Spark Connect: no SQLAlchemy inspector
        return None
    return _log_stamp(engine)
