"""Apache Spark as a query engine: the files in ``sql/`` run on a Spark session through Spark Connect.

``--db sc://host:15002`` (``analytics.db.make_engine``) gives a :class:`SparkEngine`, and ``analytics.db.query_df``
hands it to :func:`query_df` here, which runs query ``name`` with
``session.sql(text, args=...)`` on the Spark translation from :mod:`analytics.sources.dialects`. Spark binds only
scalar named parameters, so a list parameter used as ``IN :xs`` is expanded into ``IN (:xs_0, :xs_1, ...)`` first
(an empty list becomes an empty subquery, so ``IN`` is false as with SQLAlchemy's expanding binds).
Read-only: only single SELECT statements run; nothing is created on the server.

``databricks://`` and ``hive://`` URLs stay SQLAlchemy engines; ``analytics.db.query_df`` gives them the same
translated text (Databricks' or Spark's) with list parameters expanded by :func:`expand_list_params`. Such an
engine made read-only runs :func:`refuse_writes` before every statement: neither a Spark Thrift server nor a
Databricks SQL warehouse has a per-session read-only switch, so the client refuses anything that is not a single
SELECT (or DESCRIBE/SHOW, used by SQLAlchemy's table checks); the server-side guarantee is a SELECT-only principal.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any, Mapping

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from analytics.sources.dialects import query_text

__all__ = ["SparkEngine", "connect_spark", "expand_list_params", "is_spark_url", "query_df", "read_only_statement",
           "refuse_writes"]


def is_spark_url(url: str) -> bool:
    return url.startswith("sc://")


class SparkEngine:
    """A handle on a Spark session that :func:`query_df` runs query files on (engine-like: ``connect``, ``url``)."""

    dialect_name = "spark"

    def __init__(self, session: Any, url: str = "spark://local", owned: bool = False) -> None:
        self.session = session
        self.url = url
        self.owned = owned

    def connect(self) -> "SparkEngine":
        return self

    def __enter__(self) -> "SparkEngine":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def dispose(self) -> None:
        """Stop the Spark Connect session :func:`connect_spark` opened (the server releases it); a session passed in
        belongs to whoever created it and stays open."""
        if self.owned:
            self.session.stop()
            self.owned = False


def connect_spark(url: str) -> SparkEngine:
    """A :class:`SparkEngine` on the Spark Connect server at ``url`` (``sc://host:15002``)."""
    if not is_spark_url(url):
        raise ValueError(f"not a Spark Connect URL (sc://host:port): {url!r}")
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ValueError("Spark Connect needs pyspark: pip install 'labelqa[spark]'") from e
    return SparkEngine(SparkSession.builder.remote(url).getOrCreate(), url, owned=True)


@lru_cache(maxsize=None)
def _param_names(name: str) -> frozenset[str]:
    tree = sqlglot.parse_one(query_text(name, "spark"), read="spark")
    if not isinstance(tree, exp.Query):
        raise ValueError(f"query {name!r} is not a SELECT; LabelQA runs read-only on Spark")
    return frozenset(p.name for p in tree.find_all(exp.Placeholder))


def _scalar(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if v is not None and not isinstance(v, (str, int, float, bool, dt.date, dt.datetime)):
        raise ValueError(f"parameter value {v!r} of type {type(v).__name__} cannot be bound on Spark")
    return v


def expand_list_params(sql: str, params: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Rewrite ``IN :xs`` for each list parameter ``xs`` into ``IN (:xs_0, ...)``; return (text, scalar params)."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, (list, tuple, set, frozenset)):
            vals = sorted(v) if isinstance(v, (set, frozenset)) else list(v)
            pat = re.compile(rf"\bIN\s*(?:\(\s*:{k}\s*\)|:{k})(?!\w)", re.IGNORECASE)
            if not pat.search(sql):
                raise ValueError(f"list parameter {k!r} is not used as 'IN :{k}' in the query")
            if vals:
                names = [f"{k}_{i}" for i in range(len(vals))]
                sql = pat.sub("IN (" + ", ".join(":" + n for n in names) + ")", sql)
                out.update({n: _scalar(x) for n, x in zip(names, vals)})
            else:
                sql = pat.sub("IN (SELECT NULL WHERE FALSE)", sql)
        else:
            out[k] = _scalar(v)
    return sql, out


_WRITES = (exp.Insert, exp.Create, exp.Drop, exp.Delete, exp.Update, exp.Merge, exp.Alter, exp.Command, exp.Cache,
           exp.Set, exp.Use, exp.TruncateTable)


def read_only_statement(sql: str) -> bool:
    """Whether ``sql`` (Spark SQL; ``:name`` or DB-API ``%(name)s`` placeholders) is one read-only statement: a
    query with no write inside, ``DESCRIBE ...`` or ``SHOW ...``."""
    probe = re.sub(r"%\(\w+\)s", "NULL", sql).replace("%%", "%")
    body = "\n".join(l for l in probe.splitlines() if not l.strip().startswith("--")).strip().rstrip(";").strip()
    if re.match(r"SHOW\s", body, re.IGNORECASE):
        return ";" not in body
    try:
        trees = [t for t in sqlglot.parse(body, read="spark") if t is not None]
    except sqlglot.errors.SqlglotError:
        return False
    if len(trees) != 1:
        return False
    tree = trees[0]
    if isinstance(tree, exp.Describe):
        return True
    return isinstance(tree, exp.Query) and not any(isinstance(n, _WRITES) for n in tree.walk())


def refuse_writes(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
    """SQLAlchemy ``before_cursor_execute`` hook of a read-only ``hive://``/``databricks://`` engine."""
    if not read_only_statement(statement):
        raise PermissionError("read-only connection: LabelQA runs only single SELECT statements on this database; "
                              f"refused: {statement.strip()[:80]!r}")


def query_df(engine: SparkEngine, name: str, **params: Any) -> pd.DataFrame:
    """Run query ``name`` on Spark with bound ``params`` (the same contract as ``analytics.db.query_df``)."""
    used = _param_names(name)
    missing = sorted(used - {k for k in params} - {f"{k}_" for k in params})
    lists = {k for k, v in params.items() if isinstance(v, (list, tuple, set, frozenset))}
    missing = [m for m in missing if m not in lists]
    if missing:
        raise ValueError(f"query {name!r} needs parameters {', '.join(missing)}")
    sql, args = expand_list_params(query_text(name, "spark"), {k: v for k, v in params.items() if k in used})
    return engine.session.sql(sql, args=args).toPandas()
