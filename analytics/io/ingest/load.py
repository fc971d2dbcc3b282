"""``load_files``: read every file, stage and check in one transaction, insert only when nothing is wrong."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from analytics.db import CANONICAL_TABLES, is_duckdb, make_engine, schema_scripts, sql_text
from analytics.io.history import append_load
from analytics.io.ingest.fingerprints import append_load_duckdb, start_prints
from analytics.io.ingest.checks import _check_duplicates, _check_references, _check_taxonomy, _stage
from analytics.io.ingest.label_studio import _looks_like_labelstudio, _read_labelstudio
from analytics.io.ingest.mapping import _normalise_mapping, read_mapping
from analytics.io.ingest.problems import _first_line, _format_of, _Problems, _Source
from analytics.io.ingest.readers import _check_utf8, _read_tabular, _stage_schema
from analytics.io.ingest.schema import (
    _ARROW_TYPES, _IMPLICIT, _IMPLICIT_COLUMNS, IngestError, _STAGE, TABLE_COLUMNS,
)
from analytics.io.ingest.kinds import LOAD_COLUMNS, annotator_tables, kind_rules, load_tables


def _read_file(mem, src: _Source, table: str | None, project: str | None,
               mapping: Mapping[str, Mapping[str, str]], problems: _Problems) -> dict[str, pa.Table]:
    if src.path.is_dir():  # a folder a kind reads itself (a brat standoff folder of the spans kind)
        for _tables, rules in kind_rules():
            for reader in rules.file_readers:
                out = reader(mem, src, table, project, mapping, problems)
                if out is not None:
                    return out
        problems.add(src, "is a folder (only a brat standoff folder, one sub-folder per annotator, loads as one)")
        return {}
    if not src.path.is_file():
        problems.add(src, "file not found")
        return {}
    kind = _format_of(src.path)
    if kind is None:
        problems.add(src, "unsupported file type (use .csv, .tsv, .parquet, .jsonl/.ndjson or .json)")
        return {}
    src.kind = kind
    if src.path.stat().st_size == 0:
        problems.add(src, "file is empty")
        return {}
    if kind != "parquet":
        if not _check_utf8(src, problems):
            return {}
        if not src.path.name.lower().endswith(".gz"):
            with src.path.open("rb") as fh:
                if not fh.read(1 << 16).strip():
                    problems.add(src, "file is empty (only whitespace)")
                    return {}
    for _tables, rules in kind_rules():  # whole-file shapes a kind reads itself (DPO/TRL JSONL, region exports)
        for reader in rules.file_readers:
            out = reader(mem, src, table, project, mapping, problems)
            if out is not None:
                return out
    if kind == "json" and _looks_like_labelstudio(mem, src):
        src.kind = "labelstudio"
        if table not in (None, "annotations"):
            problems.add(src, f"a Label Studio export loads annotations (+ items, annotators), not --table {table}")
            return {}
        out = _read_labelstudio(mem, src, project, problems)
        if "items" in out:
            out["implicit:items"] = out.pop("items").select(list(_IMPLICIT_COLUMNS["items"]) + ["_file", "_row"])
        return out
    return _read_tabular(mem, src, table, project, mapping, problems)


def _implicit_select(table: str) -> tuple[str, str]:
    """(FROM ... WHERE ... clause of the rows to create if new, column list)."""
    cols = _IMPLICIT_COLUMNS[table]
    key = cols[0]
    src = f"SELECT {', '.join(cols)} FROM {_IMPLICIT}{table}"
    if table == "annotators":  # every annotator named by an annotation exists afterwards
        src += f" UNION ALL SELECT annotator_id, CAST(NULL AS VARCHAR) FROM {_STAGE}annotations"
        for t in annotator_tables():  # judges named by a kind's table (e.g. preference_judgments)
            src += f" UNION ALL SELECT annotator_id, CAST(NULL AS VARCHAR) FROM {_STAGE}{t}"
    where = (f"NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = u.{key}) "
             f"AND NOT EXISTS (SELECT 1 FROM {_STAGE}{table} e WHERE e.{key} = u.{key})")
    return f"FROM ({src}) u WHERE {where}", ", ".join(cols)


def _insert(con: Connection, staged: set[str], write: bool) -> dict[str, int]:
    """Rows per table the load adds (created-if-new rows counted with their table); ``write`` inserts them.

    The created-if-new count excludes keys in the database and in the explicit staged rows, so the count
    is the same whether or not the explicit rows were inserted first (a dry run inserts nothing)."""
    counts: dict[str, int] = {}
    for table in load_tables():
        if table in _IMPLICIT_COLUMNS:
            body, cols = _implicit_select(table)
            key = _IMPLICIT_COLUMNS[table][0]
            n_new = con.execute(text(f"SELECT COUNT(DISTINCT u.{key}) {body}")).scalar_one()
            if n_new and write:
                aggs = ", ".join(f"u.{key}" if c == key else f"MAX(u.{c})" for c in _IMPLICIT_COLUMNS[table])
                con.execute(text(f"INSERT INTO {table} ({cols}) SELECT {aggs} {body} GROUP BY u.{key}"))
            counts[table] = counts.get(table, 0) + int(n_new)
        if table in staged:
            cols = ", ".join(LOAD_COLUMNS[table])
            n = con.execute(text(f"SELECT COUNT(*) FROM {_STAGE}{table}")).scalar_one()
            if write:
                con.execute(text(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {_STAGE}{table}"))
            counts[table] = counts.get(table, 0) + int(n)
    return {t: counts[t] for t in load_tables() if counts.get(t)}


def _run_script(con: Connection, name: str) -> None:
    """Run ``sql/<name>.sql`` (statements separated by a line holding only ';') on ``con``, inside the
    load's transaction: a refused load leaves not even an empty schema behind."""
    for stmt in sql_text(name).split("\n;\n"):
        body = "\n".join(l for l in stmt.splitlines() if not l.strip().startswith("--")).strip().rstrip(";")
        if body:
            con.execute(text(body))


