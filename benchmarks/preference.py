"""Time ``preference_report`` (the ``labelqa preference --json`` document) on synthetic judgments.

    .venv/bin/python benchmarks/preference.py --judgments 1000000 --n-boot 200
    .venv/bin/python benchmarks/preference.py --judgments 1000000 --cli   # the command end to end, from files

``--cli`` writes the synthetic judgments and pairs to Parquet once (not timed) and times the command a user runs,
``labelqa preference JUDGMENTS --pairs PAIRS --json --n-boot N`` (reading, checks, every metric, JSON), and
``labelqa preference export JUDGMENTS --pairs PAIRS --out F`` (the clean set), each in a fresh process.

Synthetic campaign: 20 models, pairs of random models, 4 judgments per pair, two dimensions, positions at
random, lengths known. Prints the wall time of each run; no assertions on time (a benchmark, not a test).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.kinds.preference.report import preference_report


def synthetic(n_judgments: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_pairs = max(n_judgments // 4, 1)
    models = np.array([f"m{i:02d}" for i in range(20)])
    x = rng.integers(0, 20, n_pairs)
    y = (x + rng.integers(1, 20, n_pairs)) % 20
    pairs = pd.DataFrame({"pair_id": np.char.add("p", np.arange(n_pairs).astype(str)), "response_a": models[x],
                          "response_b": models[y], "len_a": rng.integers(50, 2000, n_pairs),
                          "len_b": rng.integers(50, 2000, n_pairs),
                          "category": rng.choice(["code", "chat", "math", "safety"], n_pairs)})
    pi = np.repeat(np.arange(n_pairs), 4)[:n_judgments]
    judg = pd.DataFrame({"pair_id": pairs["pair_id"].to_numpy()[pi],
                         "annotator_id": np.char.add("j", rng.integers(0, 300, len(pi)).astype(str)),
                         "choice": rng.choice(["a", "b", "tie"], len(pi), p=[0.4, 0.4, 0.2]),
                         "shown_first": rng.choice(["a", "b"], len(pi)),
                         "dimension": rng.choice(["helpfulness", "safety"], len(pi))})
    return judg, pairs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--judgments", type=int, default=1_000_000)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--by", default=None)
    ap.add_argument("--cli", action="store_true", help="time the labelqa command on Parquet files instead")
    args = ap.parse_args()
    judg, pairs = synthetic(args.judgments)
    if args.cli:
        _cli(judg, pairs, args)
        return
    t = time.perf_counter()
    doc = preference_report(judg, pairs, by=args.by, n_boot=args.n_boot)
    dt = time.perf_counter() - t
    first = doc[0] if isinstance(doc, list) else doc
    print(f"preference_report: {args.judgments:,} judgments, {first['n_pairs']:,} pairs, n_boot={args.n_boot}, "
          f"by={args.by}: {dt:.1f} s")


def _cli(judg: pd.DataFrame, pairs: pd.DataFrame, args) -> None:
    exe = shutil.which("labelqa") or str(Path(sys.executable).with_name("labelqa"))
    with tempfile.TemporaryDirectory() as d:
        jp, pp, out = Path(d) / "judgments.parquet", Path(d) / "pairs.parquet", Path(d) / "clean.jsonl"
        judg.to_parquet(jp, index=False)
        pairs.to_parquet(pp, index=False)
        by = ["--by", args.by] if args.by else []
        for name, cmd in (("labelqa preference --json", [exe, "preference", str(jp), "--pairs", str(pp), "--json",
                                                         "--n-boot", str(args.n_boot), *by]),
                          ("labelqa preference export", [exe, "preference", "export", str(jp), "--pairs", str(pp),
                                                         "--out", str(out), "--n-boot", str(args.n_boot)])):
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t
            if proc.returncode != 0:
                raise SystemExit(f"{name} failed ({proc.returncode}): {proc.stderr[-2000:]}")
            print(f"{name}: {args.judgments:,} judgments, {len(pairs):,} pairs, n_boot={args.n_boot}: {dt:.1f} s "
                  f"wall (process start, file reading and output included)")


if __name__ == "__main__":
    main()
