"""``labelqa load``: validated, all-or-nothing ingest of CSV, Parquet, JSONL and Label Studio JSON exports.

Pipeline (the same for every SQLAlchemy URL):

1. **Read and type-check each file** with an in-memory DuckDB connection and DuckDB's native readers
   (``read_csv`` with every column as text, ``read_parquet``, ``read_ndjson_objects``); the rows become an
   Arrow table with a 1-based data row number ``_row``. Columns are renamed onto the canonical names
   (mapping file / ``--column``), the target table is taken from ``--table``, the file name or the columns,
   and every value is cast to the canonical type of ``sql/schema.sql`` (``TRY_CAST``; timestamps with an
   offset are converted to UTC). Problems of a file are collected (not stopped at the first): unreadable
   or empty file, non-UTF-8 text, missing required columns, wrong types, missing values, values outside
   an enumeration, negative durations, confidences outside [0, 1].
2. **Stage every file's rows in the target database inside one transaction** (DuckDB: the Arrow tables are
   registered on the raw connection; PostgreSQL: ``COPY`` into ``TEMP`` tables), then run the checks that
   need the database as SQL anti-joins: duplicate keys within the load and against the database, rows
   that refer to unknown items / projects / batches / runs / annotations (neither in the database nor in
   this load), labels outside the project's taxonomy (``label_classes`` of the annotation's
   ``schema_version``; with a suggestion from a synonym map and ``difflib``), items of another project
   than ``--project``.
3. Only when nothing is wrong: ``INSERT ... SELECT`` from the staged rows, in one transaction; otherwise
   (and for ``dry_run``) ``ROLLBACK``: the database is exactly as before.

Every problem is reported as ``file F row R column C: what is wrong`` (or, for many rows with the same
problem, the first rows and the count), all in one :class:`IngestError` whose first line summarises.

SQL here is generated from the fixed canonical table and column names only (never from file contents or
user input, which are bound parameters or Arrow data); that is why it lives in this module rather than in
``sql/*.sql`` files: the statements are the same shape repeated over the twelve canonical tables.
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import difflib
import io
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from analytics.db import CANONICAL_TABLES, is_duckdb, make_engine, sql_text

__all__ = [
    "IngestError",
    "load_files",
    "read_mapping",
    "parse_column_options",
    "infer_table",
    "suggest_label",
    "TABLE_COLUMNS",
    "REQUIRED_COLUMNS",
    "PRIMARY_KEYS",
    "LABEL_SYNONYMS",
    "MAX_LINES_PER_FILE",
]

_V, _I, _D, _T = "VARCHAR", "INTEGER", "DOUBLE PRECISION", "TIMESTAMP"

#: Canonical columns and types of every table: a mirror of sql/schema.sql (a test keeps them in sync).
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "projects": {"project_id": _V, "name": _V, "client": _V, "task_type": _V, "created_at": _T},
    "label_classes": {"project_id": _V, "schema_version": _I, "label": _V, "description": _V, "tier": _V},
    "annotators": {"annotator_id": _V, "display_name": _V, "team": _V, "vendor": _V, "started_at": _T},
    "items": {"item_id": _V, "project_id": _V, "split": _V, "source": _V, "created_at": _T},
    "item_attributes": {"item_id": _V, "key": _V, "value": _V},
    "batches": {"batch_id": _V, "project_id": _V, "name": _V, "delivered_at": _T},
    "annotations": {
        "annotation_id": _V, "item_id": _V, "annotator_id": _V, "label": _V, "created_at": _T,
        "duration_s": _D, "schema_version": _I, "batch_id": _V, "source": _V, "model_suggestion": _V,
        "model_confidence": _D,
    },
    "gold_labels": {"item_id": _V, "label": _V, "source": _V, "created_at": _T},
    "reviews": {
        "review_id": _V, "annotation_id": _V, "reviewer_id": _V, "verdict": _V, "corrected_label": _V,
        "created_at": _T,
    },
    "model_runs": {
        "run_id": _V, "project_id": _V, "model_name": _V, "model_version": _V, "trained_on_batch": _V,
        "evaluated_at": _T,
    },
    "model_metrics": {"run_id": _V, "label": _V, "metric": _V, "value": _D, "support": _I},
    "predictions": {"run_id": _V, "item_id": _V, "predicted_label": _V, "confidence": _D},
}

# Column defaults of sql/schema.sql (applied when a file lacks the column or leaves the value empty).
_DEFAULTS: dict[tuple[str, str], Any] = {
    ("projects", "task_type"): "classification",
    ("label_classes", "schema_version"): 1,
    ("label_classes", "tier"): "standard",
    ("annotations", "schema_version"): 1,
    ("annotations", "source"): "human",
}

#: Columns a file must provide (NOT NULL without a default). ``project_id`` may come from ``--project``.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "client"),
    "label_classes": ("project_id", "label"),
    "annotators": ("annotator_id",),
    "items": ("item_id", "project_id"),
    "item_attributes": ("item_id", "key"),
    "batches": ("batch_id", "project_id"),
    "annotations": ("annotation_id", "item_id", "annotator_id", "label", "created_at"),
    "gold_labels": ("item_id", "label"),
    "reviews": ("review_id", "annotation_id", "verdict"),
    "model_runs": ("run_id", "project_id"),
    "model_metrics": ("run_id", "metric", "value"),
    "predictions": ("run_id", "item_id", "predicted_label"),
}

#: Primary keys of sql/schema.sql (``model_metrics`` has none).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id",),
    "label_classes": ("project_id", "schema_version", "label"),
    "annotators": ("annotator_id",),
    "items": ("item_id",),
    "item_attributes": ("item_id", "key"),
    "batches": ("batch_id",),
    "annotations": ("annotation_id",),
    "gold_labels": ("item_id",),
    "reviews": ("review_id",),
    "model_runs": ("run_id",),
    "predictions": ("run_id", "item_id"),
}

_ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("annotations", "source"): ("human", "prelabel_accepted", "prelabel_edited", "model_auto"),
    ("reviews", "verdict"): ("accepted", "rejected", "corrected"),
    ("label_classes", "tier"): ("critical", "standard"),
}
_NON_NEGATIVE = {("annotations", "duration_s")}
_PROBABILITY = {("annotations", "model_confidence"), ("predictions", "confidence")}

# (table, column) -> (referenced table, referenced column, what to call it)
_REFERENCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("label_classes", "project_id", "projects", "project_id", "project"),
    ("items", "project_id", "projects", "project_id", "project"),
    ("batches", "project_id", "projects", "project_id", "project"),
    ("model_runs", "project_id", "projects", "project_id", "project"),
    ("item_attributes", "item_id", "items", "item_id", "item"),
    ("annotations", "item_id", "items", "item_id", "item"),
    ("annotations", "batch_id", "batches", "batch_id", "batch"),
    ("gold_labels", "item_id", "items", "item_id", "item"),
    ("reviews", "annotation_id", "annotations", "annotation_id", "annotation"),
    ("model_metrics", "run_id", "model_runs", "run_id", "model run"),
    ("predictions", "run_id", "model_runs", "run_id", "model run"),
    ("predictions", "item_id", "items", "item_id", "item"),
)

# Rows created "if new" (never an error when they already exist): Label Studio's project, tasks and
# annotators, and the annotators named by any annotation file.
_IMPLICIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "client"),
    "annotators": ("annotator_id", "display_name"),
    "items": ("item_id", "project_id", "source", "created_at"),
}

#: Common names for canonical labels, used for "did you mean" (checked before difflib's close matches).
LABEL_SYNONYMS: dict[str, str] = {
    "automobile": "car", "auto": "car", "sedan": "car", "passenger_car": "car", "hatchback": "car",
    "bike": "bicycle", "cycle": "bicycle", "pushbike": "bicycle",
    "motorbike": "motorcycle", "moped": "motorcycle", "motor_bike": "motorcycle",
    "person": "pedestrian", "people": "pedestrian", "human": "pedestrian", "walker": "pedestrian",
    "lorry": "truck", "semi": "truck", "pickup": "truck",
    "minivan": "van", "coach": "bus", "autobus": "bus", "tram": "streetcar",
    "ambulance": "emergency_vehicle", "fire_truck": "emergency_vehicle", "firetruck": "emergency_vehicle",
    "police_car": "emergency_vehicle",
    "traffic_signal": "traffic_light", "stoplight": "traffic_light",
    "cyclist": "bicycle", "rider": "bicycle",
}

#: Most problem lines shown per file (the rest are counted).
MAX_LINES_PER_FILE = 30
_EXAMPLES_PER_GROUP = 5      # row numbers listed for one problem value
_GROUPS_PER_CHECK = 8        # distinct problem values listed per file and check
_FETCH_CAP = 2000            # rows fetched per check (the counts come from the database)

_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".csv.gz": "csv", ".tsv.gz": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonl.gz": "jsonl", ".json": "json",
}
_STAGE = "_lqa_stage_"
_IMPLICIT = "_lqa_implicit_"
_ARROW_TYPES = {_V: pa.string(), _I: pa.int32(), _D: pa.float64(), _T: pa.timestamp("us")}


class IngestError(ValueError):
    """The load was refused; nothing was written. ``problems`` lists one line per problem."""

    def __init__(self, summary: str, problems: Sequence[str] = ()):
        self.summary = summary
        self.problems = list(problems)
        super().__init__("\n".join([summary, *("  " + p for p in self.problems)]))


# --------------------------------------------------------------------------------------------------
# Mapping, table inference, label suggestions (public helpers)
# --------------------------------------------------------------------------------------------------

def read_mapping(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a TOML mapping file: one section per canonical table (``["*"]`` = every table), each
    ``source_column = "canonical_column"``. Returns ``{table: {source: canonical}}``."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise IngestError(f"mapping file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise IngestError(f"mapping file {path} is not valid TOML: {exc}") from None
    return _normalise_mapping(data, str(path))


def parse_column_options(options: Iterable[str]) -> dict[str, str]:
    """``["worker=annotator_id", ...]`` (``--column src=dst``) -> ``{"worker": "annotator_id"}``."""
    out: dict[str, str] = {}
    for opt in options:
        src, sep, dst = opt.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise IngestError(f"--column {opt!r}: expected SOURCE=CANONICAL, e.g. --column worker=annotator_id")
        out[src.strip()] = dst.strip()
    return _normalise_mapping({"*": out}, "--column")["*"]


def _normalise_mapping(data: Mapping[str, Any] | None, origin: str) -> dict[str, dict[str, str]]:
    if not data:
        return {}
    if all(isinstance(v, str) for v in data.values()):   # a flat {source: canonical} = every table
        data = {"*": dict(data)}
    every_column = {c for cols in TABLE_COLUMNS.values() for c in cols}
    out: dict[str, dict[str, str]] = {}
    problems = []
    for table, cols in data.items():
        if table != "*" and table not in TABLE_COLUMNS:
            problems.append(f"{origin}: [{table}] is not a canonical table (one of {', '.join(CANONICAL_TABLES)}, or \"*\")")
            continue
        if not isinstance(cols, Mapping):
            problems.append(f"{origin}: [{table}] must hold source = \"canonical\" pairs")
            continue
        allowed = every_column if table == "*" else set(TABLE_COLUMNS[table])
        for src, dst in cols.items():
            if not isinstance(dst, str) or dst not in allowed:
                where = "any table" if table == "*" else f"table {table}"
                problems.append(f"{origin}: {src} = {dst!r}: {dst!r} is not a column of {where}")
        out[table] = {str(k): str(v) for k, v in cols.items()}
    if problems:
        raise IngestError(f"invalid column mapping ({len(problems)} problem(s))", problems)
    return out


def _table_from_name(name: str) -> str | None:
    stem = name.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    hits = [t for t in CANONICAL_TABLES if re.search(rf"(?<![a-z]){t}(?![a-z])", stem)]
    return max(hits, key=len) if hits else None


def _renamed(columns: Sequence[str], table: str, mapping: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{source column: canonical column} for ``table``: the mapping first, then case-insensitive names."""
    explicit = {**mapping.get("*", {}), **mapping.get(table, {})}
    canon = {c.lower(): c for c in TABLE_COLUMNS[table]}
    out = {}
    for col in columns:
        dst = explicit.get(col, explicit.get(col.strip()))
        if dst is not None:
            if dst in TABLE_COLUMNS[table]:
                out[col] = dst
        elif col.strip().lower() in canon:
            out[col] = canon[col.strip().lower()]
    return out


