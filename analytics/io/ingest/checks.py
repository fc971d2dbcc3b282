"""Checks that need the target database: staging, duplicate keys, references and taxonomy, as SQL anti-joins."""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from analytics.io.ingest.mapping import suggest_label
from analytics.io.ingest.problems import _fmt, _Problems, _Source
from analytics.io.ingest.schema import (
    _EXAMPLES_PER_GROUP, _FETCH_CAP, _GROUPS_PER_CHECK, _IMPLICIT, _IMPLICIT_COLUMNS, PRIMARY_KEYS, _REFERENCES,
    _STAGE,
)
from analytics.io.ingest.kinds import LOAD_KEYS, load_references  # canonical + every kind's


def _stage(con: Connection, duck: bool, name: str, tbl: pa.Table, registered: list[str]) -> None:
    if duck:
        con.connection.driver_connection.register(name, tbl)
        registered.append(name)
        return
    pg_types = {pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE PRECISION",
                pa.timestamp("us"): "TIMESTAMP"}
    cols = ", ".join(f"{f.name} {pg_types[f.type]}" for f in tbl.schema)
    con.execute(text(f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP"))
    if tbl.num_rows:
        import pyarrow.csv as pacsv

        raw = con.connection.driver_connection
        opts = pacsv.WriteOptions(include_header=False)
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(tbl.column_names)}) FROM STDIN (FORMAT csv)") as cp:
            for batch in tbl.to_batches(max_chunksize=200_000):
                buf = io.BytesIO()
                pacsv.write_csv(batch, buf, opts)  # null -> empty field (NULL), '' -> "" (empty string)
                cp.write(buf.getvalue())
    con.execute(text(f"ANALYZE {name}"))


def _union(table: str, cols: Sequence[str]) -> str:
    """Rows of ``table`` as they would be after the load: database + staged (+ created-if-new)."""
    sel = ", ".join(cols)
    parts = [f"SELECT {sel} FROM {table}", f"SELECT {sel} FROM {_STAGE}{table}"]
    if table in _IMPLICIT_COLUMNS and set(cols) <= set(_IMPLICIT_COLUMNS[table]):
        parts.append(f"SELECT {sel} FROM {_IMPLICIT}{table}")
    return " UNION ".join(parts)


def _exists_anywhere(table: str, col: str, outer: str) -> str:
    """SQL condition: ``outer`` is a ``col`` of ``table`` in the database or in this load."""
    tables = [table, _STAGE + table] + ([_IMPLICIT + table] if table in _IMPLICIT_COLUMNS
                                         and col in _IMPLICIT_COLUMNS[table] else [])
    union = " UNION ALL ".join(f"SELECT {col} AS k_ FROM {t}" for t in tables)
    return f"EXISTS (SELECT 1 FROM ({union}) r WHERE r.k_ = {outer})"


def _grouped(con: Connection, bad_sql: str, keys: Sequence[str], params: Mapping[str, Any] | None = None):
    """Run ``bad_sql`` (columns ``_file, _row, keys...``); group by (file, keys) with the first rows of
    each group, the group's row count and the file's row count. Yields (file, key values, rows, n, n_file)."""
    k = ", ".join(keys)
    sql = (f"SELECT * FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY _file, {k} ORDER BY _row) AS rn_, "
           f"COUNT(*) OVER (PARTITION BY _file, {k}) AS n_key_, COUNT(*) OVER (PARTITION BY _file) AS n_file_, "
           f"MIN(_row) OVER (PARTITION BY _file, {k}) AS first_ "
           f"FROM ({bad_sql}) b) w WHERE rn_ <= {_EXAMPLES_PER_GROUP + 1} "
           f"ORDER BY _file, first_, rn_ LIMIT {_FETCH_CAP}")
    stmt = text(sql)
    if params and any(isinstance(v, list) for v in params.values()):
        stmt = stmt.bindparams(*[bindparam(n, expanding=True) for n, v in params.items() if isinstance(v, list)])
    groups: dict[tuple, dict] = {}
    for r in con.execute(stmt, dict(params or {})).mappings():
        key = (r["_file"], *(r[c] for c in keys))
        g = groups.setdefault(key, {"rows": [], "n": r["n_key_"], "n_file": r["n_file_"], "rec": dict(r)})
        g["rows"].append(int(r["_row"]))
    return groups


