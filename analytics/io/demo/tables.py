"""Vectorised generation of every table: small tables, item layout, per-project annotation chunks, model runs."""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.io.demo.projects import _DESCRIPTIONS, _frac, _Params, _Project, _PROJECT_SPECS
from analytics.io.demo.scenario import (
    ANNOTATORS_PER_ITEM, _DAY, DRIFT_WEEK, MAIN_PROJECT, N_BATCHES, N_WEEKS, SPLIT_P, _SPLITS, V2_WEEK,
)
from analytics.io.demo.truths import TRUTHS
from analytics.io.demo.writer import _COLUMNS, _const, _ids, _table, _take, _ts


def _small_tables() -> dict[str, pa.Table]:
    projects = _table("projects", {
        "project_id": [p.project_id for p in _PROJECT_SPECS], "name": [p.name for p in _PROJECT_SPECS],
        "client": [p.client for p in _PROJECT_SPECS], "task_type": ["classification"] * len(_PROJECT_SPECS),
        "created_at": _ts(np.array([-28 * _DAY, -21 * _DAY, -14 * _DAY])),
    })
    lc: dict[str, list] = {c: [] for c in _COLUMNS["label_classes"]}
    ann: dict[str, list] = {c: [] for c in _COLUMNS["annotators"] if c != "started_at"}
    started: list[int] = []
    bat: dict[str, list] = {c: [] for c in _COLUMNS["batches"] if c != "delivered_at"}
    delivered: list[int] = []
    for p in _PROJECT_SPECS:
        for v in ((1, 2) if p.schema_v2 else (1,)):
            for c in p.classes:
                lc["project_id"].append(p.project_id)
                lc["schema_version"].append(v)
                lc["label"].append(c)
                lc["description"].append(_DESCRIPTIONS.get((c, v), _DESCRIPTIONS.get((c, 1), c.replace("_", " "))))
                lc["tier"].append("critical" if c in p.critical else "standard")
        for i, a in enumerate(p.annotators):
            ann["annotator_id"].append(a)
            ann["display_name"].append(f"Annotator {a.split('_')[0].upper()} {a.split('_')[1]}")
            ann["team"].append(p.teams[i])
            ann["vendor"].append(p.vendors[i])
            started.append(-(30 + int(300 * _frac(i + 1, 0.3819660113))) * _DAY)
        for b in range(1, N_BATCHES + 1):
            bat["batch_id"].append(f"{p.project_id}-b{b:02d}")
            bat["project_id"].append(p.project_id)
            bat["name"].append(f"{p.name}, weeks {2 * b - 1}-{2 * b}")
            delivered.append((14 * b - 2) * _DAY + 17 * 3600)  # Saturday 17:00 after the batch's second week
    lc_t = _table("label_classes", {**lc, "schema_version": pa.array(lc["schema_version"], pa.int32())})
    ann_t = _table("annotators", {**ann, "started_at": _ts(np.array(started))})
    bat_t = _table("batches", {**bat, "delivered_at": _ts(np.array(delivered))})
    return {"projects": projects, "label_classes": lc_t, "annotators": ann_t, "batches": bat_t}


@dataclasses.dataclass
class _Acc:
    """Per-project accumulators carried across chunks (small)."""

    ok: np.ndarray  # (N_BATCHES, C) annotations with label == true class
    tot: np.ndarray  # (N_BATCHES, C) annotations
    test_seq: list  # per chunk: item sequence numbers of test-split items
    test_y: list
    test_batch: list
    # every item of the project (for the model scores and leakage plants of analytics.io.demo.extras; appended
    # after the chunk's draws, so no random stream changes)
    all_seq: list = dataclasses.field(default_factory=list)
    all_y: list = dataclasses.field(default_factory=list)
    all_split: list = dataclasses.field(default_factory=list)