def infer_table(name: str, columns: Sequence[str], mapping: Mapping[str, Mapping[str, str]] | None = None,
                project: str | None = None) -> str | None:
    """The canonical table a file is for: a table name in the file name (``gold_labels.parquet``,
    ``annotations_2026.csv``), else the one table whose required columns the file has (after mapping;
    ``project_id`` counts as present when ``project`` is given). ``None`` when neither decides."""
    by_name = _table_from_name(Path(name).name)
    if by_name:
        return by_name
    mapping = mapping or {}
    fits = []
    for table in CANONICAL_TABLES:
        have = set(_renamed(columns, table, mapping).values())
        if project:
            have.add("project_id") if "project_id" in TABLE_COLUMNS[table] else None
        if set(REQUIRED_COLUMNS[table]) <= have:
            fits.append((len(have), -len(TABLE_COLUMNS[table]), table))
    if not fits:
        return None
    fits.sort(reverse=True)
    if len(fits) > 1 and fits[0][:2] == fits[1][:2]:
        return None
    return fits[0][2]


def _norm_label(label: str) -> str:
    return re.sub(r"[\s\-]+", "_", label.strip().lower())


def suggest_label(label: str, known: Iterable[str]) -> str | None:
    """The known label a user most likely meant: same label up to case/spaces, a synonym
    (:data:`LABEL_SYNONYMS`), or ``difflib.get_close_matches`` (cutoff 0.6); ``None`` if nothing is close."""
    known = list(known)
    by_norm = {_norm_label(k): k for k in known}
    norm = _norm_label(label)
    if norm in by_norm:
        return by_norm[norm]
    syn = LABEL_SYNONYMS.get(norm) or LABEL_SYNONYMS.get(norm.rstrip("s"))
    if syn and syn in by_norm:
        return by_norm[syn]
    close = difflib.get_close_matches(norm, list(by_norm), n=1, cutoff=0.6)
    return by_norm[close[0]] if close else None


