"""Benchmark: confident-learning core (analytics.metrics.label_errors.find_label_issues) vs cleanlab.

    .venv/bin/python benchmarks/label_errors.py [--n 1000000] [--k 30] [--filter-by prune_by_noise_rate]

Synthetic out-of-sample-like scores (seeded): softmax of noisy logits, 20% of labels replaced at random.
Prints both wall times from the same run and whether the flagged sets are equal.
"""
import argparse
import time
import warnings

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--k", type=int, default=30)
    ap.add_argument("--filter-by", default="prune_by_noise_rate")
    ap.add_argument("--no-reference", action="store_true")
    a = ap.parse_args()
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