def _layout(n_annotations: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Item-level skeleton: annotators per item ``k``, ``week`` (sorted) and ``project`` index per item.

    The annotator counts are drawn until they sum to ``n_annotations`` exactly (the last item is trimmed).
    Memory: three int8 arrays of the item count.
    """
    rng = np.random.default_rng([seed, 0])
    kvals = np.array(list(ANNOTATORS_PER_ITEM))
    kp = np.array(list(ANNOTATORS_PER_ITEM.values()))
    mean_k = float((kvals * kp).sum())
    parts, total = [], 0
    while total < n_annotations:
        draw = rng.choice(kvals, size=int((n_annotations - total) / mean_k * 1.05) + 16, p=kp).astype(np.int8)
        parts.append(draw)
        total += int(draw.sum(dtype=np.int64))
    k = np.concatenate(parts)
    cum = np.cumsum(k, dtype=np.int64)
    n_items = int(np.searchsorted(cum, n_annotations)) + 1
    k = k[:n_items].copy()
    k[-1] -= np.int8(cum[n_items - 1] - n_annotations)
    # Volume grows mildly over the 26 weeks (1.0 -> 1.5 items a week).
    wp = np.linspace(1.0, 1.5, N_WEEKS)
    wp /= wp.sum()
    counts = rng.multinomial(n_items, wp)
    week = np.repeat(np.arange(1, N_WEEKS + 1, dtype=np.int8), counts)
    shares = np.array([p.share for p in _PROJECT_SPECS])
    project = rng.choice(len(_PROJECT_SPECS), size=n_items, p=shares / shares.sum()).astype(np.int8)
    return k, week, project


def _beta_round(rng: np.random.Generator, a: np.ndarray | float, b: np.ndarray | float, n: int) -> np.ndarray:
    return np.round(np.clip(rng.beta(a, b, size=n), 0.01, 0.9999), 4)


def _project_chunk(rng: np.random.Generator, p: _Project, P: _Params, seq: np.ndarray, week: np.ndarray,
                   k: np.ndarray, ann_num0: np.ndarray, acc: _Acc) -> dict[str, pa.Table]:
    """All item-level and annotation-level rows for the items ``seq`` (1-based numbers within the project).

    ``ann_num0`` is the global number of each item's first annotation (annotation ids are ``a-`` + number).
    """
    n = seq.size
    C = len(p.classes)
    main = p.project_id == MAIN_PROJECT
    # ---- items ------------------------------------------------------------------------------------------------
    y_item = rng.choice(C, size=n, p=P.freq)
    split = rng.choice(3, size=n, p=SPLIT_P)
    src = rng.integers(0, len(p.sources), size=n)
    wk_sec = (week.astype(np.int64) - 1) * 7 * _DAY
    item_created = wk_sec + rng.integers(0, 8 * 3600, size=n)  # ingested overnight, Monday 00:00-08:00
    attr_codes = [rng.choice(len(vals), size=n, p=probs) for _, vals, probs in p.attributes]
    lighting = attr_codes[0]
    night_code = p.attributes[0][1].index("night")
    item_id = _ids(p.prefix + "-", seq, 8)
    items = _table("items", {"item_id": item_id, "project_id": _const(p.project_id, n), "split": _take(_SPLITS, split),
                             "source": _take(p.sources, src), "created_at": _ts(item_created)})
    # item_attributes rows in primary-key order (item, key): DuckDB's index insert is faster on sorted keys.
    n_keys = len(p.attributes)
    key_order = np.argsort([key for key, _, _ in p.attributes])
    values = [v for _, vals, _ in p.attributes for v in vals]
    value_base = np.cumsum([0] + [len(vals) for _, vals, _ in p.attributes])[:-1]
    value_code = np.stack([value_base[j] + attr_codes[j] for j in key_order], axis=1).ravel()
    attributes = _table("item_attributes", {
        "item_id": pc.take(item_id, pa.array(np.repeat(np.arange(n), n_keys))),
        "key": _take([p.attributes[j][0] for j in key_order], np.tile(np.arange(n_keys), n)),
        "value": _take(values, value_code),
    })
    # ---- gold (QA plan over-samples rare classes and night) ----------------------------------------------------
    is_gold = rng.random(n) < P.gold_p[y_item, lighting]
    gi = np.flatnonzero(is_gold)
    honeypot = rng.random(gi.size) < 0.6
    gold_created = np.where(honeypot, item_created[gi], wk_sec[gi] + 7 * _DAY + rng.integers(0, 3 * _DAY, gi.size))
    gold = _table("gold_labels", {"item_id": pc.take(item_id, pa.array(gi)), "label": _take(p.classes, y_item[gi]),
                                  "source": _take(("expert", "honeypot"), honeypot.astype(np.int8)),
                                  "created_at": _ts(gold_created)})
    # ---- who labels what ---------------------------------------------------------------------------------------
    A = len(p.annotators)
    u = rng.random((n, A), dtype=np.float32)
    keys = P.log_weight[None, :].astype(np.float32) - np.log(-np.log(np.maximum(u, np.float32(1e-30))))
    order = np.argsort(-keys, axis=1)[:, :5]  # Gumbel top-k: weighted sampling without replacement
    del u, keys
    kk = k.astype(np.int64)
    m = int(kk.sum())
    rep = np.repeat(np.arange(n), kk)
    first = np.cumsum(kk) - kk
    slot = np.arange(m) - np.repeat(first, kk)
    annot = order[rep, slot]
    del order
    w = week[rep].astype(np.int64)
    y = y_item[rep]
    night = lighting[rep] == night_code
    team = P.team_idx[annot]
    schema_v = np.where((w >= V2_WEEK) & p.schema_v2, 2, 1).astype(np.int32)
    # ---- the annotator's own judgement -------------------------------------------------------------------------
    skill = P.skill[annot]
    light_factor = P.light_factor[lighting[rep]]
    learning = 1.10 - 0.30 * (w - 1) / (N_WEEKS - 1)
    err_p = (1.0 - skill) * P.diff[y] * learning * light_factor
    if main:
        a07 = p.annotators.index("ann_07")
        err_p = np.where((annot == a07) & (w >= DRIFT_WEEK), 0.28 * P.diff[y] ** 0.5, err_p)  # truth 1
        van = p.classes.index("van")
        err_p = np.where((y == van) & (schema_v == 1), np.maximum(err_p, 0.35), err_p)  # truth 4
    err_p = np.minimum(err_p, 0.9)
    wrong = _confused(rng, P.conf_cum, y)
    own = np.where(rng.random(m) < err_p, wrong, y)
    if main:  # truth 4, other side: under v1 some cars (pickups, SUVs) and trucks are also called 'van'
        v1 = schema_v == 1
        to_van = v1 & (own == y) & (((y == p.classes.index("car")) & (rng.random(m) < 0.04))
                                    | ((y == p.classes.index("truck")) & (rng.random(m) < 0.06)))
        own = np.where(to_van, van, own)
    if main:  # truth 2: team_c calls night motorcycles bicycles
        moto, bike = p.classes.index("motorcycle"), p.classes.index("bicycle")
        tc = P.teams.index("team_c")
        hit = (team == tc) & (y == moto) & night & (rng.random(m) < TRUTHS["team_night_confusion"].params["rate"])
        own = np.where(hit, bike, own)
    # ---- pre-labels --------------------------------------------------------------------------------------------
    pre_share = 0.25 + 0.30 * (w - 1) / (N_WEEKS - 1)
    has_s = rng.random(m) < pre_share
    s_ok = rng.random(m) < P.model_acc[w, y]
    sugg = np.where(s_ok, y, _confused(rng, P.conf_cum, y))
    conf = np.where(s_ok, _beta_round(rng, 9.0, 2.0, m), _beta_round(rng, 4.0, 3.0, m))
    accept_draw = rng.random(m)
    adopt = has_s & ~s_ok & (accept_draw < 0.15)
    if main:  # truth 6: ann_23 adopts any suggestion 90 % of the time
        is23 = annot == p.annotators.index("ann_23")
        adopt = np.where(is23, has_s & (accept_draw < 0.90), adopt)
    else:
        is23 = np.zeros(m, dtype=bool)
    auto = has_s & (conf >= 0.97) & ~is23 & (rng.random(m) < 0.5)
    label = np.where(adopt | auto, sugg, own)
    # source codes: 0 human, 1 prelabel_accepted, 2 prelabel_edited, 3 model_auto
    source = np.where(~has_s, 0, np.where(label == sugg, 1, 2))
    source = np.where(auto, 3, source)
    dur = P.speed[annot] * P.diff[y] ** 0.35 * np.exp(rng.normal(0.0, 0.45, m))
    dur = np.where(source == 1, dur * 0.6, dur)
    dur = np.where(source == 3, 0.5 + rng.random(m), dur)
    dur = np.round(dur, 1)
    day = rng.choice(7, size=m, p=(0.19, 0.19, 0.19, 0.19, 0.18, 0.03, 0.03))
    created = (w - 1) * 7 * _DAY + day * _DAY + 8 * 3600 + rng.integers(0, 10 * 3600, m)
    batch_idx = (w - 1) // 2
    ann_num = ann_num0[rep] + slot
    ann_id = _ids("a-", ann_num, 10)
    annotations = _table("annotations", {
        "annotation_id": ann_id, "item_id": pc.take(item_id, pa.array(rep)),
        "annotator_id": _take(p.annotators, annot), "label": _take(p.classes, label), "created_at": _ts(created),
        "duration_s": pa.array(dur), "schema_version": pa.array(schema_v),
        "batch_id": _take([f"{p.project_id}-b{b:02d}" for b in range(1, N_BATCHES + 1)], batch_idx),
        "source": _take(("human", "prelabel_accepted", "prelabel_edited", "model_auto"), source),
        "model_suggestion": _take(p.classes, sugg, mask=~has_s),
        "model_confidence": pa.array(conf, mask=~has_s),
    })
    # ---- reviews on a QA sample (by labelled class, rare labels over-sampled) ----------------------------------
    ri = np.flatnonzero(rng.random(m) < P.review_p[label])
    correct = label[ri] == y[ri]
    v = rng.random(ri.size)
    # correct -> accepted 97 %, rejected 3 %; wrong -> corrected 70 %, rejected 25 %, accepted (missed) 5 %
    verdict = np.where(correct, np.where(v < 0.97, 0, 1), np.where(v < 0.70, 2, np.where(v < 0.95, 1, 0)))
    reviews = {
        "annotation_id": pc.take(ann_id, pa.array(ri)),
        "reviewer_id": _take([f"qa_{i:02d}" for i in range(1, 7)], rng.integers(0, 6, ri.size)),
        "verdict": _take(("accepted", "rejected", "corrected"), verdict),
        "corrected_label": _take(p.classes, y[ri], mask=verdict != 2),
        "created_at": _ts(created[ri] + rng.integers(3600, 72 * 3600, ri.size)),
    }
    # ---- accumulators for the model runs -----------------------------------------------------------------------
    flat = batch_idx * C + y
    acc.tot += np.bincount(flat, minlength=N_BATCHES * C).reshape(N_BATCHES, C)
    acc.ok += np.bincount(flat, weights=(label == y), minlength=N_BATCHES * C).reshape(N_BATCHES, C).astype(np.int64)
    ti = split == 2
    acc.test_seq.append(seq[ti])
    acc.test_y.append(y_item[ti].astype(np.int8))
    acc.test_batch.append(((week[ti].astype(np.int64) - 1) // 2).astype(np.int8))
    acc.all_seq.append(seq.astype(np.int64))
    acc.all_y.append(y_item.astype(np.int8))
    acc.all_split.append(split.astype(np.int8))
    return {"items": items, "item_attributes": attributes, "gold_labels": gold,
            "annotations": annotations, "reviews": reviews}


def _confused(rng: np.random.Generator, conf_cum: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A wrong label for each true label ``y``: inverse-CDF on row ``y`` of the confusion matrix (vectorised)."""
    C = conf_cum.shape[0]
    pos = np.searchsorted(conf_cum.ravel(), rng.random(y.size) + y, side="right") - y.astype(np.int64) * C
    out = np.clip(pos, 0, C - 1)
    # A draw that rounds onto the row end can land on the diagonal: send it to the row's most likely error.
    fallback = np.argmax(np.diff(np.concatenate([np.zeros((C, 1)), conf_cum - np.arange(C)[:, None]], axis=1),
                                 axis=1), axis=1)
    return np.where(out == y, fallback[y], out)


def _runs(rng: np.random.Generator, p: _Project, P: _Params, acc: _Acc, seed: int,
          sink_write: Callable[[str, pa.Table], None]) -> tuple | None:
    """Model runs, per-class metrics (truth 5) and predictions on the test items available to each run.
    Returns the newest run's ``(run_id, item seq numbers, predicted class codes, confidences, recall per class)``
    (``analytics.io.demo.extras`` makes its class scores agree with these predictions)."""
    C = len(p.classes)
    runs = [f"{p.project_id}-r{j}" for j in range(1, len(p.run_batches) + 1)]
    sink_write("model_runs", _table("model_runs", {
        "run_id": runs, "project_id": [p.project_id] * len(runs), "model_name": [p.model_name] * len(runs),
        "model_version": [f"{j}.0" for j in range(1, len(runs) + 1)],
        "trained_on_batch": [f"{p.project_id}-b{b:02d}" for b in p.run_batches],
        "evaluated_at": _ts(np.array([(14 * b + 2) * _DAY + 10 * 3600 for b in p.run_batches])),
    }))
    test_seq = np.concatenate(acc.test_seq) if acc.test_seq else np.zeros(0, np.int64)
    test_y = np.concatenate(acc.test_y).astype(np.int64) if acc.test_y else np.zeros(0, np.int64)
    test_b = np.concatenate(acc.test_batch).astype(np.int64) if acc.test_batch else np.zeros(0, np.int64)
    cum_ok, cum_tot = np.cumsum(acc.ok, axis=0), np.cumsum(acc.tot, axis=0)
    T = TRUTHS["label_quality_drives_model"].params
    metrics: dict[str, list] = {c: [] for c in _COLUMNS["model_metrics"]}
    for j, (run, b) in enumerate(zip(runs, p.run_batches)):
        # Label accuracy of the training data (batches 1..b), shrunk towards 0.85 for classes with few annotations.
        label_acc = (cum_ok[b - 1] + 0.85 * 5) / (cum_tot[b - 1] + 5)
        z = (T["intercept"] + T["accuracy_coef"] * (label_acc - 0.85) + T["log_share_coef"] * np.log(P.freq / 0.05)
             + T["log_batches_coef"] * np.log(b / N_BATCHES) + rng.normal(0.0, T["noise_sd"], C))
        f1 = 1.0 / (1.0 + np.exp(-z))
        recall = np.clip(f1 * np.exp(rng.normal(0.0, 0.04, C)), f1 / (2.0 - f1) + 1e-3, 0.999)
        precision = np.clip(f1 * recall / (2.0 * recall - f1), 0.0, 1.0)
        sel = test_b < b
        support = np.bincount(test_y[sel], minlength=C)
        wts = support / max(support.sum(), 1)
        for lab, vals in ((p.classes[c], (f1[c], precision[c], recall[c], support[c])) for c in range(C)):
            for metric, value in zip(("f1", "precision", "recall"), vals[:3]):
                metrics["run_id"].append(run)
                metrics["label"].append(lab)
                metrics["metric"].append(metric)
                metrics["value"].append(round(float(value), 4))
                metrics["support"].append(int(vals[3]))
        overall = {"f1": (wts * f1).sum(), "precision": (wts * precision).sum(), "recall": (wts * recall).sum(),
                   "accuracy": (wts * recall).sum()}
        for metric, value in overall.items():
            metrics["run_id"].append(run)
            metrics["label"].append(None)
            metrics["metric"].append(metric)
            metrics["value"].append(round(float(value), 4))
            metrics["support"].append(int(support.sum()))
        # Predictions: correct with probability recall of the true class; confidence over-confident by ~0.06.
        prng = np.random.default_rng([seed, 3, _PROJECT_SPECS.index(p), j])
        ys = test_y[sel]
        n = ys.size
        mean_conf = np.minimum(recall[ys] + 0.06, 0.985)
        conf = np.round(np.clip(prng.beta(10.0 * mean_conf, 10.0 * (1.0 - mean_conf)), 0.05, 0.9999), 4)
        ok = prng.random(n) < np.clip(conf - (mean_conf - recall[ys]), 0.0, 1.0)
        pred = np.where(ok, ys, _confused(prng, P.conf_cum, ys))
        sink_write("predictions", _table("predictions", {
            "run_id": _const(run, n), "item_id": _ids(p.prefix + "-", test_seq[sel], 8),
            "predicted_label": _take(p.classes, pred), "confidence": pa.array(conf, pa.float64()),
        }))
    sink_write("model_metrics", _table("model_metrics", {
        **metrics, "value": pa.array(metrics["value"], pa.float64()), "support": pa.array(metrics["support"], pa.int32()),
    }))
    return (runs[-1], test_seq[sel], pred, conf, recall) if runs else None