# --------------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class _Source:
    """One input file and how to name its rows and columns in messages."""

    index: int
    path: Path
    name: str
    kind: str = ""
    table: str | None = None
    shown_columns: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)  # table -> canonical -> shown
    row_labels: dict[str, list[str]] = dataclasses.field(default_factory=dict)          # table -> labels (Label Studio)
    ignored: list[str] = dataclasses.field(default_factory=list)
    rows: dict[str, int] = dataclasses.field(default_factory=dict)

    def where(self, table: str, row: int) -> str:
        labels = self.row_labels.get(table)
        if labels is not None and 0 < row <= len(labels):
            return labels[row - 1]
        return f"row {row}"

    def column(self, table: str, col: str) -> str:
        shown = self.shown_columns.get(table, {}).get(col)
        return f"{shown} (-> {col})" if shown and shown != col else col


@dataclasses.dataclass
class _Problems:
    sources: list[_Source]
    items: list[tuple[int, float, int, str]] = dataclasses.field(default_factory=list)  # file, row, seq, line

    def add(self, src: _Source, detail: str, where: str | None = None, column: str | None = None,
            row: float = math.inf) -> None:
        parts = [f"file {src.name}"]
        if where:
            parts.append(where)
        if column:
            parts.append(f"column {column}")
        self.items.append((src.index, row, len(self.items), " ".join(parts) + f": {detail}"))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_(self, note: str = "") -> None:
        by_file: dict[int, list[str]] = {}
        for idx, _row, _seq, line in sorted(self.items):
            by_file.setdefault(idx, []).append(line)
        lines: list[str] = []
        counts = []
        for idx, ls in by_file.items():
            counts.append(f"{self.sources[idx].name} ({len(ls)})")
            lines.extend(ls[:MAX_LINES_PER_FILE])
            if len(ls) > MAX_LINES_PER_FILE:
                lines.append(f"file {self.sources[idx].name}: {len(ls) - MAX_LINES_PER_FILE} more problem(s) not shown")
        n = sum(len(v) for v in by_file.values())
        summary = (f"nothing loaded (database unchanged): {n} problem(s) in "
                   f"{len(by_file)} file(s): {', '.join(counts)}")
        if note:
            lines.append(note)
        raise IngestError(summary, lines)


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _first_line(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    msg = re.sub(r"^\([\w.]+\) ", "", msg)   # SQLAlchemy's "(driver.Exception) " prefix
    return re.sub(r"^(Invalid Input Error|Conversion Error|IO Error|Binder Error|Parser Error|Catalog Error): ", "", msg)


# --------------------------------------------------------------------------------------------------
# Phase 1: read and type-check files (in-memory DuckDB)
# --------------------------------------------------------------------------------------------------

def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return _FORMATS[suffix]
    return None


def _check_utf8(src: _Source, problems: _Problems) -> bool:
    """Fast incremental decode; only a bad file is scanned line by line to name the lines."""
    if src.path.name.lower().endswith(".gz"):
        return True
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with src.path.open("rb") as fh:
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
    with src.path.open("rb") as fh:
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
        problems.add(src, f"{what}: {snippet!r}", where=f"line {line}",
                     column=column if kind == "MISSING COLUMNS" else None, row=line)
    if len(rejects) > _EXAMPLES_PER_GROUP:
        more = ", ".join(str(r[0]) for r in rejects[_EXAMPLES_PER_GROUP:_EXAMPLES_PER_GROUP + 10])
        problems.add(src, f"{len(rejects) - _EXAMPLES_PER_GROUP} more malformed lines ({more}"
                          f"{', ...' if len(rejects) > _EXAMPLES_PER_GROUP + 10 else ''})")
    return None


def _read_raw(mem, src: _Source) -> pa.Table:
    """The file's rows as an Arrow table (text columns for text formats) in file order."""
    p = {"p": str(src.path)}
    if src.kind == "parquet":
        return mem.sql("SELECT * FROM read_parquet($p)", params=p).to_arrow_table()
    reader = "read_ndjson_objects($p)" if src.kind == "jsonl" else "read_json_objects($p, format = 'auto')"
    mem.execute(f"CREATE OR REPLACE TEMP TABLE _lqa_json AS SELECT json FROM {reader}", p)
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


def _typed_expr(col: str, typ: str, raw_type: pa.DataType) -> str:
    """DuckDB expression casting ``col`` to ``typ``; NULL where the value does not convert."""
    if typ == _V:
        return f"CAST({col} AS VARCHAR)"
    if typ == _D:
        return f"CASE WHEN isfinite(TRY_CAST({col} AS DOUBLE)) THEN TRY_CAST({col} AS DOUBLE) END"
    if typ == _I:
        return (f"CASE WHEN TRY_CAST({col} AS DOUBLE) = floor(TRY_CAST({col} AS DOUBLE)) "
                f"THEN TRY_CAST(TRY_CAST({col} AS DOUBLE) AS INTEGER) END")
    # Timestamps: a value with an offset (Z, +02:00, -05) is converted to UTC, a naive one kept as it is.
    # The offset-aware cast (ICU) is ~5x slower, so text without an offset takes the plain cast.
    aware = f"CAST(TRY_CAST({col} AS TIMESTAMPTZ) AS TIMESTAMP)"
    if pa.types.is_string(raw_type) or pa.types.is_large_string(raw_type):
        naive = (f"CASE WHEN NOT (contains({col}, '+') OR contains(substr({col}, 11), '-') "
                 f"OR suffix(upper({col}), 'Z')) THEN TRY_CAST({col} AS TIMESTAMP) END")
        return f"COALESCE({naive}, {aware})"
    if pa.types.is_timestamp(raw_type) and raw_type.tz is None or pa.types.is_date(raw_type):
        return f"CAST({col} AS TIMESTAMP)"
    return aware


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
    exprs = [f'{_typed_expr(chr(34) + c + chr(34), TABLE_COLUMNS[table][c], raw.schema.field(c).type)} AS "{c}"'
             for c in present]
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
        if typ != _V:
            word = _TYPE_WORDS[typ]
            checks.append((col, pc.and_(pc.is_valid(rv), pc.is_null(tv)), lambda v, w=word: f"{_fmt(v)} is not {w}"))
        if col in REQUIRED_COLUMNS[table]:
            checks.append((col, pc.is_null(rv), lambda v: "missing value (the column is required)"))
        if (table, col) in _ALLOWED:
            allowed = _ALLOWED[(table, col)]
            checks.append((col, pc.and_(pc.is_valid(tv), pc.invert(pc.is_in(tv, pa.array(allowed)))),
                           lambda v, a=allowed: f"{_fmt(v)} is not one of {', '.join(a)}"))
        if (table, col) in _NON_NEGATIVE:
            checks.append((col, pc.less(tv, 0), lambda v: f"{_fmt(v)} is negative"))
        if (table, col) in _PROBABILITY:
            checks.append((col, pc.or_(pc.less(tv, 0), pc.greater(tv, 1)), lambda v: f"{_fmt(v)} is not in [0, 1]"))
        if col == "project_id" and project is not None:
            checks.append((col, pc.not_equal(tv, project), lambda v: f"{_fmt(v)} but --project {project} was given"))
    ok = True
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
    except Exception as exc:  # noqa: BLE001 - every reader error is the user's file
        what = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON lines", "json": "JSON"}[src.kind]
        problems.add(src, f"cannot be read as {what}: {_first_line(exc)}")
        return {}
    columns = [c for c in raw.column_names if c != "_empty"]
    if raw.num_rows == 0:
        problems.add(src, "no data rows" + (f" (only the header: {', '.join(columns)})" if columns else ""))
        return {}
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
    src.rows[table] = typed.num_rows
    return {table: typed}


# ---- Label Studio -----------------------------------------------------------------------------------

def _looks_like_labelstudio(mem, src: _Source) -> bool:
    with src.path.open("rb") as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith(b"["):
        return False
    try:
        first = mem.sql("SELECT json_keys(json) FROM read_json_objects($p, format = 'array') LIMIT 1",
                        params={"p": str(src.path)}).fetchall()
    except Exception:  # noqa: BLE001 - unreadable: the tabular reader reports it
        return False
    keys = set(first[0][0] or []) if first else set()
    return "data" in keys and ("annotations" in keys or "id" in keys)


def _choices(result: Any) -> list[str]:
    out: list[str] = []
    for r in result or []:
        if isinstance(r, dict) and isinstance(r.get("value"), dict) and "choices" in r["value"]:
            ch = r["value"]["choices"]
            out.extend(str(c) for c in (ch if isinstance(ch, list) else [ch]))
    return out


def _s(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _read_labelstudio(mem, src: _Source, project: str | None, problems: _Problems) -> dict[str, pa.Table]:
    """Label Studio JSON export -> annotations (explicit) + items, annotators, project (created if new).

    Task ``id`` -> ``item_id``; ``annotations[].id`` -> ``annotation_id``; ``completed_by`` (int, or object
    with ``id``/``email``) -> ``annotator_id`` = the id (``display_name`` = email); ``result[].value.choices``
    (exactly one) -> ``label``; ``created_at``; ``lead_time`` -> ``duration_s``; the task's first prediction
    -> ``model_suggestion``/``model_confidence`` and, with ``parent_prediction``, ``source`` =
    prelabel_accepted / prelabel_edited. Cancelled annotations (``was_cancelled``) are skipped.
    """
    try:
        with src.path.open(encoding="utf-8") as fh:
            tasks = json.load(fh)
    except json.JSONDecodeError as exc:
        problems.add(src, f"not valid JSON: {exc}")
        return {}
    if isinstance(tasks, dict):
        tasks = [tasks]
    n_problems = len(problems.items)
    items = {c: [] for c in ("item_id", "project_id", "source", "created_at")}
    anns = {c: [] for c in ("annotation_id", "item_id", "annotator_id", "label", "created_at", "duration_s",
                            "source", "model_suggestion", "model_confidence")}
    people: dict[str, str | None] = {}
    item_labels: list[str] = []
    ann_labels: list[str] = []
    projects: set[str] = set()
    for ti, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            problems.add(src, "not a task object", where=f"task {ti}", row=ti)
            continue
        tid = task.get("id")
        where_t = f"task {ti} (id {tid})"
        if tid is None:
            problems.add(src, "task has no id", where=f"task {ti}", column="id", row=ti)
            continue
        proj = project if project is not None else _s(task.get("project"))
        if proj is None:
            problems.add(src, "task has no project; pass --project", where=where_t, column="project", row=ti)
            continue
        projects.add(proj)
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        source = next((v for v in data.values() if isinstance(v, str)), None)
        item_id = str(tid)
        items["item_id"].append(item_id)
        items["project_id"].append(proj)
        items["source"].append(source)
        items["created_at"].append(_s(task.get("created_at")))
        item_labels.append(where_t)
        suggestion, confidence = None, None
        for pred in task.get("predictions") or []:
            if isinstance(pred, dict) and _choices(pred.get("result")):
                suggestion, confidence = _choices(pred.get("result"))[0], pred.get("score")
                break
        for ai, ann in enumerate(task.get("annotations") or [], 1):
            where_a = f"{where_t} annotation {ai}"
            row = ti + ai / 1000
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue
            labels = list(dict.fromkeys(_choices(ann.get("result"))))
            if len(labels) != 1:
                problems.add(src, "no choice in result" if not labels else
                             f"{len(labels)} choices {labels}: LabelQA stores one label per annotation",
                             where=where_a, column="result[].value.choices", row=row)
                continue
            who = ann.get("completed_by")
            if isinstance(who, dict):
                person = who.get("id") if who.get("id") is not None else who.get("email")
                email = who.get("email")
            else:
                person, email = who, None
            if person is None:
                problems.add(src, "no annotator (completed_by)", where=where_a, column="completed_by", row=row)
                continue
            person = str(person)
            if email or person not in people:
                people[person] = email or people.get(person)
            ann_id = ann.get("id")
            anns["annotation_id"].append(str(ann_id) if ann_id is not None else f"{item_id}-{ai}")
            anns["item_id"].append(item_id)
            anns["annotator_id"].append(person)
            anns["label"].append(labels[0])
            anns["created_at"].append(_s(ann.get("created_at")))
            anns["duration_s"].append(_s(ann.get("lead_time")))
            prelabel = ann.get("parent_prediction") is not None and suggestion is not None
            anns["source"].append(("prelabel_accepted" if labels[0] == suggestion else "prelabel_edited")
                                  if prelabel else "human")
            anns["model_suggestion"].append(suggestion)
            anns["model_confidence"].append(_s(confidence))
            ann_labels.append(where_a)
    if not tasks:
        problems.add(src, "the export holds no tasks")
        return {}
    if not anns["annotation_id"] and len(problems.items) == n_problems:
        problems.add(src, "the export holds no (non-cancelled) annotations")
        return {}
    src.row_labels = {"items": item_labels, "annotations": ann_labels}
    src.shown_columns = {
        "annotations": {"annotation_id": "annotations[].id", "item_id": "id", "annotator_id": "completed_by",
                        "label": "result[].value.choices", "created_at": "annotations[].created_at",
                        "duration_s": "lead_time", "model_confidence": "predictions[].score"},
        "items": {"item_id": "id", "project_id": "project", "created_at": "created_at"},
    }
    out: dict[str, pa.Table] = {}
    for table, cols in (("items", items), ("annotations", anns)):
        raw = _with_rows(pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()}))
        typed = _validate_rows(mem, src, table, raw, None, problems)
        if typed is not None:
            out[table] = typed
    src.rows = {t: v.num_rows for t, v in out.items()}
    out["implicit:projects"] = pa.table({"project_id": pa.array(sorted(projects), pa.string()),
                                         "name": pa.array(sorted(projects), pa.string()),
                                         "client": pa.array([""] * len(projects), pa.string())})
    out["implicit:annotators"] = pa.table({"annotator_id": pa.array(list(people), pa.string()),
                                           "display_name": pa.array(list(people.values()), pa.string())})
    src.table = "annotations"
    return out


