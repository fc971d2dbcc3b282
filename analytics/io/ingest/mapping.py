"""Column mapping files, ``--column`` options, table inference from names/columns and label suggestions."""
from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analytics.io.ingest.schema import _FORMATS, IngestError, LABEL_SYNONYMS
# canonical tables + the tables annotation kinds declare (analytics.io.ingest.kinds)
from analytics.io.ingest.kinds import LOAD_COLUMNS as TABLE_COLUMNS, LOAD_REQUIRED as REQUIRED_COLUMNS, load_tables


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
            problems.append(f"{origin}: [{table}] is not a canonical table (one of {', '.join(load_tables())}, or \"*\")")
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
    hits = [t for t in load_tables() if re.search(rf"(?<![a-z]){t}(?![a-z])", stem)]
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
    from analytics.db import CANONICAL_TABLES
    from analytics.io.ingest.schema import TABLE_COLUMNS as CANONICAL_COLUMNS

    canonical_names = {c for cols in CANONICAL_COLUMNS.values() for c in cols}
    mapping = mapping or {}
    fits = []
    for table in load_tables():
        have = set(_renamed(columns, table, mapping).values())
        if project:
            have.add("project_id") if "project_id" in TABLE_COLUMNS[table] else None
        if table not in CANONICAL_TABLES and not have - canonical_names:
            continue  # a kind's table is told by columns only when the file has one of its own (x, span_start...)
        if set(REQUIRED_COLUMNS[table]) <= have:
            # on as many matched columns, a canonical table wins over a kind's (gold_labels over gold_label_sets)
            fits.append((len(have), table in CANONICAL_TABLES, -len(TABLE_COLUMNS[table]), table))
    if not fits:
        return None
    fits.sort(reverse=True)
    if len(fits) > 1 and fits[0][:3] == fits[1][:3]:
        return None
    return fits[0][3]


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
