"""Time ``preference_report`` (the ``labelqa preference --json`` document) on synthetic judgments.

    .venv/bin/python benchmarks/preference.py --judgments 1000000 --n-boot 200

Synthetic campaign: 20 models, pairs of random models, 4 judgments per pair, two dimensions, positions at
random, lengths known. Prints the wall time of each run; no assertions on time (a benchmark, not a test).
"""
from __future__ import annotations

import argparse
import time

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
    args = ap.parse_args()
    judg, pairs = synthetic(args.judgments)
    t = time.perf_counter()
    doc = preference_report(judg, pairs, by=args.by, n_boot=args.n_boot)
    dt = time.perf_counter() - t
    first = doc[0] if isinstance(doc, list) else doc
    print(f"preference_report: {args.judgments:,} judgments, {first['n_pairs']:,} pairs, n_boot={args.n_boot}, "
          f"by={args.by}: {dt:.1f} s")


if __name__ == "__main__":
    main()