def _read_file(mem, src: _Source, table: str | None, project: str | None,
               mapping: Mapping[str, Mapping[str, str]], problems: _Problems) -> dict[str, pa.Table]:
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


# --------------------------------------------------------------------------------------------------
# Phase 2: stage in the target, check with SQL, insert (one transaction)
# --------------------------------------------------------------------------------------------------

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
    for table, key in PRIMARY_KEYS.items():
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
    for table, col, ref, ref_col, what in _REFERENCES:
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
    for table, versioned in (("annotations", True), ("gold_labels", False)):
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


def _implicit_select(table: str) -> tuple[str, str]:
    """(FROM ... WHERE ... clause of the rows to create if new, column list)."""
    cols = _IMPLICIT_COLUMNS[table]
    key = cols[0]
    src = f"SELECT {', '.join(cols)} FROM {_IMPLICIT}{table}"
    if table == "annotators":  # every annotator named by an annotation exists afterwards
        src += f" UNION ALL SELECT annotator_id, CAST(NULL AS VARCHAR) FROM {_STAGE}annotations"
    where = (f"NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = u.{key}) "
             f"AND NOT EXISTS (SELECT 1 FROM {_STAGE}{table} e WHERE e.{key} = u.{key})")
    return f"FROM ({src}) u WHERE {where}", ", ".join(cols)


