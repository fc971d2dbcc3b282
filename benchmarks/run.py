"""LabelQA benchmark: our agreement / consensus metrics and dashboard data path against peer libraries.

Usage::

    python benchmarks/run.py                      # 1M items x 3 annotators + the 10M-annotation page path
    python benchmarks/run.py --quick              # tiny sizes, seconds (used by tests/test_benchmarks.py)
    python benchmarks/run.py --db PATH --out benchmarks/results/mine.json --only krippendorff_alpha

Method (stated in the printed table too):

* Same input for every implementation: one seeded long frame ``item_id, annotator_id, label``
  (``benchmarks/data.py``), written once to parquet and read by every case. A peer's reshaping of it
  (pivot, count table, aligned vectors, triples) is inside its timed region: it is what its user must do.
* One fresh process per (implementation, input) (``benchmarks/worker.py``): imports and input loading are not
  timed; the time is the best of up to ``--repeat`` runs (``time.perf_counter``); memory is the peak RSS
  during the computation, measured by resetting the kernel's high-water mark (``/proc/self/clear_refs``)
  right before it and reading ``VmHWM`` after it, so native (numpy/Arrow/DuckDB) memory counts too.
* Before any time is reported, every implementation's answer is compared with the reference (ours) to
  ``1e-9`` absolute (counts and labels exactly); a case whose answer differs is reported as such, without a
  time, and the run exits with status 1.
* ``time / fastest peer`` divides each time by the fastest peer whose answer matched (below 1 = faster).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from data import input_path  # noqa: E402
from impls import DS_ITERATIONS, METRICS, impls_for  # noqa: E402
from page import PAGE_METRICS, PROJECT, page_impls_for  # noqa: E402

__all__ = ["main", "compare_values", "TOLERANCE", "DEFAULT_DB"]

TOLERANCE = 1e-9
DEFAULT_DB = Path("/work/bench/labelqa_10m.duckdb")
PACKAGES = ("numpy", "pandas", "scipy", "duckdb", "krippendorff", "statsmodels", "scikit-learn", "nltk",
            "crowd-kit")


def compare_values(ref: dict[str, np.ndarray], other: dict[str, np.ndarray], tol: float = TOLERANCE
                   ) -> tuple[bool, float, str]:
    """Whether ``other`` gives the same answer as ``ref``: every key of ``ref`` present with the same shape,
    numbers within ``tol`` absolute (NaN only where ``ref`` is NaN), strings and integers exactly equal.

    Returns ``(same, max_abs_diff, why_not)``.
    """
    worst = 0.0
    for key, a in ref.items():
        if key not in other:
            return False, float("nan"), f"missing {key!r}"
        b = other[key]
        if a.shape != b.shape:
            return False, float("nan"), f"{key}: shape {b.shape} != {a.shape}"
        if a.dtype.kind in "USO" or b.dtype.kind in "USO":
            if not np.array_equal(a.astype(str), b.astype(str)):
                return False, float("nan"), f"{key}: different values"
            continue
        a64, b64 = a.astype(float), b.astype(float)
        if not np.array_equal(np.isnan(a64), np.isnan(b64)):
            return False, float("nan"), f"{key}: NaN in different places"
        ok = ~np.isnan(a64)
        diff = float(np.max(np.abs(a64[ok] - b64[ok]), initial=0.0))
        if a.dtype.kind in "iub" and b.dtype.kind in "iub" and diff != 0:
            return False, diff, f"{key}: counts differ"
        worst = max(worst, diff)
        if not diff <= tol:
            return False, worst, f"{key}: max |diff| {diff:.3g} > {tol:g}"
    return True, worst, ""


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _run_in_process(spec: dict) -> dict:
    """Smoke-run mode: the case in this process (imports shared, so quick; memory figures less clean)."""
    import worker

    try:
        return worker.main(spec)
    except Exception as exc:  # noqa: BLE001 - reported per case, like a failed subprocess
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"}


def _run_case(spec: dict, timeout: float, isolate: bool = True) -> dict:
    if not isolate:
        return _run_in_process(spec)
    cmd = [sys.executable, str(HERE / "worker.py"), json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"did not finish in {timeout:g} s"}
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.strip().splitlines() if l.strip()]
        return {"status": "error", "error": lines[-1] if lines else f"exit code {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _summary(values: dict[str, np.ndarray]) -> Any:
    """What the JSON keeps of an answer: scalars and short vectors in full, long arrays by shape."""
    if set(values) == {"value"}:
        return float(values["value"])
    out: dict[str, Any] = {}
    for k, v in values.items():
        out[k] = v.tolist() if v.size <= 200 else {"shape": list(v.shape)}
    return out


def run_group(case: str, impls: list, spec_base: dict, workdir: Path, timeout: float, log, jobs: int = 1,
              isolate: bool = True) -> list[dict]:
    """Run every implementation of one case, then check them against the reference (the first ok one)."""
    def one(impl) -> dict:
        spec = {**spec_base, "impl": impl.key, "out": str(workdir / (impl.key.replace("/", "__") + ".npz"))}
        res = _run_case(spec, timeout, isolate)
        res.update(case=case, impl=impl.key, label=impl.label, ours=impl.ours)
        if res["status"] == "ok":
            res["values_path"] = spec["out"]
            log(f"  {impl.key}: {res['best_s']:.3f} s, +{res['mem_delta_mib']:.0f} MiB")
        else:
            log(f"  {impl.key}: {res['status']}: {res['error']}")
        return res

    if jobs > 1 and isolate:  # only for smoke runs: concurrent cases disturb each other's timings
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(one, impls))
    else:
        rows = [one(impl) for impl in impls]
    ok = [r for r in rows if r["status"] == "ok"]
    if ok:
        ref = ok[0]
        ref_values = _load_npz(Path(ref["values_path"]))
        ref["reference"] = True
        ref["max_abs_diff"] = 0.0
        ref["answer"] = _summary(ref_values)
        for r in ok[1:]:
            vals = _load_npz(Path(r["values_path"]))
            same, diff, why = compare_values(ref_values, vals)
            r["max_abs_diff"] = diff
            r["answer"] = _summary(vals)
            if not same:
                r["status"] = "mismatch"
                r["error"] = f"answer differs from {ref['impl']}: {why}"
                log(f"    MISMATCH {r['impl']}: {why}")
    peers = [r for r in rows if r["status"] == "ok" and not r["ours"]]
    fastest = min((r["best_s"] for r in peers), default=None)
    for r in rows:
        r.pop("values_path", None)
        r["ratio_to_fastest_peer"] = (r["best_s"] / fastest) if (fastest and r["status"] == "ok") else None
    return rows


def _describe(ans: Any) -> str:
    """The answer in a table cell: a scalar in full, else what the compared arrays hold."""
    if isinstance(ans, float):
        return f"{ans:.12f}"
    if not isinstance(ans, dict):
        return ""
    if "posteriors" in ans:
        shape = ans["posteriors"]["shape"] if isinstance(ans["posteriors"], dict) else \
            [len(ans["posteriors"]), len(ans["posteriors"][0])]
        return f"posteriors {shape[0]:,} x {shape[1]}"
    for key, what in (("week", "weeks"), ("gold_label", "classes")):
        if key in ans:
            vals = ans["value"] if "value" in ans else ans["accuracy"]
            return f"{len(ans[key])} {what}, {min(vals):.4f} .. {max(vals):.4f}"
    return "see JSON"


def _fmt_row(r: dict) -> str:
    if r["status"] == "ok":
        ratio = r["ratio_to_fastest_peer"]
        if ratio is None:
            ratio_s = "n/a"
        elif r["ours"] and ratio < 1:
            ratio_s = f"{ratio:.3f} ({1 / ratio:.1f}x faster)"
        else:
            ratio_s = f"{ratio:.2f}"
        ans_s = _describe(r.get("answer"))
        diff = "ref" if r.get("reference") else f"{r['max_abs_diff']:.1e}"
        return (f"| {r['label']} | {r['best_s']:.3f} | {ratio_s} | {r['mem_delta_mib']:.0f} | "
                f"{r['rss_peak_mib']:.0f} | {ans_s} | {diff} |")
    what = {"timeout": r["error"], "error": f"error: {r['error']}", "mismatch": f"ANSWER DIFFERS: {r['error']}",
            "skipped": r.get("error", "skipped")}[r["status"]]
    return f"| {r['label']} | {what} | | | | | |"


def markdown(results: dict) -> str:
    lines = []
    for case in results["cases"]:
        lines.append(f"\n**{case['title']}**\n")
        lines.append("| implementation | time (s, best) | time / fastest peer | peak RSS delta (MiB) | "
                     "peak RSS (MiB) | value | max abs diff vs ref |")
        lines.append("|---|---:|---:|---:|---:|---|---:|")
        if case.get("skipped"):
            lines.append(f"| skipped: {case['skipped']} | | | | | | |")
        for r in case["rows"]:
            lines.append(_fmt_row(r))
    return "\n".join(lines)


def _versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _titles(n_items: int) -> dict[str, str]:
    n_multi, n_pair = 3 * n_items, 2 * n_items
    return {
        "krippendorff_alpha": f"Krippendorff's alpha (nominal): {n_items:,} items x 3 of 40 annotators "
                              f"({n_multi:,} annotations, 10 classes)",
        "fleiss_kappa": f"Fleiss' kappa: {n_items:,} items x 3 raters ({n_multi:,} annotations)",
        "cohen_kappa": f"Cohen's kappa: {n_items:,} items x 2 annotators ({n_pair:,} annotations)",
        "dawid_skene": f"Dawid-Skene, {DS_ITERATIONS} EM iterations: {n_items:,} items x 3 of 40 annotators; "
                       "compared: posterior matrix",
        "page_agreement_week": f"Page path: Krippendorff's alpha per week, project '{PROJECT}'",
        "page_accuracy_class": f"Page path: accuracy per gold class with Wilson CI, project '{PROJECT}'",
    }


def _db_annotations(db: Path) -> int | None:
    try:
        import duckdb

        con = duckdb.connect(str(db), read_only=True)
        try:
            return int(con.execute("SELECT COUNT(*) FROM annotations").fetchone()[0])
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - only for the title
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (seconds); used by the test suite")
    ap.add_argument("--db", type=Path, default=None,
                    help=f"DuckDB file for the page path (default {DEFAULT_DB}; skipped when absent)")
    ap.add_argument("--out", type=Path, default=None, help="JSON results file (default benchmarks/results/<ts>.json)")
    ap.add_argument("--items", type=int, default=None, help="items for the metric cases (default 1,000,000)")
    ap.add_argument("--repeat", type=int, default=None, help="runs per case, best reported (default 3)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds before a case is reported as not finished")
    ap.add_argument("--only", nargs="*", default=None, help="case names to run (e.g. fleiss_kappa page_agreement_week)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="cases run concurrently (smoke runs only: it spoils the timings; default 1)")
    ap.add_argument("--isolate", action=argparse.BooleanOptionalAction, default=None,
                    help="one fresh process per case (default; --quick defaults to --no-isolate, i.e. all cases "
                         "in this process, which is faster but makes the memory figures less clean)")
    ap.add_argument("--cache", type=Path, default=HERE / "results" / "inputs", help="where the input parquet files go")
    args = ap.parse_args(argv)

    n_items = args.items or (2_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    timeout = args.timeout or (120.0 if args.quick else 1800.0)
    budget = 0.0 if args.quick else 60.0
    isolate = (not args.quick) if args.isolate is None else args.isolate
    db = args.db if args.db is not None else (None if args.quick else DEFAULT_DB)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or HERE / "results" / f"{stamp}.json"
    wanted = set(args.only) if args.only else None

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    titles = _titles(n_items)
    results: dict[str, Any] = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]) if argv is None else "run.main(" + " ".join(argv) + ")",
        "started": stamp,
        "items": n_items,
        "repeat": repeat,
        "timeout_s": timeout,
        "tolerance": TOLERANCE,
        "isolated": isolate,
        "timing": ("best of `repeat` runs" + (" in a fresh process per case" if isolate else ", all cases in one process")
                   + "; imports and input loading not timed"),
        "memory": "peak RSS during the computation: VmHWM after resetting it via /proc/self/clear_refs "
                  "(fallback getrusage ru_maxrss); delta = peak - RSS at reset",
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "versions": _versions(),
        "load_average_at_start": os.getloadavg(),
        "cases": [],
    }
    failed = False
    with tempfile.TemporaryDirectory(prefix="labelqa-bench-") as tmp:
        work = Path(tmp)
        for metric, kind in METRICS.items():
            if wanted and metric not in wanted:
                continue
            log(f"{titles[metric]}")
            path = input_path(args.cache, kind, n_items)
            spec = {"input": str(path), "repeat": repeat, "budget_s": budget}
            rows = run_group(metric, impls_for(metric), spec, work, timeout, log, args.jobs, isolate)
            results["cases"].append({"case": metric, "title": titles[metric], "input": str(path), "rows": rows})
            failed |= any(r["status"] in ("mismatch", "error") for r in rows)
        for metric in PAGE_METRICS:
            if wanted and metric not in wanted:
                continue
            if db is None or not Path(db).is_file():
                why = (f"database {db} not found" if db is not None else "no --db given")
                msg = f"{why}; build it with analytics.demo.build_demo and pass --db PATH"
                log(f"{titles[metric]}: SKIPPED ({msg})")
                results["cases"].append({"case": metric, "title": titles[metric], "skipped": msg, "rows": []})
                continue
            n_ann = _db_annotations(Path(db))
            title = titles[metric] + (f" of {Path(db).name} ({n_ann:,} annotations in the database)" if n_ann else "")
            log(title)
            spec = {"input": None, "setup_args": {"db": str(Path(db).resolve())}, "repeat": repeat,
                    "budget_s": budget}
            rows = run_group(metric, page_impls_for(metric), spec, work, timeout, log, args.jobs, isolate)
            results["cases"].append({"case": metric, "title": title, "db": str(db), "rows": rows})
            failed |= any(r["status"] in ("mismatch", "error") for r in rows)
    results["load_average_at_end"] = os.getloadavg()
    results["all_answers_identical"] = not failed
    table = markdown(results)
    results["markdown"] = table
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(table)
    print(f"\nresults: {out}")
    if failed:
        print("some implementations failed or gave a different answer (see above): exit status 1")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
