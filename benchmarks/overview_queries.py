"""The overview page's queries on a bigger demo, and what denormalising ``project_id``/``split`` onto the
annotations would save (issue 11). Measured, not landed: the schema, ingest and demo belong to other modules.

    .venv/bin/python benchmarks/overview_queries.py                       # 1M-annotation demo in a temp dir
    .venv/bin/python benchmarks/overview_queries.py --db /path/demo.duckdb # an existing demo database (read-only)
    .venv/bin/python benchmarks/overview_queries.py --annotations 200000 --repeat 5

What runs: the overview page's data calls for the newest week of ``streetscene`` (``analytics.quality.evaluate``
of that week, as the KPI badges and alerts do; weekly accuracy, Krippendorff's alpha by week, weekly volume and the
QA rate over the whole project) are run once with every ``query_df`` call recorded (query name + parameters).
Then each recorded call is timed (best of ``--repeat``) three ways on the same database, in the same run:

* ``canonical``: the query file as it ships (``fa`` joins annotations to items for ``project_id``/``split``);
* ``denorm``: the same text with the ``fa`` CTE reading ``bench_annotations_dn`` (the annotations with
  ``project_id`` and ``split`` copied from items, in the annotations' own order), so the items join disappears;
* ``denorm_sorted``: the same, with that table stored sorted by ``project_id, created_at`` (DuckDB's zone maps
  then skip other projects' row groups).

The two variant tables are built in a copy of the database (never the one passed with ``--db``). Every variant's
result must equal the canonical result exactly (same rows, same values, after sorting) before a time is printed;
a difference is reported as ANSWER DIFFERS and the run exits 1. Only the query text's ``fa`` block changes, and it
is static project text: every value stays a bound parameter. Output: a markdown table with the ratios
``denorm / canonical`` per query and in total. ``--spark`` adds the same calls on a local[2] Spark session
(Spark / DuckDB). Results of a run are in benchmarks/overview_queries.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROJECT = "streetscene"
_DN_TABLES = {"denorm": "bench_annotations_dn", "denorm_sorted": "bench_annotations_dn_sorted"}


def _variant_fa(table: str) -> str:
    """The ``fa`` CTE over a denormalised annotations table: the canonical body without the items join."""
    from analytics.db import sql_text

    fa = sql_text("_filtered_annotations")
    out = (fa.replace("i.split, i.project_id, an.team", "a.split, a.project_id, an.team")
             .replace("FROM annotations a\n    JOIN items i ON i.item_id = a.item_id\n", f"FROM {table} a\n")
             .replace("WHERE i.project_id = :project_id", "WHERE a.project_id = :project_id")
             .replace("i.split = CAST(:split AS VARCHAR)", "a.split = CAST(:split AS VARCHAR)"))
    if out == fa or " i." in out:
        raise RuntimeError("sql/_filtered_annotations.sql changed: update benchmarks/overview_queries.py")
    return out


def record_overview_calls(engine) -> list[tuple[str, dict]]:
    """Run the overview's analytics calls once and return every (query name, params) they made, in order."""
    import analytics.db as db
    from analytics.activity import qa_rate_from_db
    from analytics.drift import weekly_accuracy_from_db
    from analytics.filters import Filters
    from analytics.quality import ScopeRequest, evaluate
    from analytics.sources.agreement_db import agreement_from_db

    calls: list[tuple[str, dict]] = []
    orig = db.query_df

    def recording(con, name, **params):
        calls.append((name, dict(params)))
        return orig(con, name, **params)

    patched = []
    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("analytics") and getattr(mod, "query_df", None) is orig:
            patched.append(mod)
            mod.query_df = recording
    try:
        with engine.connect() as c:
            last = pd.Timestamp(c.execute(text(
                "SELECT MAX(a.created_at) FROM annotations a JOIN items i ON i.item_id = a.item_id "
                "WHERE i.project_id = :p"), {"p": PROJECT}).scalar_one())
        monday = (last.normalize() - pd.Timedelta(days=last.weekday())).date()
        whole = Filters(PROJECT)
        evaluate(engine, PROJECT, ScopeRequest(since=monday, until=monday + dt.timedelta(days=6)))
        weekly_accuracy_from_db(engine, whole)
        agreement_from_db(engine, whole, "krippendorff", by="week")
        db.query_df(engine, "ui_weekly_volume", **whole.params())
        qa_rate_from_db(engine, whole)
    finally:
        for mod in patched:
            mod.query_df = orig
    return calls


