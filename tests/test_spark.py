"""Spark as an engine: list-parameter expansion (no Spark needed) and live parity with DuckDB (marker ``spark``).

The live part starts a Spark Connect server (``SparkConnectServer`` from the pyspark package, local[2], Java 17) on
a free loopback port, stores the sample snapshot in its catalog as tables (visible to every client session, as a
lakehouse's tables would be) and checks through ``analytics.db`` itself (``make_engine("sc://...")`` +
``query_df``, no patching) that each SELECT query file that takes only the dashboard's filter parameters returns
DuckDB's result (both sorted; floats within 1e-9) and that ``labelqa gate --db sc://... --format json`` (the
quality evaluation: every rule's value, interval, n and outcome) prints DuckDB's JSON. It skips locally without
Java/pyspark and fails instead when CI=true.
"""
from __future__ import annotations

import numpy as np
import pytest

from analytics.sources.spark import _param_names, expand_list_params
from sparkutil import (FILTER_KEYS, FILTER_QUERIES, assert_query_matches, assert_same_gate, build_reference,
                       empty_tables as _empty_tables, free_port, need_spark, parquet_dir, start_spark_server,
                       stop_server)


def test_expand_list_params():
    sql, args = expand_list_params("SELECT 1 FROM t WHERE g.label IN :true_labels AND x = :x",
                                   {"true_labels": ["a", "b"], "x": np.int64(3)})
    assert sql == "SELECT 1 FROM t WHERE g.label IN (:true_labels_0, :true_labels_1) AND x = :x"
    assert args == {"true_labels_0": "a", "true_labels_1": "b", "x": 3} and type(args["x"]) is int
    sql, args = expand_list_params("SELECT 1 WHERE label IN :labels", {"labels": []})
    assert sql == "SELECT 1 WHERE label IN (SELECT NULL WHERE FALSE)" and args == {}
    with pytest.raises(ValueError, match="list parameter 'xs' is not used as 'IN :xs'"):
        expand_list_params("SELECT :xs", {"xs": [1]})
    with pytest.raises(ValueError, match="cannot be bound on Spark"):
        expand_list_params("SELECT :o", {"o": object()})


def test_expanded_confusion_query_keeps_other_params():
    names = _param_names("confusion_by_group")
    assert "true_labels" in names and FILTER_KEYS <= names


@pytest.fixture(scope="module")
def engines(tmp_path_factory, missing_tool):
    """(DuckDB engine, Spark Connect engine from ``make_engine``, its URL, the DuckDB URL) over the same rows."""
    home = need_spark(missing_tool)
    from pyspark.sql import SparkSession

    from analytics.db import make_engine

    tmp = tmp_path_factory.mktemp("spark")
    duck, duck_url, tables = build_reference(tmp)
    port = free_port()
    server = start_spark_server(
        home, "org.apache.spark.sql.connect.service.SparkConnectServer",
        ["--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", f"spark.connect.grpc.binding.port={port}"],
        tmp, port, "connect-server.log")
    try:
        url = f"sc://127.0.0.1:{port}"
        loader = SparkSession.builder.remote(url).getOrCreate()
        for t in tables:  # catalog tables, shared by every session of the server (the CLI's included)
            loader.read.parquet(str(parquet_dir(tmp, t))).write.saveAsTable(t)
        spark = make_engine(url, read_only=True)
        yield duck, spark, url, duck_url
        spark.dispose()
        loader.stop()
    finally:
        stop_server(server)
        duck.dispose()


@pytest.fixture(scope="module")
def empty_tables(engines) -> set[str]:
    return _empty_tables(engines[0])


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("name", FILTER_QUERIES)
def test_query_matches_duckdb(engines, empty_tables, name):
    from analytics.sources.spark import SparkEngine

    duck, spark, _, _ = engines
    assert isinstance(spark, SparkEngine)
    assert_query_matches(duck, spark, name, empty_tables)


@pytest.mark.spark
@pytest.mark.slow
def test_gate_cli_on_spark_connect_prints_duckdb_json(engines, tmp_path):
    """``labelqa gate --db sc://host:port --project P --format json`` (a fresh process, its own Spark Connect
    session over the server's tables) prints DuckDB's JSON and exits with DuckDB's code."""
    _, _, sc_url, duck_url = engines
    assert_same_gate(duck_url, sc_url, tmp_path, "spark")
