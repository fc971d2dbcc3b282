"""Database access: one way to find the database, one way to run a query file.

Connection precedence (every ``labelqa`` command and the dashboard):
``--db URL`` > env ``LABELQA_DB_URL`` > ``.streamlit/secrets.toml`` ``[connections.labelqa] url`` >
the embedded default DuckDB file ``data/labelqa.duckdb`` (created with demo data on first use by
:func:`analytics.io.demo.ensure_default_db`).

SQL lives in ``sql/<name>.sql``, one query a file, with ``:named`` bind parameters. A line
``-- @include <snippet>`` is replaced by ``sql/_<snippet>.sql`` (static project text, never user
values), so the filtered-annotations CTE is written once. Python never pastes values into SQL.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
from sqlalchemy import bindparam, create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from analytics.resources import SQL_DIR, checkout_root, data_home
from analytics.sources.queries import sql_text  # noqa: F401 - re-exported: the query loader

__all__ = [
    "ROOT",
    "SQL_DIR",
    "DEFAULT_DB_PATH",
    "resolve_url",
    "make_engine",
    "sql_text",
    "query_df",
    "ensure_schema",
    "schema_scripts",
    "create_indexes",
    "is_duckdb",
    "table_counts",
    "role_can_write",
    "CANONICAL_TABLES",
]

# ROOT: the checkout root when run from one (secrets.toml is also looked up there), else the package dir.
ROOT = checkout_root() or Path(__file__).resolve().parent
DEFAULT_DB_PATH = data_home() / "labelqa.duckdb"
CANONICAL_TABLES = (
    "projects", "label_classes", "annotators", "items", "item_attributes", "batches",
    "annotations", "gold_labels", "reviews", "model_runs", "model_metrics", "predictions", "model_scores",
)
# Canonical tables added after the first schema (issue 14): databases built before them may lack them.
LATER_TABLES = ("model_scores",)


def _secrets_url(cwd: Path | None = None) -> str | None:
    for base in (cwd or Path.cwd(), ROOT):
        f = base / ".streamlit" / "secrets.toml"
        if f.is_file():
            with f.open("rb") as fh:
                data = tomllib.load(fh)
            url = data.get("connections", {}).get("labelqa", {}).get("url")
            if url:
                return str(url)
    return None


def resolve_url(cli_url: str | None = None) -> str:
    """The database URL by the documented precedence (CLI > env > secrets.toml > embedded default)."""
    if cli_url:
        return cli_url
    env = os.environ.get("LABELQA_DB_URL")
    if env:
        return env
    sec = _secrets_url()
    if sec:
        return sec
    return f"duckdb:///{DEFAULT_DB_PATH}"


def is_duckdb(url_or_engine: str | Engine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("duckdb")


def make_engine(url: str, read_only: bool = False) -> Engine:
    """A SQLAlchemy engine with no pooled connections (a DuckDB file is not kept locked).

    ``read_only`` uses the driver's own guard where it has one: DuckDB ``read_only``,
    PostgreSQL ``default_transaction_read_only``. The dashboard always asks for it. A Spark Thrift server
    (``hive://host:10000/db``, PyHive) or Databricks (``databricks://...``) has none: a read-only engine there
    refuses, client-side, every statement that is not a single SELECT/DESCRIBE/SHOW
    (:func:`analytics.sources.spark.refuse_writes`).
    """
    if url.startswith("sc://"):  # Spark Connect: not SQLAlchemy; query_df dispatches on it (analytics.sources.spark)
        from analytics.sources.spark import connect_spark

        return connect_spark(url)  # type: ignore[return-value]
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    if url.startswith("duckdb"):
        if read_only:
            kwargs["connect_args"] = {"read_only": True}
    elif url.startswith("postgresql"):
        if read_only:
            kwargs["connect_args"] = {"options": "-c default_transaction_read_only=on"}
    engine = create_engine(url, **kwargs)
    if read_only and engine.dialect.name in ("hive", "databricks"):
        from analytics.sources.spark import refuse_writes

        event.listen(engine, "before_cursor_execute", refuse_writes)
    if url.startswith("duckdb"):
        # No progress bar on stderr from long queries (it would end up in the dashboard's server log).
        event.listen(engine, "connect", _quiet_duckdb)
        if read_only:
            event.listen(engine, "connect", _lock_duckdb)
    return engine


def _lock_duckdb(dbapi_connection, _record) -> None:
    """Defence in depth for read-only DuckDB connections: no file system or network access beyond the database
    file (no ``COPY ... TO``, ``read_csv('/etc/...')``, ``ATTACH``, ``INSTALL``) and a locked configuration.

    Views over external files (e.g. ``read_parquet`` in sql/views/) need their folders listed in
    ``$LABELQA_DUCKDB_ALLOWED_DIRS`` (separated by the OS path separator).
    """
    allowed = [d for d in os.environ.get("LABELQA_DUCKDB_ALLOWED_DIRS", "").split(os.pathsep) if d]
    if allowed:
        dbapi_connection.execute("SET allowed_directories = ?", [[str(Path(d).resolve()) + os.sep for d in allowed]])
    dbapi_connection.execute("SET enable_external_access = false")
    dbapi_connection.execute("SET lock_configuration = true")


def _quiet_duckdb(dbapi_connection, _record) -> None:
    try:
        dbapi_connection.execute("SET enable_progress_bar = false")
    except Exception:  # inside Jupyter without ipywidgets DuckDB refuses any progress-bar setting (and draws none)
        pass


def _statement(sql: str, params: Mapping[str, Any]):
    stmt = text(sql)
    expanding = [k for k, v in params.items() if isinstance(v, (list, tuple, set, frozenset))]
    if expanding:
        stmt = stmt.bindparams(*[bindparam(k, expanding=True) for k in expanding])
    return stmt


# SQLAlchemy dialect names whose engines get sqlglot's translation of the canonical text (DuckDB, PostgreSQL and
# any other dialect run the files in sql/ as they are).
_TRANSLATED = {"databricks": "databricks", "hive": "spark", "spark": "spark", "trino": "trino",
               "bigquery": "bigquery", "snowflake": "snowflake"}


def query_df(con: Engine | Connection, name: str, **params: Any) -> pd.DataFrame:
    """Run ``sql/<name>.sql`` with bound ``params`` and return a DataFrame.

    List/tuple parameters are bound as expanding IN lists. Every ``:param`` the file uses must be given
    (``None`` for an unused optional filter).

    The engine decides the text: a Spark Connect engine (``make_engine("sc://...")``) runs the Spark translation
    with ``spark.sql(text, args=...)`` (:mod:`analytics.sources.spark`); a SQLAlchemy engine of a translated
    dialect (``databricks://``, ``hive://``, ...) runs :func:`analytics.sources.dialects.query_text` with list
    parameters expanded into one scalar bind each; DuckDB and PostgreSQL run the canonical text.
    """
    if getattr(con, "dialect_name", None) == "spark":  # analytics.sources.spark.SparkEngine
        from analytics.sources.spark import query_df as spark_query_df

        return spark_query_df(con, name, **params)  # type: ignore[arg-type]
    clean = {k: (list(v) if isinstance(v, (tuple, set, frozenset)) else v) for k, v in params.items()}
    target = _TRANSLATED.get(getattr(getattr(con, "dialect", None), "name", ""))
    if target is not None:
        from analytics.sources.dialects import query_text
        from analytics.sources.spark import expand_list_params

        sql, clean = expand_list_params(query_text(name, target), clean)
        # read_sql_query, not read_sql: read_sql first asks the dialect whether the text is a table name, and
        # PyHive's has_table runs ``DESCRIBE <text>``, which Spark answers for a query (DESCRIBE QUERY).
        if isinstance(con, Engine):
            with con.connect() as c:
                return pd.read_sql_query(text(sql), c, params=clean)
        return pd.read_sql_query(text(sql), con, params=clean)
    stmt = _statement(sql_text(name), clean)
    if isinstance(con, Engine):
        with con.connect() as c:
            return pd.read_sql(stmt, c, params=clean)
    return pd.read_sql(stmt, con, params=clean)


def _run_script(con: Connection, name: str) -> None:
    for stmt in sql_text(name).split("\n;\n"):
        body = "\n".join(l for l in stmt.splitlines() if not l.strip().startswith("--")).strip().rstrip(";")
        if body:
            con.execute(text(body))


def schema_scripts() -> list[str]:
    """Query names of the DDL ``ensure_schema`` runs: ``schema`` (the canonical tables) and then the ``schema``
    each registered annotation kind declares (``KindSpec.schema``, e.g. ``preference_schema``)."""
    from analytics import kinds

    names = ["schema"]
    for k in kinds.all_kinds():
        if k.schema and k.schema not in names:
            names.append(k.schema)
    return names


def ensure_schema(engine: Engine) -> None:
    """Create the canonical tables and every kind's tables if they are missing (idempotent)."""
    with engine.begin() as con:
        for name in schema_scripts():
            _run_script(con, name)


def create_indexes(engine: Engine) -> None:
    with engine.begin() as con:
        _run_script(con, "indexes")


def role_can_write(engine: Engine) -> bool | None:
    """PostgreSQL: whether the connected role may change any canonical table (``None`` for other databases, where
    the engine's own read-only mode is the guard)."""
    if getattr(getattr(engine, "dialect", None), "name", None) != "postgresql":  # Spark Connect has no .dialect
        return None
    return int(query_df(engine, "postgres/role_write_privileges").iloc[0]["writable"]) > 0


def table_counts(con: Engine | Connection) -> dict[str, int]:
    """Row count of every canonical table (used by tests and ``labelqa info``). A table added after a database was
    built (:data:`LATER_TABLES`) counts 0 while it is missing; ``labelqa load`` creates it."""
    def _count(c: Connection) -> dict[str, int]:
        from sqlalchemy import inspect

        missing = {t for t in LATER_TABLES if not inspect(c).has_table(t)}
        return {t: 0 if t in missing else int(c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                for t in CANONICAL_TABLES}
    if isinstance(con, Engine):
        with con.connect() as c:
            return _count(c)
    return _count(con)
