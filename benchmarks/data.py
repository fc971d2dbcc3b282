"""Seeded synthetic inputs for the benchmark: the one long annotation shape ``item_id, annotator_id, label``.

Every implementation (ours and the peers) receives exactly the same frame, read from the same parquet
file; whatever reshaping a peer needs (pivot to a reliability matrix, a count table, two aligned arrays)
is part of that peer's timed work, because it is what a user of that library has to do.

Two shapes:

* ``multi``: ``n_items`` items, each labelled by 3 distinct annotators drawn from 40 (``ann_01`` ..
  ``ann_40``), 10 long-tailed classes (``class_00`` most common). Annotator accuracy is uniform in
  [0.65, 0.95]; a wrong answer is uniform over the other classes (the Dawid-Skene generative model with
  symmetric confusions). Used for Krippendorff's alpha, Fleiss' kappa and Dawid-Skene.
* ``pair``: the same items labelled by exactly two annotators ``ann_A`` and ``ann_B`` (Cohen's kappa is a
  two-rater statistic).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["N_ANNOTATORS", "N_CLASSES", "RATERS_PER_ITEM", "make_frame", "input_path"]

N_ANNOTATORS = 40
N_CLASSES = 10
RATERS_PER_ITEM = 3


def _class_prior(k: int) -> np.ndarray:
    """Zipf-like long tail: p_c proportional to 1 / (c + 1)."""
    w = 1.0 / np.arange(1, k + 1)
    return w / w.sum()


def _noisy_labels(rng: np.random.Generator, truth: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """Each answer is the true class with probability ``acc`` else a uniform draw from the other K-1 classes."""
    wrong = rng.integers(1, N_CLASSES, size=truth.shape[0])  # offset 1..K-1 never maps back to the truth
    ok = rng.random(truth.shape[0]) < acc
    return np.where(ok, truth, (truth + wrong) % N_CLASSES)


def _distinct_annotators(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 3) matrix of distinct annotator indices in [0, 40), vectorised (no rejection loop)."""
    a = rng.integers(0, N_ANNOTATORS, size=n)
    d1 = rng.integers(1, N_ANNOTATORS, size=n)
    d2 = rng.integers(1, N_ANNOTATORS - 1, size=n)
    d2 = d2 + (d2 >= d1)  # skip the offset already used: d2 in 1..39 and != d1
    return np.stack([a, (a + d1) % N_ANNOTATORS, (a + d2) % N_ANNOTATORS], axis=1)


def make_frame(kind: str, n_items: int, seed: int = 0) -> pd.DataFrame:
    """The long annotation frame ``item_id, annotator_id, label`` (string columns, like the database).

    Rows are grouped by item (an item's annotations are adjacent), as an export ordered by item would be.
    """
    if kind not in ("multi", "pair"):
        raise ValueError(f"unknown input kind {kind!r}; expected 'multi' or 'pair'")
    if n_items < 2:
        raise ValueError(f"n_items must be at least 2, got {n_items}")
    rng = np.random.default_rng(seed)
    acc = rng.uniform(0.65, 0.95, size=N_ANNOTATORS)
    truth = rng.choice(N_CLASSES, size=n_items, p=_class_prior(N_CLASSES))
    if kind == "multi":
        who = _distinct_annotators(rng, n_items).ravel()
        names = np.array([f"ann_{i + 1:02d}" for i in range(N_ANNOTATORS)], dtype=object)
        per_item = RATERS_PER_ITEM
    else:
        who = np.tile(np.array([0, 1]), n_items)
        names = np.array(["ann_A", "ann_B"], dtype=object)
        acc = acc[[0, 1]]
        per_item = 2
    item_idx = np.repeat(np.arange(n_items), per_item)
    labels = _noisy_labels(rng, truth[item_idx], acc[who])
    item_names = pd.Series(np.arange(n_items)).map("it{:07d}".format).to_numpy(dtype=object)
    class_names = np.array([f"class_{c:02d}" for c in range(N_CLASSES)], dtype=object)
    return pd.DataFrame({
        "item_id": pd.array(item_names[item_idx], dtype="str"),
        "annotator_id": pd.array(names[who], dtype="str"),
        "label": pd.array(class_names[labels], dtype="str"),
    })


def input_path(cache_dir: Path, kind: str, n_items: int, seed: int = 0) -> Path:
    """Parquet file with ``make_frame(kind, n_items, seed)``; written once, then reused (same input for all)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"{kind}_{n_items}_s{seed}.parquet"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        make_frame(kind, n_items, seed).to_parquet(tmp, index=False)
        tmp.rename(path)
    return path