def _rows_text(src: _Source, table: str, rows: Sequence[int]) -> str:
    """'rows 3, 7, 9' (or Label Studio's 'task 2 (id 102) annotation 1, ...')."""
    wheres = [src.where(table, r) for r in rows]
    if all(w.startswith("row ") for w in wheres):
        return ("rows " if len(wheres) > 1 else "row ") + ", ".join(w[4:] for w in wheres)
    return ", ".join(wheres)


def _report(problems: _Problems, sources: list[_Source], table: str, column: str, groups: dict,
            detail: Callable[[dict], str], what: str) -> None:
    """One line per problem value (up to :data:`_GROUPS_PER_CHECK` per file) at its first row, listing the
    value's other rows; then one line counting the file's remaining rows with this problem."""
    shown: dict[int, list[float]] = {}   # file -> [values shown, rows covered, last row shown]
    for key, g in groups.items():
        src = sources[key[0]]
        n_groups, n_rows, _last = shown.get(src.index, [0, 0, 0])
        if n_groups >= _GROUPS_PER_CHECK:
            continue
        rows = g["rows"]
        extra = ""
        if g["n"] > 1:
            also = _rows_text(src, table, rows[1:_EXAMPLES_PER_GROUP])
            extra = f"; also {also}{', ...' if g['n'] > _EXAMPLES_PER_GROUP else ''} ({g['n']} rows in all)"
        problems.add(src, detail(g["rec"]) + extra, src.where(table, rows[0]), src.column(table, column), rows[0])
        shown[src.index] = [n_groups + 1, n_rows + g["n"], rows[0]]
    for key, g in groups.items():
        src = sources[key[0]]
        n_groups, n_rows, last = shown.get(src.index, [0, 0, 0])
        if g["n_file"] > n_rows:
            problems.add(src, f"{g['n_file'] - n_rows} more rows {what}", column=src.column(table, column),
                         row=last + 0.5)
            shown[src.index] = [n_groups, g["n_file"], last]


def _check_duplicates(con: Connection, sources: list[_Source], staged: set[str], problems: _Problems) -> None:
    for table, key in LOAD_KEYS.items():
        if table not in staged:
            continue
        k = ", ".join(key)
        col = ", ".join(key)
        stage = _STAGE + table
        # within the load (the same file or several files); the cheap aggregate first
        n_dup = con.execute(text(f"SELECT COUNT(*) FROM (SELECT {k} FROM {stage} GROUP BY {k} "
                                 f"HAVING COUNT(*) > 1) d")).scalar_one()
        sql = (f"SELECT _file, _row, {k}, first_file_, first_row_ FROM (SELECT _file, _row, {k}, "
               f"COUNT(*) OVER (PARTITION BY {k}) AS n_, "
               f"ROW_NUMBER() OVER (PARTITION BY {k} ORDER BY _file, _row) AS rn_, "
               f"FIRST_VALUE(_file) OVER (PARTITION BY {k} ORDER BY _file, _row) AS first_file_, "
               f"FIRST_VALUE(_row) OVER (PARTITION BY {k} ORDER BY _file, _row) AS first_row_ "
               f"FROM {stage}) d WHERE n_ > 1 AND rn_ > 1")

        def dup_detail(r: dict, table=table, key=key) -> str:
            first = sources[r["first_file_"]]
            at = first.where(table, r["first_row_"])
            at = at if first.index == r["_file"] else f"file {first.name} {at}"
            return f"duplicate {'/'.join(key)} {', '.join(_fmt(r[c]) for c in key)} (first at {at})"

        if n_dup:
            _report(problems, sources, table, col, _grouped(con, sql, key), dup_detail,
                    f"with a duplicate {'/'.join(key)}")
        # against the database
        match = " AND ".join(f"t.{c} = s.{c}" for c in key)
        sql = f"SELECT s._file, s._row, {', '.join('s.' + c for c in key)} FROM {stage} s WHERE EXISTS (SELECT 1 FROM {table} t WHERE {match})"
        _report(problems, sources, table, col, _grouped(con, sql, key),
                lambda r, key=key: f"{'/'.join(key)} {', '.join(_fmt(r[c]) for c in key)} is already in the database",
                "whose key is already in the database")


