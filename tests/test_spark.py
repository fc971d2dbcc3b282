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

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.sources.spark import _param_names, expand_list_params

ROOT = Path(__file__).resolve().parent.parent
SNAP = ROOT / "sample_data" / "snapshot"
TABLES = {"annotations": "annotations.parquet", "items": "items.parquet", "gold_labels": "gold.parquet",
          "item_attributes": "item_attributes.parquet", "reviews": "reviews.parquet",
          "predictions": "predictions.parquet", "annotators": "annotators.csv", "batches": "batches.csv",
          "label_classes": "label_classes.csv", "model_metrics": "model_metrics.csv",
          "model_runs": "model_runs.csv", "projects": "projects.csv"}
FILTER_KEYS = set(Filters("x").params())
# Queries with no rows on the sample snapshot although their tables have rows (no label outside the taxonomy).
# A query reading a table the snapshot leaves empty (model scores, other kinds' tables) may return no rows too.
EMPTY_ON_SNAPSHOT = {"gate_labels_outside_taxonomy"}


def _tables_read(name: str) -> set[str]:
    """Tables (not CTEs) the canonical text of query ``name`` reads."""
    import sqlglot
    from sqlglot import exp

    from analytics.db import sql_text

    tree = sqlglot.parse_one(sql_text(name), read="duckdb")
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table)} - ctes


def _is_select(name: str) -> bool:
    try:
        _param_names(name)
    except ValueError:  # INSERT/DDL files (ingest history, schema): never run on Spark
        return False
    return True


# history_*: ingest's own bookkeeping (ingest_log), read by labelqa load on the writable database, not analytics.
QUERIES = sorted(p.stem for p in (ROOT / "sql").glob("*.sql")
                 if not p.stem.startswith(("_", "history_")) and p.stem not in ("schema", "indexes")
                 and _is_select(p.stem))


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


def _frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def _free_port() -> int:
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