def _run(con, sql: str, params: dict) -> pd.DataFrame:
    stmt = text(sql)
    lists = [k for k, v in params.items() if isinstance(v, (list, tuple, set, frozenset))]
    if lists:
        stmt = stmt.bindparams(*[bindparam(k, expanding=True) for k in lists])
    clean = {k: (list(v) if k in lists else v) for k, v in params.items()}
    return pd.read_sql(stmt, con, params=clean)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns), kind="stable", na_position="last").reset_index(drop=True)


def _difference(got: pd.DataFrame, want: pd.DataFrame, rtol: float = 1e-12) -> str | None:
    """None when equal: same columns and rows, integers/strings/dates exactly, floating-point columns to 1e-12
    relative (DuckDB's parallel float sums differ in the last digit between runs of the same query)."""
    if list(got.columns) != list(want.columns) or len(got) != len(want):
        return f"shape {got.shape} vs {want.shape}"
    g, w = _sorted(got), _sorted(want)
    for c in w.columns:
        if pd.api.types.is_float_dtype(w[c]):
            a, b = g[c].to_numpy(float), w[c].to_numpy(float)
            same = np.isclose(a, b, rtol=rtol, atol=0, equal_nan=True)
        else:
            same = (g[c].astype(object).where(g[c].notna(), None).to_numpy()
                    == w[c].astype(object).where(w[c].notna(), None).to_numpy())
        if not bool(np.all(same)):
            return f"column {c}"
    return None


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Engine-neutral column types (Spark returns int32 counts, date objects, ...): numbers as float, times and
    dates as ISO text, the rest as text (missing stays missing)."""
    df = df.copy()
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            df[c] = pd.to_datetime(s).dt.tz_localize(None).astype("datetime64[us]").astype(str).str[:19]
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            df[c] = pd.to_numeric(s, errors="coerce").astype(float)
        else:
            df[c] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)[:19])
    return df


def _best(fn, repeat: int) -> tuple[float, pd.DataFrame]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _spark_times(path: Path, tmp: Path, calls, repeat: int) -> list[tuple[float, str | None]]:
    """(best time, difference or None) of each call on local Spark over a Parquet export of the same tables."""
    from pyspark.sql import SparkSession

    from analytics.db import make_engine, query_df
    from analytics.sources.spark import SparkEngine

    duck = make_engine(f"duckdb:///{path}", read_only=True)
    export = make_engine(f"duckdb:///{tmp / 'export.duckdb'}")
    spark = (SparkSession.builder.master("local[2]").config("spark.driver.memory", "2g")
             .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", "4").getOrCreate())
    try:
        with export.begin() as c:
            c.execute(text(f"ATTACH '{path}' AS src (READ_ONLY)"))
            names = [r[0] for r in c.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src' "
                "AND table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'bench_%'"))]
            for t in names:
                c.execute(text(f"COPY src.main.{t} TO '{tmp / t}.parquet' (FORMAT parquet)"))
        for t in names:
            spark.read.parquet(str(tmp / f"{t}.parquet")).createOrReplaceTempView(t)
        eng = SparkEngine(spark)
        out = []
        for name, params in calls:
            want = query_df(duck, name, **params)
            t_s, got = _best(lambda: query_df(eng, name, **params), repeat)
            out.append((t_s, _difference(_normalise(got), _normalise(want), rtol=1e-9)))
        return out
    finally:
        spark.stop()
        duck.dispose()
        export.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", help="an existing demo DuckDB file (copied; the original is not touched)")
    ap.add_argument("--annotations", type=int, default=1_000_000, help="demo size when --db is not given")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per query and variant")
    ap.add_argument("--spark", action="store_true",
                    help="also time every recorded call on a local[2] Spark session (needs Java 17 + pyspark)")
    args = ap.parse_args(argv)

    from analytics.db import make_engine, sql_text
    from analytics.io.demo import build_demo

    tmp = Path(tempfile.mkdtemp(prefix="labelqa-bench-"))
    try:
        path = tmp / "bench.duckdb"
        t0 = time.perf_counter()
        if args.db:
            shutil.copyfile(args.db, path)
            what = f"copy of {args.db}"
        else:
            build_demo(f"duckdb:///{path}", annotations=args.annotations, progress=lambda *_: None)
            what = f"{args.annotations:,}-annotation demo"
        engine = make_engine(f"duckdb:///{path}")
        with engine.begin() as c:
            n_ann = int(c.execute(text("SELECT COUNT(*) FROM annotations")).scalar_one())
            c.execute(text(f"CREATE TABLE {_DN_TABLES['denorm']} AS SELECT a.*, i.project_id, i.split "
                           "FROM annotations a JOIN items i ON i.item_id = a.item_id ORDER BY a.annotation_id"))
            c.execute(text(f"CREATE TABLE {_DN_TABLES['denorm_sorted']} AS SELECT * FROM {_DN_TABLES['denorm']} "
                           "ORDER BY project_id, created_at"))
        print(f"database: {what}, {n_ann:,} annotations, ready in {time.perf_counter() - t0:.1f} s")
        engine.dispose()
        engine = make_engine(f"duckdb:///{path}", read_only=True)

        calls = record_overview_calls(engine)
        fa = sql_text("_filtered_annotations")
        variants = {k: _variant_fa(t) for k, t in _DN_TABLES.items()}
        rows, bad = [], 0
        totals = {"canonical": 0.0, **{k: 0.0 for k in variants}}
        with engine.connect() as con:
            for name, params in calls:
                sql = sql_text(name)
                t_can, want = _best(lambda: _run(con, sql, params), args.repeat)
                totals["canonical"] += t_can
                row = {"query": name, "canonical": t_can}
                for key, body in variants.items():
                    if fa not in sql:
                        row[key] = None
                        totals[key] += t_can  # unchanged query: same text, same cost
                        continue
                    vsql = sql.replace(fa, body)
                    t_v, got = _best(lambda: _run(con, vsql, params), args.repeat)
                    diff = _difference(got, want)
                    if diff:
                        bad += 1
                        row[key] = f"ANSWER DIFFERS ({diff})"
                        continue
                    row[key] = t_v
                    totals[key] += t_v
                rows.append(row)
        spark_rows = _spark_times(path, tmp, calls, args.repeat) if args.spark else None
        engine.dispose()

        def cell(v, base):
            if v is None:
                return "(no fa)"
            if isinstance(v, str):
                return v
            return f"{v * 1000:.0f} ms ({v / base:.2f}x)"

        print(f"\nOverview queries (newest week's evaluation + 26-week trends), best of {args.repeat}, "
              f"{len(calls)} calls; ratio = variant / canonical in this run\n")
        print("| query | canonical | denorm (no items join) | denorm + sorted by project, time |")
        print("|---|---|---|---|")
        for r in rows:
            print(f"| {r['query']} | {r['canonical'] * 1000:.0f} ms | {cell(r['denorm'], r['canonical'])} | "
                  f"{cell(r['denorm_sorted'], r['canonical'])} |")
        base = totals["canonical"]
        print(f"| **total** | {base:.2f} s | {totals['denorm']:.2f} s ({totals['denorm'] / base:.2f}x) | "
              f"{totals['denorm_sorted']:.2f} s ({totals['denorm_sorted'] / base:.2f}x) |")
        if spark_rows is not None:
            print("\nThe same calls on a local[2] Spark session (analytics.db.query_df on a SparkEngine: the Spark "
                  "translation, bound parameters); ratio = Spark / DuckDB canonical\n")
            print("| query | DuckDB | Spark local[2] |")
            print("|---|---|---|")
            t_d = t_s = 0.0
            for r, (t_spark, diff) in zip(rows, spark_rows):
                t_d += r["canonical"]
                if diff:
                    bad += 1
                    print(f"| {r['query']} | {r['canonical'] * 1000:.0f} ms | ANSWER DIFFERS ({diff}) |")
                    continue
                t_s += t_spark
                print(f"| {r['query']} | {r['canonical'] * 1000:.0f} ms | {t_spark * 1000:.0f} ms "
                      f"({t_spark / r['canonical']:.1f}x) |")
            print(f"| **total** | {t_d:.2f} s | {t_s:.2f} s ({t_s / t_d:.1f}x) |")
        if bad:
            print(f"\n{bad} variant result(s) differ from the canonical query", file=sys.stderr)
        return 1 if bad else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
