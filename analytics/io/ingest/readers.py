"""Reading CSV / Parquet / JSONL files with DuckDB into Arrow and type-checking every row (no database writes)."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from analytics.io.ingest.mapping import infer_table, _renamed
from analytics.io.ingest import model_scores
from analytics.io.ingest.problems import _first_line, _fmt, _Problems, _Source
from analytics.io.ingest.schema import (
    _ARROW_TYPES, _D, _EXAMPLES_PER_GROUP, _I, _PROBABILITY, _T, _V,
)
# canonical tables + the tables annotation kinds declare (analytics.io.ingest.kinds)
from analytics.io.ingest.kinds import (
    LOAD_ALLOWED as _ALLOWED, LOAD_COLUMNS as TABLE_COLUMNS, LOAD_DEFAULTS as _DEFAULTS,
    LOAD_REQUIRED as REQUIRED_COLUMNS, kind_rules, non_negative,
)


def _check_utf8(src: _Source, problems: _Problems) -> bool:
    """Fast incremental decode; only a bad file is scanned line by line to name the lines."""
    import gzip

    opener = gzip.open if src.path.name.lower().endswith(".gz") else open  # a .gz is checked decompressed
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with opener(src.path, "rb") as fh:
            while chunk := fh.read(1 << 24):
                dec.decode(chunk)
        dec.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        pass
    header: list[str] | None = None
    delim = ","
    bad = []
    n_bad = 0
    with opener(src.path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1 and src.kind == "csv":
                head = raw.decode("latin-1").rstrip("\r\n")
                try:
                    delim = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
                except csv.Error:
                    delim = "\t" if src.path.name.lower().endswith((".tsv", ".tsv.gz")) else ","
                header = next(csv.reader([head], delimiter=delim), [])
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                n_bad += 1
                if len(bad) < _EXAMPLES_PER_GROUP:
                    bad.append((lineno, raw, exc.start))
    for lineno, raw, start in bad:
        column = None
        if header is not None and lineno > 1:
            fields = next(csv.reader([raw.decode("latin-1").rstrip("\r\n")], delimiter=delim), [])
            for i, field in enumerate(fields):
                try:
                    field.encode("latin-1").decode("utf-8")
                except UnicodeDecodeError:
                    column = header[i].strip() if i < len(header) else f"#{i + 1}"
                    break
        where = f"line {lineno}" + (f" (data row {lineno - 1})" if src.kind == "csv" and lineno > 1 else "")
        snippet = raw[max(0, start - 10): start + 10].decode("utf-8", errors="replace")
        problems.add(src, f"not valid UTF-8 text (byte 0x{raw[start]:02x} near {snippet!r}); "
                          "save the file as UTF-8", where=where, column=column, row=lineno)
    if n_bad > len(bad):
        problems.add(src, f"{n_bad} lines in all are not valid UTF-8")
    return False


def _with_rows(tbl: pa.Table) -> pa.Table:
    return tbl.append_column("_row", pa.array(np.arange(1, tbl.num_rows + 1, dtype=np.int64)))


def _csv_header(path: Path) -> tuple[list[str], str]:
    """Column names and delimiter from the first line (tab for .tsv, else the most frequent of , ; tab |)."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        line = fh.readline().rstrip("\r\n")
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        delim = "\t"
    else:
        delim = max((",", ";", "\t", "|"), key=lambda d: (line.count(d), d == ","))
    names: list[str] = []
    for i, name in enumerate(next(csv.reader([line], delimiter=delim), [])):
        name = name.strip() or f"column{i + 1}"
        while name in names:
            name += "_2"
        names.append(name)
    return names, delim


