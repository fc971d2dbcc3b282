"""Issue 14 signals of the demo's main project, written after every classification table and drawn from their own
random streams (``default_rng([seed, 14, k])``), so the existing demo tables stay byte-identical:

- :func:`model_scores_rows`: class scores (top 3 per item; the rest are zero, as the ``model_scores`` contract
  allows) of the newest model run for every item of the project. Where the run already has a prediction (its
  test items) the top class and its score are that prediction's label and confidence; elsewhere they are
  out-of-fold scores (right with the run's recall of the true class + 0.08, confident when right, not when wrong). The runner-up is
  the true class when the model is wrong, else a class the true one is confused with. So confident learning sees
  the demo's real label errors (the annotators' majority differs from the true class, which gold shows).
- :func:`leakage_plants`: content fingerprints and source groups (``item_attributes`` keys ``content_hash`` and
  ``group_id``, only on planted items): :data:`N_DUPLICATES` exact duplicate pairs train x test (same true class),
  :data:`N_SAME_SPLIT` duplicate pairs inside train (not leakage), one source group spread over train, val and
  test and :data:`N_CLEAN_GROUPS` groups inside one split (not leakage). Pure function of the items and the seed:
  tests call it to know exactly what was planted.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa

from analytics.io.demo.projects import _Params, _Project
from analytics.io.demo.tables import _Acc, _confused
from analytics.io.demo.writer import _const, _ids, _take

__all__ = ["N_DUPLICATES", "N_SAME_SPLIT", "N_CLEAN_GROUPS", "LEAKY_GROUP", "model_scores_rows", "leakage_plants",
           "write_extras"]

N_DUPLICATES = 300       # exact duplicate pairs, one item in train and one in test (capped by the items available)
N_SAME_SPLIT = 40        # duplicate pairs inside train: not leakage
LEAKY_GROUP = (8, 2, 2)  # the one source group split across folds: items in train, val, test
N_CLEAN_GROUPS = 30      # groups of 4 items inside train: not leakage
LEAKY_GROUP_ID = "src-0000"


def model_scores_rows(rng: np.random.Generator, p: _Project, P: _Params, seq: np.ndarray, y: np.ndarray,
                      newest: tuple) -> pa.Table:
    """``run_id, item_id, label, score`` rows (3 per item) for the items ``seq`` with true classes ``y``."""
    run_id, pred_seq, pred_label, pred_conf, recall = newest
    C = len(p.classes)
    n = seq.size
    order = np.argsort(seq, kind="stable")
    seq, y = seq[order], y[order].astype(np.int64)
    # this run's own predictions where it has them
    pos = np.searchsorted(seq, pred_seq)
    have = np.zeros(n, bool)
    top = np.zeros(n, np.int64)
    s1 = np.zeros(n)
    have[pos] = True
    top[pos], s1[pos] = pred_label, pred_conf
    # elsewhere: out-of-fold scores of the same model (cross-validated, as confident learning expects): right a bit
    # more often than on the held-out test (recall + 0.08, at most 0.98) and calibrated: high confidence when
    # right (Beta(12, 1.5), mean 0.89), low when wrong (Beta(3, 4), mean 0.43)
    o = ~have
    no = int(o.sum())
    ok = rng.random(no) < np.minimum(recall[y[o]] + 0.08, 0.98)
    conf = np.where(ok, rng.beta(12.0, 1.5, no), rng.beta(3.0, 4.0, no))
    top[o] = np.where(ok, y[o], _confused(rng, P.conf_cum, y[o]))
    s1[o] = np.round(np.clip(conf, 0.05, 0.9999), 4)
    # runner-up: the true class when the model is wrong, else a likely confusion of it; third: any other class
    second = np.where(top == y, _confused(rng, P.conf_cum, y), y)
    second = np.where(second == top, (top + 1) % C, second)
    third = (top + 1 + rng.integers(0, C - 1, n)) % C
    for _ in range(2):
        third = np.where((third == second) | (third == top), (third + 1) % C, third)
    rest = 1.0 - s1
    s2 = np.round(np.minimum(rest * rng.uniform(0.5, 0.9, n), s1 * 0.95), 4)
    s3 = np.round(np.minimum((rest - s2).clip(min=0) * rng.uniform(0.3, 0.9, n), s2 * 0.95), 4)
    item_id = _ids(p.prefix + "-", np.repeat(seq, 3), 8)
    labels = np.stack([top, second, third], axis=1).ravel()
    scores = np.stack([s1, s2, s3], axis=1).ravel()
    return pa.table({"run_id": _const(run_id, 3 * n), "item_id": item_id, "label": _take(p.classes, labels),
                     "score": pa.array(scores, pa.float64())})


def _hex(rng: np.random.Generator, n: int) -> list[str]:
    words = rng.integers(0, 2 ** 63, size=(n, 4), dtype=np.int64)
    return ["sha256:" + "".join(f"{int(w):016x}" for w in row) for row in words]


def leakage_plants(item_ids, splits, y, seed: int) -> dict[str, dict[str, str]]:
    """``{"content_hash": {item_id: value}, "group_id": {item_id: value}}`` planted on the items (``splits``
    "train" / "val" / "test", ``y`` true class codes). Leaking by construction: the train x test duplicate pairs
    and the items of :data:`LEAKY_GROUP_ID`; everything else planted stays inside one split."""
    rng = np.random.default_rng([seed, 14, 2])
    item_ids, splits, y = np.asarray(item_ids, object), np.asarray(splits, object), np.asarray(y)
    order = np.argsort(item_ids, kind="stable")
    item_ids, splits, y = item_ids[order], splits[order], y[order]
    free = np.ones(item_ids.size, bool)

    def take(mask: np.ndarray, k: int) -> np.ndarray:
        idx = np.flatnonzero(mask & free)
        pick = rng.choice(idx, size=min(k, idx.size), replace=False) if k > 0 and idx.size else idx[:0]
        free[pick] = False
        return np.sort(pick)

    hashes: dict[str, str] = {}
    train, test = splits == "train", splits == "test"
    pairs = []  # (test index, train index) with the same true class
    n_test = min(N_DUPLICATES, int(test.sum()) // 4)
    tests = take(test, n_test)
    for c in np.unique(y[tests]):
        ts = tests[y[tests] == c]
        mates = take(train & (y == c), ts.size)
        pairs.extend(zip(ts[:mates.size].tolist(), mates.tolist()))
    pairs.sort()
    for (a, b), h in zip(pairs, _hex(rng, len(pairs))):
        hashes[item_ids[a]] = hashes[item_ids[b]] = h
    same = take(train, 2 * min(N_SAME_SPLIT, int(train.sum()) // 8))
    for (a, b), h in zip(same.reshape(-1, 2), _hex(rng, same.size // 2)):
        hashes[item_ids[a]] = hashes[item_ids[b]] = h
    groups: dict[str, str] = {}
    leaky = [take(splits == s, k) for s, k in zip(("train", "val", "test"), LEAKY_GROUP)]
    if all(g.size for g in leaky):
        for i in np.concatenate(leaky):
            groups[item_ids[i]] = LEAKY_GROUP_ID
    for g in range(1, N_CLEAN_GROUPS + 1):
        members = take(train, 4)
        if members.size < 2:
            break
        for i in members:
            groups[item_ids[i]] = f"src-{g:04d}"
    return {"content_hash": hashes, "group_id": groups}


def write_extras(write: Callable[[str, pa.Table], None], p: _Project, P: _Params, acc: _Acc, newest: tuple | None,
                 seed: int) -> None:
    """Write the main project's model scores and leakage plants (called at the end of ``build._generate``)."""
    if newest is None or not acc.all_seq:
        return
    seq = np.concatenate(acc.all_seq)
    y = np.concatenate(acc.all_y).astype(np.int64)
    split = np.concatenate(acc.all_split)
    write("model_scores", model_scores_rows(np.random.default_rng([seed, 14, 1]), p, P, seq, y, newest))
    ids = np.asarray(_ids(p.prefix + "-", seq, 8).to_pylist(), object)
    plants = leakage_plants(ids, np.array(("train", "val", "test"), object)[split], y, seed)
    rows = sorted((i, k, v) for k, m in plants.items() for i, v in m.items())
    if rows:
        write("item_attributes", pa.table({"item_id": pa.array([r[0] for r in rows], pa.string()),
                                           "key": pa.array([r[1] for r in rows], pa.string()),
                                           "value": pa.array([r[2] for r in rows], pa.string())}))