@pytest.fixture(scope="module")
def engines(tmp_path_factory, missing_tool):
    """(DuckDB engine, Spark Connect engine from ``make_engine``, its URL, the DuckDB URL) over the same rows."""
    if shutil.which("java") is None:
        missing_tool("java", "scripts/test.sh must install openjdk-17-jre-headless")
    try:
        import pyspark
        from pyspark.sql import SparkSession
    except ImportError:
        missing_tool("pyspark", "it is in the test extra")
    from sqlalchemy import text

    from analytics.db import ensure_schema, make_engine

    tmp = tmp_path_factory.mktemp("spark")
    path = tmp / "ref.duckdb"
    duck = make_engine(f"duckdb:///{path}")
    ensure_schema(duck)  # every table a query may read (the snapshot has no model scores, preference pairs, ...)
    with duck.begin() as c:
        for t, f in TABLES.items():
            fn = "read_parquet" if f.endswith(".parquet") else "read_csv_auto"
            c.execute(text(f"INSERT INTO {t} BY NAME SELECT * FROM {fn}('{SNAP / f}')"))
        tables = [r[0] for r in c.execute(text("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"))]
        for t in tables:  # identical typed rows on both sides: Spark reads the DuckDB tables' Parquet export
            c.execute(text(f"COPY {t} TO '{tmp / t}.parquet' (FORMAT parquet)"))
    port = _free_port()
    home = Path(pyspark.__file__).parent
    log = open(tmp / "connect-server.log", "wb")
    server = subprocess.Popen(
        [str(home / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
         "--master", "local[2]", "--driver-memory", "1g", "--name", "labelqa-test",
         # short-lived JVM on small data: the C1 compiler only and a serial GC cost far less CPU than full JIT
         "--driver-java-options", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
         "--conf", "spark.sql.adaptive.enabled=false",
         "--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", f"spark.connect.grpc.binding.port={port}",
         "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.session.timeZone=UTC",
         "--conf", "spark.sql.shuffle.partitions=2", "--conf", f"spark.sql.warehouse.dir={tmp / 'warehouse'}"],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp, start_new_session=True,
        env=dict(os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1"))
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                pytest.fail(f"Spark Connect server exited ({server.returncode}): {(tmp / 'connect-server.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("Spark Connect server did not listen within 180 s")
                time.sleep(0.5)
        url = f"sc://127.0.0.1:{port}"
        loader = SparkSession.builder.remote(url).getOrCreate()
        for t in tables:  # catalog tables, shared by every session of the server (the CLI's included)
            loader.read.parquet(str(tmp / f"{t}.parquet")).write.saveAsTable(t)
        spark = make_engine(url, read_only=True)
        yield duck, spark, url, f"duckdb:///{path}"
        spark.dispose()
        loader.stop()
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()
        duck.dispose()


@pytest.fixture(scope="module")
def empty_tables(engines) -> set[str]:
    from sqlalchemy import text

    with engines[0].connect() as c:
        names = [r[0] for r in c.execute(text("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"))]
        return {t for t in names if c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() == 0}


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            df[c] = pd.to_datetime(s).dt.tz_localize(None).astype("datetime64[us]").astype(str)
        elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            df[c] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            df[c] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)[:19])
    return df.sort_values(list(df.columns), na_position="last", kind="stable").reset_index(drop=True)


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.parametrize("name", [q for q in QUERIES if _param_names(q) <= FILTER_KEYS | {"project_id"}])
def test_query_matches_duckdb(engines, empty_tables, name):
    from analytics.db import query_df
    from analytics.sources.spark import SparkEngine

    duck, spark, _, _ = engines
    assert isinstance(spark, SparkEngine)
    pid = str(_frame(SNAP / "projects.csv")["project_id"].iloc[0])
    params = {k: v for k, v in Filters(pid).params().items() if k in _param_names(name)}
    want = _norm(query_df(duck, name, **params))
    got = _norm(query_df(spark, name, **params))
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    assert len(want) > 0 or name in EMPTY_ON_SNAPSHOT or _tables_read(name) & empty_tables, \
        f"{name} returns no rows on the snapshot: compares nothing"
    for c in want.columns:
        if want[c].dtype == float:
            np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=1e-9, atol=1e-9,
                                       equal_nan=True, err_msg=f"{name}.{c}")
        else:
            assert got[c].tolist() == want[c].tolist(), f"{name}.{c}"


def _same_checks(got, want) -> None:
    assert len(want) > 0
    key = lambda c: (c["rule"], c["scope"], c["status"], c["outcome"], c["n"], c["tier"])  # noqa: E731
    assert [key(c) for c in got] == [key(c) for c in want]
    for a, b in zip(got, want):
        assert a.keys() == b.keys()
        for f in a:
            x, y = a[f], b[f]
            if isinstance(y, float) and isinstance(x, (int, float)):
                assert x == pytest.approx(y, rel=1e-9, abs=1e-12), (a["rule"], a["scope"], f)
            else:
                assert x == y, (a["rule"], a["scope"], f)


@pytest.mark.spark
@pytest.mark.slow
def test_gate_cli_on_spark_connect_prints_duckdb_json(engines, tmp_path):
    """``labelqa gate --db sc://host:port --project P --format json`` (a fresh process, its own Spark Connect
    session over the server's tables) prints DuckDB's JSON and exits with DuckDB's code."""
    _, _, sc_url, duck_url = engines
    pid = str(_frame(SNAP / "projects.csv")["project_id"].iloc[0])
    cli = Path(sys.executable).parent / "labelqa"
    out = {}
    for which, url in (("duckdb", duck_url), ("spark", sc_url)):
        t0 = time.perf_counter()
        proc = subprocess.run([str(cli), "gate", "--db", url, "--project", pid, "--format", "json"],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)
        print(f"labelqa gate on {which}: {time.perf_counter() - t0:.1f} s, exit {proc.returncode}")
        assert proc.returncode in (0, 1), proc.stderr[-3000:]
        out[which] = (proc.returncode, json.loads(proc.stdout))
    (dcode, want), (scode, got) = out["duckdb"], out["spark"]
    assert scode == dcode
    for d in (want, got):
        d.pop("generated_at")
    checks_w, checks_g = want.pop("checks"), got.pop("checks")
    assert got == want
    _same_checks(checks_g, checks_w)