def _check_references(con: Connection, sources: list[_Source], staged: set[str], problems: _Problems) -> None:
    for table, col, ref, ref_col, what in load_references():
        if table not in staged:
            continue
        sql = (f"SELECT s._file, s._row, s.{col} FROM {_STAGE}{table} s "
               f"WHERE s.{col} IS NOT NULL AND NOT ({_exists_anywhere(ref, ref_col, 's.' + col)})")
        _report(problems, sources, table, col, _grouped(con, sql, [col]),
                lambda r, col=col, what=what: f"unknown {what} {_fmt(r[col])} (not in the database nor in this load)",
                f"referring to unknown {what}s")


def _check_taxonomy(con: Connection, sources: list[_Source], staged: set[str], project: str | None,
                    problems: _Problems) -> None:
    item_projects = _union("items", ["item_id", "project_id"])
    classes = _union("label_classes", ["project_id", "schema_version", "label"])
    for table, versioned in (("annotations", True), ("gold_labels", False), ("model_scores", False)):
        if table not in staged:
            continue
        version = "s.schema_version" if versioned else "CAST(NULL AS INTEGER)"
        same_version = " AND c.schema_version = s.schema_version" if versioned else ""
        sql = (f"SELECT s._file, s._row, s.label, p.project_id, {version} AS schema_version "
               f"FROM {_STAGE}{table} s JOIN ({item_projects}) p ON p.item_id = s.item_id "
               f"WHERE NOT EXISTS (SELECT 1 FROM ({classes}) c WHERE c.project_id = p.project_id "
               f"AND c.label = s.label{same_version})")
        groups = _grouped(con, sql, ["label", "project_id", "schema_version"])
        if groups:
            wanted = sorted({g["rec"]["project_id"] for g in groups.values()})
            stmt = text(f"SELECT DISTINCT project_id, schema_version, label FROM ({classes}) c "
                        "WHERE project_id IN :projects").bindparams(bindparam("projects", expanding=True))
            known: dict[tuple[str, int | None], set[str]] = {}
            for pid, ver, lab in con.execute(stmt, {"projects": wanted}):
                known.setdefault((pid, ver), set()).add(lab)
                known.setdefault((pid, None), set()).add(lab)

            def detail(r: dict) -> str:
                pid, ver = r["project_id"], r["schema_version"]
                labels = known.get((pid, ver), set())
                tax = f"project {pid}'s taxonomy" + (f" (schema_version {ver})" if ver is not None else "")
                if not labels:
                    return (f"{_fmt(r['label'])} is not in {tax}: the project has no label classes"
                            + (" for this schema_version" if ver is not None and known.get((pid, None)) else "")
                            + "; load label_classes first (or in the same load)")
                guess = suggest_label(r["label"], sorted(labels))
                return f"{_fmt(r['label'])} is not in {tax}" + (f"; did you mean {guess!r}?" if guess else "")

            _report(problems, sources, table, "label", groups, detail, "with labels outside the taxonomy")
        if project is not None:
            sql = (f"SELECT s._file, s._row, s.item_id, p.project_id FROM {_STAGE}{table} s "
                   f"JOIN ({item_projects}) p ON p.item_id = s.item_id WHERE p.project_id <> :project")
            _report(problems, sources, table, "item_id", _grouped(con, sql, ["item_id", "project_id"], {"project": project}),
                    lambda r: f"item {_fmt(r['item_id'])} belongs to project {_fmt(r['project_id'])}, not {project!r} (--project)",
                    "whose items belong to another project")
