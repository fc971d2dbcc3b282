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
``sql/*.sql`` files: the statements are the same shape repeated over the twelve canonical tables."""
from __future__ import annotations

from analytics.io.ingest.schema import (
    IngestError, LABEL_SYNONYMS, MAX_LINES_PER_FILE, PRIMARY_KEYS, REQUIRED_COLUMNS, TABLE_COLUMNS,
)
from analytics.io.ingest.mapping import infer_table, parse_column_options, read_mapping, suggest_label
from analytics.io.ingest.load import load_files

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