def _csv_header_raw(path: Path, delim: str) -> tuple[list[str], str]:
    """The header's names as written (trimmed), duplicates kept: for the duplicate-column check."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        line = fh.readline().rstrip("\r\n")
    return [n.strip() for n in next(csv.reader([line], delimiter=delim), [])], delim


_CSV_REJECTS = {
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "unterminated or misplaced quote",
}


def _read_csv(mem, src: _Source, problems: _Problems) -> pa.Table | None:
    """Every field as text, the dialect fixed (no guessing per file): RFC 4180 quoting, the header's
    delimiter, the header's number of fields. Malformed lines are collected (DuckDB ``store_rejects``)
    and reported by line; the file is then not read further (its row numbers would be off)."""
    names, delim = _csv_header(src.path)
    raw_names, _ = _csv_header_raw(src.path, delim)
    dupes = {}
    for i, n in enumerate(raw_names):
        dupes.setdefault(n, []).append(i + 1)
    dupes = {n: pos for n, pos in dupes.items() if len(pos) > 1 and n}
    if dupes:
        for n, pos in dupes.items():
            problems.add(src, f"column {n!r} appears {len(pos)} times in the header (columns "
                              f"{', '.join(map(str, pos))}); keep one", where="line 1", column=n, row=1)
        return None
    mem.execute("DROP TABLE IF EXISTS reject_errors")
    mem.execute("DROP TABLE IF EXISTS reject_scans")
    tbl = mem.sql(
        "SELECT * FROM read_csv($p, auto_detect = false, header = true, delim = $d, quote = '\"', escape = '\"', "
        "columns = $c, strict_mode = true, ignore_errors = true, store_rejects = true)",
        params={"p": str(src.path), "d": delim, "c": {n: "VARCHAR" for n in names}}).to_arrow_table()
    rejects = mem.sql("SELECT line, MIN(column_name), MIN(CAST(error_type AS VARCHAR)), MIN(csv_line), "
                      "MIN(error_message) FROM reject_errors GROUP BY line ORDER BY line").fetchall()
    if not rejects:
        return tbl
    for line, column, kind, text_, message in rejects[:_EXAMPLES_PER_GROUP]:
        what = _CSV_REJECTS.get(kind, message)
        if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            what += f" (the header has {len(names)})"
        snippet = (text_ or "").strip()
        snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
        if kind == "MISSING COLUMNS":  # the first column the line lacks, in header order
            n_fields = len(next(csv.reader([text_ or ""], delimiter=delim), []))
            column = names[n_fields] if n_fields < len(names) else column
        problems.add(src, f"{what}: {snippet!r}", where=f"line {line}",
                     column=column if kind == "MISSING COLUMNS" else None, row=line)
    if len(rejects) > _EXAMPLES_PER_GROUP:
        more = ", ".join(str(r[0]) for r in rejects[_EXAMPLES_PER_GROUP:_EXAMPLES_PER_GROUP + 10])
        problems.add(src, f"{len(rejects) - _EXAMPLES_PER_GROUP} more malformed lines ({more}"
                          f"{', ...' if len(rejects) > _EXAMPLES_PER_GROUP + 10 else ''})")
    return None


_JSON_TYPES = {"BIGINT": "a number", "UBIGINT": "a number", "DOUBLE": "a number", "VARCHAR": "a string",
               "BOOLEAN": "true/false", "NULL": "null", "ARRAY": "an array", None: "null"}


class NotRecords(ValueError):
    """A JSON / JSON-lines file whose records are not objects (``rows``: (record number, JSON type, text))."""

    def __init__(self, src: _Source, rows: list[tuple[int, str | None, str | None]], n: int):
        self.src, self.rows, self.n = src, rows, n
        super().__init__(f"{n} record(s) are not JSON objects")


def _report_not_records(exc: NotRecords, problems: _Problems) -> None:
    shape = ("a JSON array of objects ([{...}, {...}]) or one object per line" if exc.src.kind == "json"
             else "one JSON object per line")
    for r, t, v in exc.rows:
        problems.add(exc.src, f"{_JSON_TYPES.get(t, t.lower() if t else 'null')} ({v}), not an object "
                              f"with named fields; the file must hold {shape}, e.g. "
                              '{"item_id": "it1", "label": "car"}', where=f"record {r}", row=r)
    if exc.n > len(exc.rows):
        problems.add(exc.src, f"{exc.n - len(exc.rows)} more records are not objects")


def _read_raw(mem, src: _Source) -> pa.Table:
    """The file's rows as an Arrow table (text columns for text formats) in file order."""
    p = {"p": str(src.path)}
    if src.kind == "parquet":
        return mem.sql("SELECT * FROM read_parquet($p)", params=p).to_arrow_table()
    reader = "read_ndjson_objects($p)" if src.kind == "jsonl" else "read_json_objects($p, format = 'auto')"
    mem.execute(f"CREATE OR REPLACE TEMP TABLE _lqa_json AS SELECT json FROM {reader}", p)
    # Every record must be an object with named fields: a scalar, null or nested array has no columns.
    odd = mem.sql("SELECT r, t, v FROM (SELECT row_number() OVER () AS r, json_type(json) AS t, "
                  "left(CAST(json AS VARCHAR), 40) AS v FROM _lqa_json) WHERE t IS DISTINCT FROM 'OBJECT' "
                  "ORDER BY r LIMIT 4").fetchall()
    if odd:
        n_odd = mem.sql("SELECT COUNT(*) FROM _lqa_json WHERE json_type(json) IS DISTINCT FROM 'OBJECT'").fetchall()[0][0]
        mem.execute("DROP TABLE _lqa_json")
        raise NotRecords(src, odd[:3], n_odd)
    first = mem.sql("SELECT json_keys(json) FROM _lqa_json LIMIT 1").fetchall()
    keys = list(first[0][0]) if first and first[0][0] else []
    more = mem.sql("SELECT DISTINCT unnest(json_keys(json)) AS k FROM _lqa_json ORDER BY k").fetchall()
    keys += [k for (k,) in more if k not in keys]
    n = mem.sql("SELECT COUNT(*) FROM _lqa_json").fetchall()[0][0]
    if not keys:
        return pa.table({"_empty": pa.array([None] * n, pa.string())})
    # Keys are bound parameters and the output columns positional names: file content never enters SQL.
    exprs = ", ".join(f"json ->> ('$.\"' || replace($k{i}, '\"', '\\\"') || '\"') AS c{i}" for i in range(len(keys)))
    tbl = mem.sql(f"SELECT {exprs} FROM _lqa_json", params={f"k{i}": k for i, k in enumerate(keys)}).to_arrow_table()
    mem.execute("DROP TABLE _lqa_json")
    return tbl.rename_columns(keys)


_INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff]"


def _clean_text(arr) -> bool:
    """True when the text column needs no normalisation: no value is empty, has surrounding whitespace or holds an
    invisible character. Then the VARCHAR expression of :func:`_typed_expr` is the value itself, and the column is
    passed through (a vectorised Arrow check, ~10x cheaper than normalising every value)."""
    import pyarrow.compute as pc

    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return False
    if not pc.all(pc.string_is_ascii(arr)).as_py() and pc.any(pc.match_substring_regex(arr, _INVISIBLE)).as_py():
        return False
    return not pc.any(pc.equal(arr, "")).as_py() and pc.all(pc.equal(pc.utf8_trim(arr, " \t\r\n"), arr)).as_py() is not False


def _typed_expr(col: str, typ: str, raw_type: pa.DataType, clean: bool = False) -> str:
    """DuckDB expression casting ``col`` to ``typ``; NULL where the value does not convert. ``clean``: the text
    column passed :func:`_clean_text` (normalising would change nothing)."""
    if typ == _V and clean:
        return f"CAST({col} AS VARCHAR)"
    if typ == _V:
        # Surrounding whitespace and invisible characters (zero-width space/joiners, BOM) are removed, and a value
        # that is nothing else becomes NULL: "   " is a missing id, " car" and "car\u200b" are "car".
        return (f"NULLIF(trim(regexp_replace(CAST({col} AS VARCHAR), '[\u200b\u200c\u200d\u2060\ufeff]', '', 'g'), "
                f"' \t\r\n'), '')")
    if typ == _D:
        return f"CASE WHEN isfinite(TRY_CAST({col} AS DOUBLE)) THEN TRY_CAST({col} AS DOUBLE) END"
    if typ == _I:
        return (f"CASE WHEN TRY_CAST({col} AS DOUBLE) = floor(TRY_CAST({col} AS DOUBLE)) "
                f"THEN TRY_CAST(TRY_CAST({col} AS DOUBLE) AS INTEGER) END")
    # Timestamps: a value with an offset (Z, +02:00, -05) is converted to UTC, a naive one kept as it is.
    # The offset-aware cast (ICU) is ~5x slower, so text without an offset takes the plain cast.
    # 'infinity', '-infinity' (and anything else non-finite) are not timestamps: NULL, reported as such.
    aware = f"CAST(TRY_CAST({col} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if pa.types.is_string(raw_type) or pa.types.is_large_string(raw_type):
        naive = (f"CASE WHEN NOT (contains({col}, '+') OR contains(substr({col}, 11), '-') "
                 f"OR suffix(upper({col}), 'Z')) THEN TRY_CAST({col} AS TIMESTAMP) END")
        expr = f"COALESCE({naive}, {aware})"
    elif pa.types.is_timestamp(raw_type) and raw_type.tz is None or pa.types.is_date(raw_type):
        expr = f"CAST({col} AS TIMESTAMP)"
    else:
        expr = aware
    return f"CASE WHEN isfinite({expr}) THEN {expr} END"


