"""Benchmark: confident-learning core (analytics.metrics.label_errors.find_label_issues) vs cleanlab, and the
``labelqa label-errors`` command end to end.

    .venv/bin/python benchmarks/label_errors.py [--n 1000000] [--k 30] [--filter-by prune_by_noise_rate]
    .venv/bin/python benchmarks/label_errors.py --cli [--n 1000000] [--k 30] [--layout wide|long] [--keep DIR]

Synthetic out-of-sample-like scores (seeded): softmax of noisy logits, 20% of labels replaced at random.
Without ``--cli``: both wall times of the core from the same run and whether the flagged sets are equal.
With ``--cli``: the same data written once as LABELS (``item_id, label`` parquet) and SCORES (parquet, wide: one
column per class; long: ``item_id, label, score`` rows for every class), then ``labelqa label-errors --labels
LABELS --scores SCORES --json`` run once as a subprocess (reading the files, validation, confident learning,
ranking, the JSON document); wall time, the child's CPU time and peak RSS (``getrusage(RUSAGE_CHILDREN)``) are printed, and
the flagged count is checked against the core on the same arrays.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from analytics.metrics.label_errors import find_label_issues


def data(n, k, seed=0):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), true] += 2.5
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    y = np.where(rng.random(n) < 0.2, rng.integers(0, k, n), true)
    return y, p


def write_files(y, p, d: Path, layout: str = "wide") -> tuple[Path, Path]:
    """LABELS and SCORES parquet files of the arrays (class names c00.., item ids i0000000..)."""
    import pandas as pd

    n, k = p.shape
    ids = pd.Series(np.char.add("i", np.char.zfill(np.arange(n).astype(str), 7)))
    names = np.array([f"c{j:02d}" for j in range(k)], dtype=object)
    labels, scores = d / "labels.parquet", d / f"scores_{layout}.parquet"
    pd.DataFrame({"item_id": ids, "label": names[y]}).to_parquet(labels, index=False)
    if layout == "wide":
        pd.DataFrame({"item_id": ids, **{str(c): p[:, j] for j, c in enumerate(names)}}).to_parquet(scores, index=False)
    else:
        pd.DataFrame({"item_id": np.repeat(ids.to_numpy(object), k), "label": np.tile(names, n),
                      "score": p.ravel()}).to_parquet(scores, index=False)
    return labels, scores


def run_cli(a) -> None:
    y, p = data(a.n, a.k)
    expected = int(find_label_issues(y, p, a.filter_by).sum())
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(a.keep) if a.keep else Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        labels, scores = write_files(y, p, d, a.layout)
        print(f"wrote {labels.name} + {scores.name} ({scores.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - t0:.1f} s")
        del p
        cmd = [str(Path(sys.executable).parent / "labelqa"), "label-errors", "--labels", str(labels), "--scores",
               str(scores), "--filter-by", a.filter_by, "--json"]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            raise SystemExit(f"labelqa label-errors failed ({out.returncode}): {out.stderr.strip()}")
        doc = json.loads(out.stdout)
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss, cpu = ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime
        ok = doc["n_issues"] == expected and doc["n_items"] == a.n
        print(f"labelqa label-errors --json n={a.n:,} k={a.k} {a.layout} {a.filter_by}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS "
              f"{rss:.0f} MiB, {doc['n_issues']:,} issues (core on the same arrays: {expected:,}; "
              f"{'equal' if ok else 'DIFFERENT'})")
        if not ok:
            raise SystemExit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--filter-by", default="prune_by_noise_rate")
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--cli", action="store_true", help="time `labelqa label-errors` end to end")
    ap.add_argument("--layout", choices=("wide", "long"), default="wide")
    ap.add_argument("--keep", help="with --cli: write the files here (kept) instead of a temporary directory")
    a = ap.parse_args()
    if a.cli:
        return run_cli(a)
    y, p = data(a.n, a.k)
    t0 = time.perf_counter()
    ours = find_label_issues(y, p, a.filter_by)
    t_ours = time.perf_counter() - t0
    print(f"labelqa find_label_issues n={a.n} k={a.k} {a.filter_by}: {t_ours:.2f} s, {int(ours.sum())} flagged")
    if not a.no_reference:
        from cleanlab.filter import find_label_issues as ref
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ref(y, p, filter_by=a.filter_by, n_jobs=1)
        t_ref = time.perf_counter() - t0
        print(f"cleanlab 2.9 find_label_issues (n_jobs=1): {t_ref:.2f} s; ratio labelqa/cleanlab = "
              f"{t_ours / t_ref:.2f}; equal flags: {bool(np.array_equal(ours, theirs))}")


if __name__ == "__main__":
    main()
