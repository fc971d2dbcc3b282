"""A Spark Thrift server (HiveServer2 protocol) through SQLAlchemy: ``--db hive://host:port/database`` (PyHive).

The live part (marker ``spark``) starts ``HiveThriftServer2`` from the pip pyspark package (local[2], Java 17) on a
free loopback port, registers the sample snapshot's tables in its metastore as Parquet tables (``CREATE TABLE ...
USING parquet LOCATION``: every Thrift session sees them, as a lakehouse's tables), and checks through
``analytics.db`` itself (``make_engine("hive://...", read_only=True)`` + ``query_df``: Spark's translated text,
list parameters expanded, values bound by the driver) that each query file the Spark Connect test runs returns
DuckDB's result, that list and awkward string parameters work, that ``labelqa gate --db hive://... --format json``
prints DuckDB's JSON, and that the read-only engine refuses writes. It skips locally without Java/pyspark/PyHive
and fails instead when CI=true. The server is started once per session and stopped at its end.
"""
from __future__ import annotations

import pytest

from analytics.sources.spark import read_only_statement
from sparkutil import (FILTER_QUERIES, assert_query_matches, assert_same_gate, build_reference, empty_tables,
                       free_port, need_spark, parquet_dir, snapshot_project, start_spark_server, stop_server)


@pytest.fixture(scope="session")
def thrift(tmp_path_factory, missing_tool):
    """(DuckDB reference engine, read-only ``hive://`` engine, its URL, the DuckDB URL, empty tables)."""
    home = need_spark(missing_tool)
    try:
        import pyhive.hive  # noqa: F401 - the DB-API driver behind SQLAlchemy's hive:// dialect
    except ImportError:
        missing_tool("PyHive", "pyhive[hive_pure_sasl] is in the test extra")
    from sqlalchemy import text

    from analytics.db import make_engine

    tmp = tmp_path_factory.mktemp("thrift")
    duck, duck_url, tables = build_reference(tmp)
    port = free_port()
    server = start_spark_server(
        home, "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        ["--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1", "--hiveconf", f"hive.server2.thrift.port={port}"],
        tmp, port, "thrift-server.log")
    try:
        url = f"hive://127.0.0.1:{port}/default"
        loader = make_engine(url)  # writable: only the fixture registers the tables
        with loader.connect() as c:
            for t in tables:  # external Parquet tables in the server's metastore (no copy of the data)
                c.execute(text(f"CREATE TABLE {t} USING parquet LOCATION '{parquet_dir(tmp, t)}'"))
        loader.dispose()
        hive = make_engine(url, read_only=True)
        yield duck, hive, url, duck_url, empty_tables(duck)
        hive.dispose()
    finally:
        stop_server(server)
        duck.dispose()


def test_read_only_statement():
    for ok in ("SELECT 1", "WITH a AS (SELECT 1 AS x) SELECT x FROM a", "DESCRIBE annotations", "SHOW TABLES",
               "-- a comment\nSELECT %(x)s AS a, '5%%' AS p", "SELECT :x"):
        assert read_only_statement(ok), ok
    for bad in ("SELECT 1; DROP TABLE annotations", "INSERT INTO t SELECT 1", "CREATE TABLE t (a INT)",
                "DROP TABLE annotations", "SET spark.sql.ansi.enabled=false", "CACHE TABLE x AS SELECT 1",
                "SHOW TABLES; DROP TABLE t", "WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "USE other",
                "not sql at all ((("):
        assert not read_only_statement(bad), bad


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("name", FILTER_QUERIES)
def test_query_matches_duckdb(thrift, name):
    duck, hive, _, _, empty = thrift
    assert hive.dialect.name == "hive"
    assert_query_matches(duck, hive, name, empty)


@pytest.mark.spark
@pytest.mark.slow
def test_list_and_quoted_parameters_match_duckdb(thrift):
    """A list parameter (``IN :true_labels``, expanded to one bind each; also empty) and string values with a quote,
    a backslash and a newline bind safely and give DuckDB's rows."""
    import numpy as np

    from analytics.db import query_df
    from analytics.filters import Filters
    from sparkutil import SNAP, frame, norm

    duck, hive, _, _, _ = thrift
    base = dict(Filters(snapshot_project()).params(), by="team", attr_key=None)
    gold = sorted(frame(SNAP / "gold.parquet")["label"].value_counts().index[:2])
    cases = [dict(base, true_labels=gold + ["it's \\ a\nlabel"]),
             dict(base, team="o'brien \\' OR 1=1 --", true_labels=gold)]
    for params in cases:
        want, got = norm(query_df(duck, "confusion_by_group", **params)), norm(query_df(hive, "confusion_by_group", **params))
        assert list(got.columns) == list(want.columns) and len(got) == len(want), params
        np.testing.assert_array_equal(got["n"].to_numpy(), want["n"].to_numpy())
        assert got.drop(columns="n").values.tolist() == want.drop(columns="n").values.tolist()
    assert len(norm(query_df(duck, "confusion_by_group", **cases[0]))) > 0, "the list case compares no rows"
    # An empty list is an empty IN (SELECT NULL WHERE FALSE) on Spark: no rows, no error. (DuckDB itself cannot
    # bind SQLAlchemy's empty expanding list against a VARCHAR column, so there is nothing to compare with.)
    empty = query_df(hive, "confusion_by_group", **base, true_labels=[])
    assert empty.empty and list(empty.columns) == ["gold_label", "label", "grp", "grp2", "n"]


@pytest.mark.spark
@pytest.mark.slow
def test_read_only_engine_refuses_writes(thrift):
    from sqlalchemy import text

    _, hive, _, _, _ = thrift
    with hive.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM annotations")).scalar_one() > 0
        for sql in ("CREATE TABLE labelqa_probe (a INT)", "DROP TABLE annotations",
                    "SELECT 1; DROP TABLE annotations", "INSERT INTO projects SELECT * FROM projects"):
            with pytest.raises(PermissionError, match="read-only connection"):
                c.execute(text(sql))
        assert "labelqa_probe" not in [r[1] for r in c.execute(text("SHOW TABLES"))]
        assert c.execute(text("SELECT COUNT(*) FROM annotations")).scalar_one() > 0


@pytest.mark.spark
@pytest.mark.slow
def test_gate_cli_on_hive_prints_duckdb_json(thrift, tmp_path):
    """``labelqa gate --db hive://127.0.0.1:PORT/default --project P --format json`` (a fresh process, its own
    Thrift sessions) prints DuckDB's JSON and exits with DuckDB's code."""
    _, _, url, duck_url, _ = thrift
    assert_same_gate(duck_url, url, tmp_path, "hive")