def _near_duplicate_labels(cast: pa.Table, src: _Source, table: str, problems: _Problems) -> bool:
    """Label classes of one project and schema version that differ only by case: refused, naming both rows.
    False when there is such a pair."""
    ok = True
    cols = [c for c in ("project_id", "schema_version") if c in cast.column_names]
    df = cast.select(cols + ["label", "_row"]).to_pandas()
    df = df[df["label"].notna()]
    df["_key"] = df["label"].str.casefold()
    for _, g in df.groupby(cols + ["_key"] if cols else ["_key"], dropna=False, sort=False):
        if g["label"].nunique() > 1:
            first = g.iloc[0]
            for _, r in g.iloc[1:].iterrows():
                if r["label"] != first["label"]:
                    ok = False
                    problems.add(src, f"label {_fmt(r['label'])} differs from {_fmt(first['label'])} "
                                      f"({src.where(table, int(first['_row']))}) only by case: use {_fmt(first['label'])}",
                                 src.where(table, int(r["_row"])), src.column(table, "label"), int(r["_row"]))
    return ok


def timestamp_window() -> tuple[dt.datetime, dt.datetime]:
    """The plausible window for every timestamp column: ``$LABELQA_TIMESTAMP_MIN`` (default 2000-01-01) to
    ``$LABELQA_TIMESTAMP_MAX`` (default one year after today). Values outside it (``epoch``, year 0001 or 9999)
    are refused, naming the row."""
    lo = os.environ.get("LABELQA_TIMESTAMP_MIN") or "2000-01-01"
    hi = os.environ.get("LABELQA_TIMESTAMP_MAX")
    try:
        lo_t = dt.datetime.fromisoformat(lo)
        hi_t = dt.datetime.fromisoformat(hi) if hi else dt.datetime.combine(dt.date.today() + dt.timedelta(days=366), dt.time())
    except ValueError as exc:
        raise ValueError(f"LABELQA_TIMESTAMP_MIN/MAX must be ISO dates: {exc}") from None
    return lo_t, hi_t


_TYPE_WORDS = {_D: "a number", _I: "a whole number", _T: "a timestamp (e.g. 2026-05-25 14:30:00 or ISO 8601)"}


