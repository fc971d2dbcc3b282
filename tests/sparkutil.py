"""Test helpers of the live Spark tests (tests/test_spark.py: Spark Connect; tests/test_spark_thrift.py: a Spark
Thrift server through ``hive://``): the sample snapshot as a DuckDB reference plus its tables' Parquet export,
starting/stopping a Spark server from the pip pyspark package, and the comparison of a query's (or the gate's)
result on Spark with DuckDB's."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from analytics.filters import Filters
from analytics.sources.spark import _param_names

ROOT = Path(__file__).resolve().parent.parent
SNAP = ROOT / "sample_data" / "snapshot"
TABLES = {"annotations": "annotations.parquet", "items": "items.parquet", "gold_labels": "gold.parquet",
          "item_attributes": "item_attributes.parquet", "reviews": "reviews.parquet",
          "predictions": "predictions.parquet", "annotators": "annotators.csv", "batches": "batches.csv",
          "label_classes": "label_classes.csv", "model_metrics": "model_metrics.csv",
          "model_runs": "model_runs.csv", "projects": "projects.csv"}
FILTER_KEYS = set(Filters("x").params())
# Queries with no rows on the sample snapshot although their tables have rows (no label outside the taxonomy; its
# one project is a classification project). A query reading a table the snapshot leaves empty (model scores, other
# kinds' tables) may return no rows too.
EMPTY_ON_SNAPSHOT = {"gate_labels_outside_taxonomy", "preference_projects"}
# Spark's JVM for short-lived test servers on small data: the C1 compiler only and a serial GC cost far less CPU.
TEST_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
# Settings both test servers share (local[2] is passed as --master).
TEST_SPARK_CONF = {"spark.sql.adaptive.enabled": "false", "spark.ui.enabled": "false",
                   "spark.sql.session.timeZone": "UTC", "spark.sql.shuffle.partitions": "2"}


def tables_read(name: str) -> set[str]:
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
# The query files the live tests run: those whose parameters are all dashboard filters (+ project_id).
FILTER_QUERIES = [q for q in QUERIES if _param_names(q) <= FILTER_KEYS | {"project_id"}]


def frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def snapshot_project() -> str:
    return str(frame(SNAP / "projects.csv")["project_id"].iloc[0])


def free_port() -> int:
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def need_spark(missing_tool: Callable) -> Path:
    """The pyspark package folder (its ``bin/spark-submit`` and jars); skips locally / fails under CI=true when Java
    or pyspark are missing."""
    if shutil.which("java") is None:
        missing_tool("java", "scripts/test.sh must install openjdk-17-jre-headless")
    try:
        import pyspark
    except ImportError:
        missing_tool("pyspark", "it is in the test extra")
    return Path(pyspark.__file__).parent


def build_reference(tmp: Path):
    """The snapshot in a DuckDB file under ``tmp`` with the full schema (every table a query may read; the snapshot
    has no model scores, preference pairs, ...), and each table exported to ``tmp/parquet/<table>/data.parquet`` so
    Spark reads identical typed rows. Returns (read-write DuckDB engine, its URL, table names)."""
    from sqlalchemy import text

    from analytics.db import ensure_schema, make_engine

    path = tmp / "ref.duckdb"
    url = f"duckdb:///{path}"
    duck = make_engine(url)
    ensure_schema(duck)
    with duck.begin() as c:
        for t, f in TABLES.items():
            fn = "read_parquet" if f.endswith(".parquet") else "read_csv_auto"
            c.execute(text(f"INSERT INTO {t} BY NAME SELECT * FROM {fn}('{SNAP / f}')"))
        tables = [r[0] for r in c.execute(text("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"))]
        for t in tables:
            (tmp / "parquet" / t).mkdir(parents=True)
            c.execute(text(f"COPY {t} TO '{parquet_dir(tmp, t) / 'data.parquet'}' (FORMAT parquet)"))
    return duck, url, tables


def parquet_dir(tmp: Path, table: str) -> Path:
    return tmp / "parquet" / table


def empty_tables(duck) -> set[str]:
    from sqlalchemy import text

    with duck.connect() as c:
        names = [r[0] for r in c.execute(text("SELECT table_name FROM information_schema.tables "
                                              "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"))]
        return {t for t in names if c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() == 0}


def start_spark_server(home: Path, main_class: str, args: Sequence[str], tmp: Path, port: int, log_name: str,
                       timeout: float = 180) -> subprocess.Popen:
    """``spark-submit --class main_class`` (local[2], 1 GB driver, :data:`TEST_SPARK_CONF`) with its working
    directory, warehouse and Derby metastore under ``tmp``; returns once ``port`` on 127.0.0.1 accepts connections
    (fails the test with the log's tail if the server exits or does not listen within ``timeout`` s)."""
    conf = dict(TEST_SPARK_CONF, **{"spark.sql.warehouse.dir": str(tmp / "warehouse")})
    cmd = [str(home / "bin" / "spark-submit"), "--class", main_class, "--master", "local[2]",
           "--driver-memory", "1g", "--name", "labelqa-test",
           "--driver-java-options", f"{TEST_JAVA_OPTIONS} -Dderby.system.home={tmp}"]
    for k, v in conf.items():
        cmd += ["--conf", f"{k}={v}"]
    log_path = tmp / log_name
    with open(log_path, "wb") as log:
        server = subprocess.Popen(cmd + list(args), stdout=log, stderr=subprocess.STDOUT, cwd=tmp,
                                  start_new_session=True,
                                  env=dict(os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1"))
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            pytest.fail(f"{main_class} exited ({server.returncode}): {log_path.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline:
                stop_server(server)
                pytest.fail(f"{main_class} did not listen on port {port} within {timeout:.0f} s: "
                            f"{log_path.read_text()[-2000:]}")
            time.sleep(0.5)


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM the server started by :func:`start_spark_server` (by its PID), SIGKILL after 30 s."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)


def norm(df: pd.DataFrame) -> pd.DataFrame:
    """A frame in a comparable form: datetimes as text, numbers and booleans as float, the rest as text (first 19
    characters: a date or timestamp that comes back as a string compares with one that comes back typed), rows
    sorted by every column (NULLs last)."""
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


def assert_query_matches(duck, other, name: str, empty: set[str]) -> None:
    """Query file ``name`` with the snapshot project's default filters returns the same rows on engine ``other``
    as on DuckDB (both sorted; floats within 1e-9); a query with no rows must have a reason to have none."""
    from analytics.db import query_df

    params = {k: v for k, v in Filters(snapshot_project()).params().items() if k in _param_names(name)}
    want = norm(query_df(duck, name, **params))
    got = norm(query_df(other, name, **params))
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    assert len(want) > 0 or name in EMPTY_ON_SNAPSHOT or tables_read(name) & empty, \
        f"{name} returns no rows on the snapshot: compares nothing"
    for c in want.columns:
        if want[c].dtype == float:
            np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=1e-9, atol=1e-9,
                                       equal_nan=True, err_msg=f"{name}.{c}")
        else:
            assert got[c].tolist() == want[c].tolist(), f"{name}.{c}"


def same_checks(got, want) -> None:
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


def gate_json(url: str, cwd: Path, label: str) -> tuple[int, dict, float]:
    """``labelqa gate --db url --project <snapshot project> --format json`` in a fresh process: (exit code, JSON,
    seconds)."""
    cli = Path(sys.executable).parent / "labelqa"
    t0 = time.perf_counter()
    proc = subprocess.run([str(cli), "gate", "--db", url, "--project", snapshot_project(), "--format", "json"],
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    secs = time.perf_counter() - t0
    print(f"labelqa gate on {label}: {secs:.1f} s, exit {proc.returncode}")
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    return proc.returncode, json.loads(proc.stdout), secs


def assert_same_gate(duck_url: str, other_url: str, cwd: Path, label: str) -> dict[str, float]:
    """The gate on ``other_url`` prints DuckDB's JSON (``generated_at`` aside; check values within 1e-9) and exits
    with DuckDB's code. Returns the seconds each run took."""
    dcode, want, dsecs = gate_json(duck_url, cwd, "duckdb")
    ocode, got, osecs = gate_json(other_url, cwd, label)
    assert ocode == dcode
    for d in (want, got):
        d.pop("generated_at")
    checks_w, checks_g = want.pop("checks"), got.pop("checks")
    assert got == want
    same_checks(checks_g, checks_w)
    return {"duckdb": dsecs, label: osecs}