def _insert(con: Connection, staged: set[str], write: bool) -> dict[str, int]:
    """Rows per table the load adds (created-if-new rows counted with their table); ``write`` inserts them.

    The created-if-new count excludes keys in the database and in the explicit staged rows, so the count
    is the same whether or not the explicit rows were inserted first (a dry run inserts nothing)."""
    counts: dict[str, int] = {}
    for table in CANONICAL_TABLES:
        if table in _IMPLICIT_COLUMNS:
            body, cols = _implicit_select(table)
            key = _IMPLICIT_COLUMNS[table][0]
            n_new = con.execute(text(f"SELECT COUNT(DISTINCT u.{key}) {body}")).scalar_one()
            if n_new and write:
                aggs = ", ".join(f"u.{key}" if c == key else f"MAX(u.{c})" for c in _IMPLICIT_COLUMNS[table])
                con.execute(text(f"INSERT INTO {table} ({cols}) SELECT {aggs} {body} GROUP BY u.{key}"))
            counts[table] = counts.get(table, 0) + int(n_new)
        if table in staged:
            cols = ", ".join(TABLE_COLUMNS[table])
            n = con.execute(text(f"SELECT COUNT(*) FROM {_STAGE}{table}")).scalar_one()
            if write:
                con.execute(text(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {_STAGE}{table}"))
            counts[table] = counts.get(table, 0) + int(n)
    return {t: counts[t] for t in CANONICAL_TABLES if counts.get(t)}


def _run_script(con: Connection, name: str) -> None:
    """Run ``sql/<name>.sql`` (statements separated by a line holding only ';') on ``con``, inside the
    load's transaction: a refused load leaves not even an empty schema behind."""
    for stmt in sql_text(name).split("\n;\n"):
        body = "\n".join(l for l in stmt.splitlines() if not l.strip().startswith("--")).strip().rstrip(";")
        if body:
            con.execute(text(body))


# --------------------------------------------------------------------------------------------------
# Public entry
# --------------------------------------------------------------------------------------------------

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
    if table is not None and table not in TABLE_COLUMNS:
        raise IngestError(f"--table {table!r} is not a canonical table (one of {', '.join(CANONICAL_TABLES)})")
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
    try:
        with engine.connect() as con:
            trans = con.begin()
            try:
                if duck:
                    con.execute(text("SET enable_progress_bar = false"))
                _run_script(con, "schema")
                for t in CANONICAL_TABLES:
                    tables = explicit.get(t)
                    tbl = pa.concat_tables(tables) if tables else _stage_schema(t).empty_table()
                    _stage(con, duck, _STAGE + t, tbl, registered)
                for t, cols in _IMPLICIT_COLUMNS.items():
                    schema = pa.schema([(c, _ARROW_TYPES[TABLE_COLUMNS[t][c]]) for c in cols])
                    parts = [x.select(list(cols)).cast(schema) for x in implicit.get(t, [])]
                    _stage(con, duck, _IMPLICIT + t, pa.concat_tables(parts) if parts else schema.empty_table(),
                           registered)
                staged = set(explicit)
                _check_duplicates(con, sources, staged, problems)
                _check_references(con, sources, staged, problems)
                _check_taxonomy(con, sources, staged, project, problems)
                if problems:
                    trans.rollback()
                    problems.raise_()
                counts = _insert(con, staged, write=not dry_run)
                if dry_run:
                    trans.rollback()
                else:
                    if counts:
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
                if duck:
                    for name in registered:
                        con.connection.driver_connection.unregister(name)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
    return counts