def _validate_rows(mem, src: _Source, table: str, raw: pa.Table, project: str | None,
                   problems: _Problems) -> pa.Table | None:
    """Cast ``raw`` (canonical column names + ``_row``) to the canonical types of ``table`` (one DuckDB
    pass) and check every row with Arrow compute: wrong type, missing required value, value outside an
    enumeration, negative duration, probability outside [0, 1], project other than ``--project``.
    Collects every problem; returns the typed table (all canonical columns with defaults applied,
    ``_file``, ``_row``) or None when a row is bad."""
    import pyarrow.compute as pc

    present = [c for c in TABLE_COLUMNS[table] if c in raw.column_names]
    exprs = []
    for c in present:
        typ = TABLE_COLUMNS[table][c]
        clean = typ == _V and _clean_text(raw.column(c))
        exprs.append(f'{_typed_expr(chr(34) + c + chr(34), typ, raw.schema.field(c).type, clean)} AS "{c}"')
    mem.register("_lqa_raw", raw)
    try:
        cast = mem.sql("SELECT " + ", ".join(exprs + ["_row"]) + " FROM _lqa_raw").to_arrow_table()
    finally:
        mem.unregister("_lqa_raw")
    rows = cast.column("_row")
    checks: list[tuple[str, pa.Array, Callable[[str | None], str]]] = []   # column, bad-row mask, detail
    for col in present:
        typ = TABLE_COLUMNS[table][col]
        rv, tv = raw.column(col), cast.column(col)
        if typ == _V:
            checks.append((col, pc.match_substring(tv, "\x00"),
                           lambda v: f"{_fmt(v)} contains a NUL character (\\x00); remove it (it is never part of "
                                     "a real value, and PostgreSQL cannot store it)"))
        if typ != _V:
            word = _TYPE_WORDS[typ]
            checks.append((col, pc.and_(pc.is_valid(rv), pc.is_null(tv)), lambda v, w=word: f"{_fmt(v)} is not {w}"))
        if col in REQUIRED_COLUMNS[table]:
            # text: the trimmed value (whitespace-only is missing); other types: the raw value (a bad one is a type error)
            checks.append((col, pc.is_null(tv if typ == _V else rv), lambda v: "missing value (the column is required)"))
        if (table, col) in _ALLOWED:
            allowed = _ALLOWED[(table, col)]
            checks.append((col, pc.and_(pc.is_valid(tv), pc.invert(pc.is_in(tv, pa.array(allowed)))),
                           lambda v, a=allowed: f"{_fmt(v)} is not one of {', '.join(a)}"))
        if (table, col) in non_negative():
            checks.append((col, pc.less(tv, 0), lambda v: f"{_fmt(v)} is negative"))
        if (table, col) in _PROBABILITY:
            checks.append((col, pc.or_(pc.less(tv, 0), pc.greater(tv, 1)), lambda v: f"{_fmt(v)} is not in [0, 1]"))
        if typ == _T:
            lo_t, hi_t = timestamp_window()
            checks.append((col, pc.or_(pc.less(tv, pa.scalar(lo_t, tv.type)), pc.greater(tv, pa.scalar(hi_t, tv.type))),
                           lambda v, a=lo_t, b=hi_t: f"{_fmt(v)} is outside the plausible window {a:%Y-%m-%d} to "
                                                     f"{b:%Y-%m-%d} (LABELQA_TIMESTAMP_MIN / _MAX change it)"))
        if col == "project_id" and project is not None:
            checks.append((col, pc.not_equal(tv, project), lambda v: f"{_fmt(v)} but --project {project} was given"))
    ok = True
    if table == "label_classes" and "label" in present:
        ok = _near_duplicate_labels(cast, src, table, problems)
    for tables, rules in kind_rules():  # a kind's own row checks (e.g. identical responses of a pair)
        if table in tables:
            for row, col, detail in rules(table, cast):
                ok = False
                problems.add(src, detail, src.where(table, row), src.column(table, col), row)
    for col, mask, detail in checks:
        mask = pc.fill_null(mask, False)
        n = pc.sum(mask).as_py() or 0
        if not n:
            continue
        ok = False
        idx = pc.indices_nonzero(mask)[: _EXAMPLES_PER_GROUP + 10].to_pylist()
        shown = idx[:_EXAMPLES_PER_GROUP]
        values = [None if v is None else str(v) for v in raw.column(col).take(shown).to_pylist()]
        for i, val in zip(shown, values):
            row = rows[i].as_py()
            problems.add(src, detail(val), src.where(table, row), src.column(table, col), row)
        if n > len(shown):
            listed = ", ".join(src.where(table, rows[i].as_py()).removeprefix("row ") for i in idx[len(shown):])
            problems.add(src, f"{n - len(shown)} more rows with this problem ({listed}"
                              f"{', ...' if n > len(idx) else ''})",
                         column=src.column(table, col), row=rows[shown[-1]].as_py() + 0.5)
    if not ok:
        return None
    out = {}
    n_rows = cast.num_rows
    for col, typ in TABLE_COLUMNS[table].items():
        arrow_type = _ARROW_TYPES[typ]
        if col in present:
            arr = cast.column(col).cast(arrow_type)
        elif col == "project_id" and project is not None:
            arr = pa.repeat(pa.scalar(project, arrow_type), n_rows)
        else:
            arr = pa.nulls(n_rows, arrow_type)
        if (table, col) in _DEFAULTS:
            arr = pc.fill_null(arr, pa.scalar(_DEFAULTS[(table, col)], arrow_type))
        out[col] = arr
    out["_file"] = pa.repeat(pa.scalar(src.index, pa.int32()), n_rows)
    out["_row"] = rows.cast(pa.int64())
    return pa.table(out, schema=_stage_schema(table))


