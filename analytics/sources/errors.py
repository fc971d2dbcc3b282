"""Database failures in words a user can act on: one line saying what is wrong and how to fix it.

``explain(exc)`` turns a driver or SQLAlchemy error (DuckDB, PostgreSQL, a bad URL) into a ``DatabaseProblem``
with that line; the CLI prints it and exits 2 (never 1, which for ``labelqa gate`` means "a rule failed"), and
the dashboard shows it as a page-level message. Anything it does not recognise keeps the driver's first line.
"""
from __future__ import annotations

import re

__all__ = ["DatabaseProblem", "explain", "is_database_error", "LOCKED"]

LOCKED = "locked"


class DatabaseProblem(Exception):
    """A database that cannot be used as asked; ``kind`` is a short key (``missing``, ``locked``, ...)."""

    def __init__(self, message: str, kind: str = "other"):
        super().__init__(message)
        self.kind = kind


def _is_db(exc: BaseException) -> bool:
    mod = type(exc).__module__ or ""
    if isinstance(exc, DatabaseProblem) or mod.startswith(("sqlalchemy", "duckdb", "_duckdb", "psycopg")):
        return True
    return mod.startswith("pandas") and type(exc).__name__ == "DatabaseError"  # pandas.read_sql's wrapper


def is_database_error(exc: BaseException) -> bool:
    """True for SQLAlchemy and DBAPI (DuckDB, psycopg) errors, also when pandas wrapped them."""
    return _is_db(exc)


def _innermost(exc: BaseException) -> BaseException:
    """The SQLAlchemy/driver error under wrappers (pandas re-raises with the original as ``__cause__``)."""
    seen = {id(exc)}
    while exc.__cause__ is not None and _is_db(exc.__cause__) and id(exc.__cause__) not in seen:
        exc = exc.__cause__
        seen.add(id(exc))
        if (type(exc).__module__ or "").startswith("sqlalchemy"):
            break
    return exc


def _driver_text(exc: BaseException) -> str:
    exc = _innermost(exc)
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc)
    text = re.sub(r"^\([\w.]+\)\s*", "", text)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


_RULES: tuple[tuple[str, str, str], ...] = (
    # (pattern on the driver's text, kind, message template; {0}.. are the pattern's groups)
    (r'Cannot open database "([^"]+)" in read-only mode: database does not exist', "missing",
     "database file {0} does not exist: check --db / LABELQA_DB_URL, or create it with `labelqa demo` or `labelqa load`"),
    (r'The file "([^"]+)" exists, but it is not a valid DuckDB database file', "not_a_database",
     "{0} is not a DuckDB database (or it is truncated): point --db at a LabelQA database file"),
    (r"Could not set lock on file \"([^\"]+)\"", LOCKED,
     "database {0} is locked by another process (a `labelqa load` or `labelqa demo` still running?): retry when it finishes"),
    (r"Conflicting lock is held in .* \(PID (\d+)\)", LOCKED,
     "the database is locked by process {0} (a `labelqa load` still running?): retry when it finishes"),
    (r"Table with name (\w+) does not exist", "missing_table",
     "table {0} is missing: this is not a LabelQA database yet (run `labelqa load`), or map your tables with views (sql/views/)"),
    (r'relation "(\w+)" does not exist', "missing_table",
     "table {0} is missing: this is not a LabelQA database yet (run `labelqa load`), or map your tables with views (sql/views/)"),
    (r'Referenced column "(\w+)" not found', "missing_column",
     "column {0} is missing from a LabelQA table: compare the database with sql/schema.sql (`labelqa info` shows the tables)"),
    (r'column "?(\w+)"? does not exist', "missing_column",
     "column {0} is missing from a LabelQA table: compare the database with sql/schema.sql"),
    (r'connection to server at "([^"]+)", port (\d+) failed: Connection refused', "unreachable",
     "cannot connect to the database server at {0}:{1} (connection refused): is it running, and are host and port right?"),
    (r'database "([^"]+)" does not exist', "missing",
     "database {0} does not exist on the server: create it or fix the database name in the URL"),
    (r"password authentication failed for user \"([^\"]+)\"", "auth",
     "the server refused user {0} (wrong password?): fix the credentials in the URL"),
    (r"Could not parse SQLAlchemy URL", "bad_url",
     "the database URL cannot be parsed: use a SQLAlchemy URL such as duckdb:///path/to/file.duckdb or postgresql+psycopg://user@host/db"),
    (r"Can't load plugin: sqlalchemy\.dialects:(\S+)", "bad_url",
     "unknown database type '{0}' in the URL: install its SQLAlchemy driver or use duckdb:/// or postgresql+psycopg://"),
)


def explain(exc: BaseException) -> DatabaseProblem:
    """The one-line, actionable description of a database failure."""
    if isinstance(exc, DatabaseProblem):
        return exc
    text = _driver_text(exc)
    for pattern, kind, template in _RULES:
        m = re.search(pattern, text)
        if m:
            return DatabaseProblem(template.format(*m.groups()), kind)
    return DatabaseProblem(f"database error: {text}", "other")