def load_files(url_or_engine: str | Engine, paths: str | Path | Sequence[str | Path], table: str | None = None,
               project: str | None = None, mapping: Mapping[str, Any] | str | Path | None = None,
               dry_run: bool = False, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Validate ``paths`` and load them into the canonical tables in ONE transaction (all or nothing).

    ``table``: the canonical table for every file (else from each file's name, else its columns).
    ``project``: fills ``project_id`` where a file lacks it, must match it where present, and every
    annotation / gold label must be on an item of this project; for a Label Studio export it is the
    project created (if new). ``mapping``: ``{table | "*": {source_column: canonical_column}}``, a flat
    ``{source: canonical}`` for every table, or the path of a TOML mapping file (:func:`read_mapping`).
    ``dry_run``: validate everything (database checks included) and roll back.

    Returns rows loaded (or, with ``dry_run``, that would be loaded) per canonical table, in schema order;
    annotators / items / projects created if new are counted with their table. Raises :class:`IngestError`
    (a ``ValueError``) listing every problem with file, row and column; the database is then unchanged.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise IngestError("no files to load")
    if table is not None and table not in LOAD_COLUMNS:
        raise IngestError(f"--table {table!r} is not a canonical table (one of {', '.join(load_tables())})")
    if isinstance(mapping, (str, Path)):
        mapping = read_mapping(mapping)
    else:
        mapping = _normalise_mapping(mapping, "mapping")
    sources = [_Source(i, Path(p), str(p)) for i, p in enumerate(paths)]
    problems = _Problems(sources)

    # Phase 1: every file, every row-level problem, before the database is touched.
    explicit: dict[str, list[pa.Table]] = {}
    implicit: dict[str, list[pa.Table]] = {}
    mem = duckdb.connect()
    try:
        mem.execute("SET TimeZone = 'UTC'")
        mem.execute("SET enable_progress_bar = false")
        for src in sources:
            for name, tbl in _read_file(mem, src, table, project, mapping, problems).items():
                if name.startswith("implicit:"):
                    implicit.setdefault(name.split(":", 1)[1], []).append(tbl)
                else:
                    explicit.setdefault(name, []).append(tbl)
    finally:
        mem.close()
    if problems:
        problems.raise_("(checks against the database - duplicates, unknown items, taxonomy - run once these are fixed)")
    if progress:
        for src in sources:
            rows = ", ".join(f"{n:,} {t}" for t, n in src.rows.items())
            ignored = f"; ignored columns: {', '.join(src.ignored)}" if src.ignored else ""
            progress(f"{src.name}: {src.kind} -> {rows}{ignored}")

    # Phase 2: schema (if missing), stage, check, insert, indexes: one connection, one transaction.
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    duck = is_duckdb(engine)
    registered: list[str] = []
    prints_pool = prints = None
    try:
        with engine.connect() as con:
            trans = con.begin()
            try:
                if duck:
                    con.execute(text("SET enable_progress_bar = false"))
                for script in schema_scripts():   # canonical tables, then every kind's (KindSpec.schema)
                    _run_script(con, script)
                staged_tables = {}
                for t in load_tables():
                    tables = explicit.get(t)
                    tbl = pa.concat_tables(tables) if tables else _stage_schema(t).empty_table()
                    _stage(con, duck, _STAGE + t, tbl, registered)
                    if tables:
                        staged_tables[t] = tbl
                if duck and not dry_run:  # the ingest log's fingerprints, computed while the checks run
                    prints_pool, prints = start_prints(staged_tables, sources)
                for t, cols in _IMPLICIT_COLUMNS.items():
                    schema = pa.schema([(c, _ARROW_TYPES[TABLE_COLUMNS[t][c]]) for c in cols])
                    parts = [x.select(list(cols)).cast(schema) for x in implicit.get(t, [])]
                    _stage(con, duck, _IMPLICIT + t, pa.concat_tables(parts) if parts else schema.empty_table(),
                           registered)
                staged = set(explicit)
                _check_duplicates(con, sources, staged, problems)
                _check_references(con, sources, staged, problems)
                _check_taxonomy(con, sources, staged, project, problems)
                for tables, rules in kind_rules():  # a kind's checks against the database (after staging)
                    if rules.load_checks and tables & staged:
                        for f, row, t, col, detail in rules.load_checks(con, _STAGE, staged, project):
                            src = sources[f]
                            problems.add(src, detail, src.where(t, row), src.column(t, col), row)
                if problems:
                    trans.rollback()
                    problems.raise_()
                counts = _insert(con, staged, write=not dry_run)
                if dry_run:
                    trans.rollback()
                else:
                    if counts:
                        if duck:  # ingest log (issue 14): the same record and fingerprints, from Arrow
                            append_load_duckdb(con, sources, staged, counts, _STAGE, prints)
                        else:
                            append_load(con, duck, sources, staged, counts, registered, _STAGE)
                        _run_script(con, "indexes")
                    trans.commit()
            except IngestError:
                raise
            except Exception as exc:
                if trans.is_active:
                    trans.rollback()
                raise IngestError(f"nothing loaded (database unchanged): the database refused the load: "
                                  f"{_first_line(exc)}") from exc
            finally:
                if prints_pool is not None:
                    prints_pool.shutdown(wait=False, cancel_futures=True)
                if duck:
                    for name in registered:
                        con.connection.driver_connection.unregister(name)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return counts
