"""One canonical SQL text per query, translated to each engine's dialect.

The files in ``sql/`` are the canonical text and are written in **DuckDB's dialect** (kept to the subset that also
runs unchanged on PostgreSQL, see docs/ARCHITECTURE.md "SQL rules"). DuckDB and PostgreSQL run that text as it
is. Every other engine gets a translation produced by sqlglot (pinned in pyproject.toml: another sqlglot version
may translate differently, so the pin moves only together with a green Spark parity test), read as ``duckdb``, with
LabelQA's own corrections where sqlglot's translation is wrong for these queries:

- Spark (and Databricks, the same SQL): ``percentile_cont(p) WITHIN GROUP (ORDER BY x)`` stays the exact
  ordered-set aggregate (Spark has it natively); sqlglot would write the approximate ``PERCENTILE_APPROX``.
- Spark: every division's divisor is wrapped in ``NULLIF(divisor, 0)`` (ANSI mode raises on division by zero;
  the canonical queries already guard their divisions, so on data that runs on DuckDB/PostgreSQL nothing changes).
- Type names (``VARCHAR`` -> ``STRING``, ``DOUBLE PRECISION`` -> ``DOUBLE``) and ``NULLS LAST`` on every ordering
  (DuckDB sorts NULLs last in both directions, Spark first on ASC) come from sqlglot itself; the tests check them.

The text is translated once per (query name, dialect) and cached. Only the static project text in ``sql/`` is ever
translated, never a value: values stay ``:named`` bind parameters in the translated text.

Transpile-checked only (no live engine in CI): ``trino``, ``bigquery``, ``snowflake``, ``postgres`` (PostgreSQL
itself runs the canonical text and is tested live).
"""
from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from analytics.sources.queries import sql_text

__all__ = [
    "SOURCE_DIALECT",
    "CANONICAL_DIALECTS",
    "TARGET_DIALECTS",
    "canonical_text",
    "dialect_for_url",
    "query_text",
    "translate",
]

SOURCE_DIALECT = "duckdb"
# Engines that run the files in sql/ as they are (both are tested live).
CANONICAL_DIALECTS = frozenset({"duckdb", "postgres", "postgresql"})
# Dialects a translation is produced for; each is checked by tests/test_dialects.py for every query file.
TARGET_DIALECTS = ("postgres", "spark", "databricks", "trino", "bigquery", "snowflake")
_SPARK_FAMILY = frozenset({"spark", "databricks", "hive"})
# URL scheme (SQLAlchemy dialect name or a Spark Connect URL) -> sqlglot dialect.
_SCHEMES = {
    "duckdb": "duckdb", "postgresql": "postgres", "postgres": "postgres",
    "sc": "spark", "spark": "spark", "hive": "spark", "databricks": "databricks",
    "trino": "trino", "bigquery": "bigquery", "snowflake": "snowflake",
}


def dialect_for_url(url: str) -> str:
    """The sqlglot dialect for a database URL (``duckdb:///x``, ``sc://host:15002``, ``hive://...``, ...).

    ``postgresql+psycopg://`` -> ``postgres``. Unknown schemes raise ``ValueError`` naming the supported ones.
    """
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    try:
        return _SCHEMES[scheme]
    except KeyError:
        raise ValueError(f"no SQL dialect known for URL scheme {scheme!r}; supported: "
                         f"{', '.join(sorted(_SCHEMES))}") from None


def canonical_text(name: str) -> str:
    """The canonical (DuckDB-dialect) text of ``sql/<name>.sql`` with ``-- @include`` snippets expanded."""
    return sql_text(name)


def query_text(name: str, dialect: str) -> str:
    """The text of query ``name`` for ``dialect``: canonical for DuckDB/PostgreSQL, translated otherwise (cached)."""
    if dialect in CANONICAL_DIALECTS:
        return canonical_text(name)
    return _translated(name, dialect)


@lru_cache(maxsize=None)
def _translated(name: str, dialect: str) -> str:
    return translate(canonical_text(name), dialect)


def translate(sql: str, dialect: str) -> str:
    """Translate canonical (DuckDB-dialect) SQL text to ``dialect`` with LabelQA's corrections.

    Raises ``ValueError`` for an unknown dialect and ``sqlglot.errors.ParseError``/``UnsupportedError`` when the
    text uses something the target cannot express (the test over every query file keeps that from shipping).
    A script of several statements (``schema.sql``) is translated statement by statement, joined by ``\\n;\\n``.
    """
    if dialect not in TARGET_DIALECTS and dialect not in _SCHEMES.values():
        raise ValueError(f"unknown SQL dialect {dialect!r}; known: {', '.join(TARGET_DIALECTS)}")
    write = "spark" if dialect == "hive" else dialect
    trees = [t for t in sqlglot.parse(sql, read=SOURCE_DIALECT) if t is not None]
    out = []
    for tree in trees:
        if write in _SPARK_FAMILY:
            tree = _exact_percentiles(tree)
            tree = _guard_divisions(tree)
        if write == "bigquery":
            tree = _bigquery_window_nulls_last(tree)
        out.append(tree.sql(dialect=write, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE))
    return "\n;\n".join(out)


def _exact_percentiles(tree: exp.Expression) -> exp.Expression:
    """Keep ``percentile_cont(p) WITHIN GROUP (ORDER BY x)`` (sqlglot would emit PERCENTILE_APPROX on Spark)."""
    for wg in list(tree.find_all(exp.WithinGroup)):
        fn = wg.this
        if isinstance(fn, (exp.PercentileCont, exp.PercentileDisc)):
            name = "percentile_cont" if isinstance(fn, exp.PercentileCont) else "percentile_disc"
            wg.set("this", exp.Anonymous(this=name, expressions=[fn.this.copy()]))
    return tree


def _bigquery_window_nulls_last(tree: exp.Expression) -> exp.Expression:
    """BigQuery has no NULLS LAST inside a window's ORDER BY: ``ORDER BY x`` -> ``ORDER BY x IS NULL, x``.

    Ascending with NULLs last is DuckDB's order; BigQuery puts NULLs first on ASC. The extra key restores it.
    """
    for win in list(tree.find_all(exp.Window)):
        order = win.args.get("order")
        if order is None:
            continue
        keys = []
        for o in order.expressions:
            if isinstance(o, exp.Ordered) and not o.args.get("desc") and not o.args.get("nulls_first"):
                keys.append(exp.Ordered(this=exp.Is(this=o.this.copy(), expression=exp.Null()), nulls_first=True))
                keys.append(exp.Ordered(this=o.this.copy(), nulls_first=True))
            else:
                keys.append(o)
        order.set("expressions", keys)
    return tree


def _guard_divisions(tree: exp.Expression) -> exp.Expression:
    """``a / b`` -> ``a / NULLIF(b, 0)`` unless ``b`` is a non-zero literal or already a NULLIF (ANSI mode)."""
    for div in list(tree.find_all(exp.Div)):
        den = div.expression
        if isinstance(den, exp.Nullif):
            continue
        if isinstance(den, exp.Literal) and not den.is_string and float(den.this) != 0:
            continue
        div.set("expression", exp.Nullif(this=den.copy(), expression=exp.Literal.number(0)))
    return tree