def _stage_schema(table: str, columns: Sequence[str] | None = None) -> pa.Schema:
    cols = columns or list(TABLE_COLUMNS[table])
    return pa.schema([(c, _ARROW_TYPES[TABLE_COLUMNS[table][c]]) for c in cols]
                     + [("_file", pa.int32()), ("_row", pa.int64())])


def _read_tabular(mem, src: _Source, table: str | None, project: str | None,
                  mapping: Mapping[str, Mapping[str, str]], problems: _Problems) -> dict[str, pa.Table]:
    try:
        raw = _read_csv(mem, src, problems) if src.kind == "csv" else _read_raw(mem, src)
        if raw is None:
            return {}
    except NotRecords as exc:
        _report_not_records(exc, problems)
        return {}
    except Exception as exc:  # noqa: BLE001 - every reader error is the user's file
        what = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON lines", "json": "JSON"}[src.kind]
        problems.add(src, f"cannot be read as {what}: {_first_line(exc)}")
        return {}
    columns = [c for c in raw.column_names if c != "_empty"]
    if raw.num_rows == 0:
        problems.add(src, "no data rows" + (f" (only the header: {', '.join(columns)})" if columns else ""))
        return {}
    wide = table in (None, model_scores.TABLE) and model_scores.is_wide(columns)  # prob_<label> columns (issue 14)
    if wide:
        table, raw = model_scores.TABLE, model_scores.widen(raw, src, problems)
        if raw is None:
            return {}
        columns = raw.column_names
    table = table or infer_table(src.name, columns, mapping, project)
    if table is None:
        problems.add(src, f"cannot tell which table this file is for (columns: {', '.join(map(repr, columns))}); "
                          "name the file after a table (e.g. annotations.csv) or pass --table")
        return {}
    src.table = table
    renamed = _renamed(columns, table, mapping)
    targets: dict[str, list[str]] = {}
    for s, d in renamed.items():
        targets.setdefault(d, []).append(s)
    ok = True
    for d, srcs in targets.items():
        if len(srcs) > 1:
            ok = False
            problems.add(src, f"columns {', '.join(map(repr, srcs))} all map to {d!r}; keep one", column=d)
    have = set(targets) | ({"project_id"} if project and "project_id" in TABLE_COLUMNS[table] else set())
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in have]
    if missing:
        ok = False
        problems.add(src, f"missing required column(s) {', '.join(map(repr, missing))} for table {table}; "
                          f"the file has {', '.join(map(repr, columns))} (map other names with --column SRC=DST "
                          "or a --map file)", column=", ".join(missing))
    if not ok:
        return {}
    src.ignored = [c for c in columns if c not in renamed]
    src.shown_columns[table] = {d: s for s, d in renamed.items()}
    keep = [s for s in columns if s in renamed]
    raw = _with_rows(raw.select(keep).rename_columns([renamed[s] for s in keep]))
    typed = _validate_rows(mem, src, table, raw, project, problems)
    if typed is None:
        return {}
    if table == model_scores.TABLE and not model_scores.check_sums(mem, src, typed, wide, problems):
        return {}
    src.rows[table] = typed.num_rows
    return {table: typed}
