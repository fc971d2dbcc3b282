"""Ingest rate of ``labelqa load`` into DuckDB (issue 11): rows/s from CSV and from Parquet, peak RSS, and the
same-run floor (a plain DuckDB ``INSERT INTO annotations SELECT * FROM read_csv/read_parquet`` of the same file
with no validation at all).

Inputs: the seeded demo (``labelqa demo --annotations N --seed S``, built once into ``--work``) exported with
DuckDB ``COPY`` to one CSV and one Parquet file per classification table (projects, label_classes, annotators,
items, batches, annotations). Per format, a fresh DuckDB file gets the reference tables with one untimed
``labelqa load``, then the timed ``labelqa load annotations.<fmt>`` (a child process: wall time and its own peak
RSS from ``wait4``) runs every validation (types, required values, enumerations, timestamps window, trimmed ids,
duplicates within the load and against the database, unknown items / annotators / batches, taxonomy) and writes
the ingest log with its digests. The floor runs in the same way on another fresh copy of the same database.

    python benchmarks/ingest.py --rows 1000000              # CSV and Parquet, 1M annotations
    python benchmarks/ingest.py --rows 1000000 --profile    # + cProfile of the in-process load (top 25)

Report: one line per format with seconds, rows/s, peak RSS and the ratio to the floor (``benchmarks/results.py``
parses this 8-column line), then the CPU seconds of the load and of the floor (steadier than wall time when other
work shares the cores); the load average at the start and the end. ``--src DIR`` times the labelqa of another
checkout (e.g. ``git archive <commit> | tar -x -C DIR``) for a before/after on the same inputs.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import subprocess
import sys
import time
from pathlib import Path

TABLES = ("projects", "label_classes", "annotators", "items", "batches", "annotations")


_CWD: str | None = None
_ENV: dict | None = None  # --src: run the labelqa of another checkout (PYTHONPATH), e.g. the code before a change
_CPU: list[float] = [0.0]  # CPU seconds (user + system) of the last child


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; (wall seconds, peak RSS MiB of the child, combined output); its CPU seconds in ``_CPU[0]``."""
    env = env or _ENV
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=_CWD)
    out = p.stdout.read().decode() if p.stdout else ""
    _pid, status, ru = os.wait4(p.pid, 0)
    dt = time.perf_counter() - t0
    _CPU[0] = ru.ru_utime + ru.ru_stime
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{out}")
    return dt, ru.ru_maxrss / 1024, out


def build_inputs(work: Path, rows: int, seed: int) -> Path:
    """Demo of ``rows`` annotations -> ``work/files/<table>.csv|.parquet`` (cached by size and seed)."""
    import duckdb

    files = work / f"files_{rows}_{seed}"
    if (files / "annotations.parquet").exists():
        return files
    db = work / f"demo_{rows}_{seed}.duckdb"
    db.unlink(missing_ok=True)
    dt, _rss, _ = _run([sys.executable, "-m", "analytics.cli", "demo", "--db", f"duckdb:///{db}",
                        "--annotations", str(rows), "--seed", str(seed)])
    print(f"demo built in {dt:.1f} s", flush=True)
    tmp = files.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect(str(db), read_only=True)
    for t in TABLES:
        con.execute(f"COPY (SELECT * FROM {t}) TO '{tmp / (t + '.csv')}' (HEADER, DELIMITER ',')")
        con.execute(f"COPY (SELECT * FROM {t}) TO '{tmp / (t + '.parquet')}' (FORMAT parquet)")
    con.close()
    db.unlink()
    tmp.rename(files)
    return files


def _fresh_db(files: Path, fmt: str, path: Path) -> None:
    """A DuckDB file with the schema and the reference tables (everything but annotations), via labelqa load."""
    path.unlink(missing_ok=True)
    refs = [str(files / f"{t}.{fmt}") for t in TABLES if t != "annotations"]
    _run([sys.executable, "-m", "analytics.cli", "load", "--db", f"duckdb:///{path}", *refs])


def floor(db: Path, src: Path, fmt: str) -> float:
    """Plain DuckDB insert of the same file, no validation (a child process like the load)."""
    reader = (f"read_parquet('{src}')" if fmt == "parquet" else f"read_csv('{src}', header = true)")
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); con.execute('SET enable_progress_bar = false');"
            f"con.execute(\"INSERT INTO annotations SELECT * FROM {reader}\"); con.close()")
    dt, _rss, _ = _run([sys.executable, "-c", code, str(db)])
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", type=Path, default=Path("/tmp/labelqa_bench_ingest"))
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--profile", action="store_true", help="also cProfile one in-process load per format")
    ap.add_argument("--src", type=Path, help="checkout whose labelqa to time (PYTHONPATH), e.g. `git archive` of an "
                                              "older commit; default: the installed one")
    args = ap.parse_args()
    global _ENV, _CWD
    args.work = args.work.resolve()
    if args.src:
        _CWD = str(args.src.resolve())  # python -m puts the working directory first on sys.path
        _ENV = {**os.environ, "PYTHONPATH": str(args.src.resolve())}
        print(f"labelqa from {args.src}")
    args.work.mkdir(parents=True, exist_ok=True)
    files = build_inputs(args.work, args.rows, args.seed)
    import duckdb

    n = duckdb.connect().execute(f"SELECT COUNT(*) FROM read_parquet('{files / 'annotations.parquet'}')").fetchone()[0]
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # the 8-column table line is parsed by benchmarks/results.py (keep its shape); CPU seconds on their own line
    print(f"{'format':8} {'rows':>10} {'load s':>8} {'rows/s':>12} {'peak RSS MiB':>13} {'floor s':>8} "
          f"{'floor rows/s':>13} {'load/floor':>10}")
    for fmt in args.formats.split(","):
        src = files / f"annotations.{fmt}"
        db = args.work / f"load_{fmt}.duckdb"
        _fresh_db(files, fmt, db)
        base = args.work / f"base_{fmt}.duckdb"
        shutil.copy(db, base)
        dt, rss, _ = _run([sys.executable, "-m", "analytics.cli", "load", "--db", f"duckdb:///{db}", str(src)])
        cpu = _CPU[0]
        con = duckdb.connect(str(db), read_only=True)
        got = con.execute("SELECT COUNT(*) FROM annotations").fetchone()[0]
        con.close()
        assert got == n, (got, n)
        fdb = args.work / f"floor_{fmt}.duckdb"
        shutil.copy(base, fdb)
        fdt = floor(fdb, src, fmt)
        print(f"{fmt:8} {n:>10,} {dt:>8.2f} {n / dt:>12,.0f} {rss:>13,.0f} {fdt:>8.2f} {n / fdt:>13,.0f} "
              f"{dt / fdt:>10.2f}", flush=True)
        print(f"  {fmt} CPU seconds (user + system): load {cpu:.2f}, floor {_CPU[0]:.2f}, ratio {cpu / _CPU[0]:.2f}",
              flush=True)
        if args.profile:
            from analytics.io.ingest import load_files

            pdb = args.work / f"prof_{fmt}.duckdb"
            shutil.copy(base, pdb)
            prof = cProfile.Profile()
            prof.enable()
            load_files(f"duckdb:///{pdb}", [src])
            prof.disable()
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
            print(buf.getvalue())
            pdb.unlink()
        for p in (db, base, fdb):
            p.unlink(missing_ok=True)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
