"""Seeded demo scenario: three labelling projects with planted, documented quality problems.

``build_demo(url, annotations=200_000, seed=42)`` creates the canonical schema (``sql/schema.sql``) and fills
every table with a realistic, fully synthetic scenario (see ``sample_data/README.md``):

* projects ``streetscene`` (client "Acme Mobility", ~80 % of annotations, 30 Zipf-distributed classes,
  critical class ``emergency_vehicle`` < 1 % of items), ``retail`` ("Shopwise", 8 classes) and ``docs``
  ("Ledgerly", 6 classes), each with its own annotators, batches and model runs;
* 26 weeks from Monday ``WEEK1`` = 2026-05-25; batches ``<project>-b01`` .. ``-b13`` of two weeks each;
* 1 to 5 annotators per item (35/25/25/10/5 %); 5-10 % gold items drawn by a QA plan that over-samples
  rare classes and night scenes; reviews on a ~6 % QA sample of annotations; pre-labels from a simulated
  model on a rising share of annotations; model runs with per-class metrics and test-split predictions;
* six injected truths, described in ``TRUTHS``, that the analytics must recover.

Generation model (per annotation of an item whose true class is ``y``): the annotator errs with probability
``(1 - skill_a) * difficulty_y * learning(week) * lighting_factor`` (with scenario overrides), and an error goes
to a plausible confusable class with probability 0.8 (``car``/``van``/``truck``, ``bicycle``/``motorcycle``,
``pedestrian``/``cyclist``, ...), else to any other class. A pre-label (``model_suggestion``) is shown on a
share of annotations; peers adopt a *wrong* suggestion 15 % of the time, ``ann_23`` adopts any suggestion
90 % of the time. Gold labels are the true classes.

Everything is vectorised with numpy and written chunk by chunk (``ITEMS_PER_CHUNK`` items at a time) as
Arrow tables: DuckDB ingests them directly, PostgreSQL through ``COPY ... FROM STDIN (FORMAT csv)``; any other
SQLAlchemy URL falls back to batched ``executemany``. The same seed gives identical table contents on every
engine (random streams depend only on the seed, the requested size and the chunk index).
"""
from __future__ import annotations

import dataclasses
import io
import math
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DEFAULT_ANNOTATIONS",
    "MAIN_PROJECT",
    "PROJECTS",
    "WEEK1",
    "N_WEEKS",
    "V2_WEEK",
    "DRIFT_WEEK",
    "CRITICAL_CLASS",
    "ANNOTATORS_PER_ITEM",
    "ITEMS_PER_CHUNK",
    "Truth",
    "TRUTHS",
    "week_start",
    "build_demo",
    "write_snapshot",
]

DEFAULT_ANNOTATIONS = 200_000
MAIN_PROJECT = "streetscene"
PROJECTS = ("streetscene", "retail", "docs")
WEEK1 = date(2026, 5, 25)  # a Monday: week 1
N_WEEKS = 26
N_BATCHES = 13  # two weeks each
V2_WEEK = 10  # schema_version 2 from this week on (2026-07-27)
DRIFT_WEEK = 14  # ann_07 drifts from this week on (2026-08-24)
CRITICAL_CLASS = "emergency_vehicle"
ANNOTATORS_PER_ITEM = {1: 0.35, 2: 0.25, 3: 0.25, 4: 0.10, 5: 0.05}
ITEMS_PER_CHUNK = 200_000
GOLD_SHARE = 0.075  # expected share of items with a gold label (per project)
REVIEW_SHARE = 0.06  # expected share of annotations reviewed
SPLIT_P = (0.70, 0.15, 0.15)  # train / val / test

_SPLITS = ("train", "val", "test")
_CHUNK_TABLES = ("items", "item_attributes", "gold_labels", "annotations", "reviews")  # write order
_DAY = 86_400


def week_start(k: int) -> date:
    """Monday of scenario week ``k`` (1-based): ``WEEK1 + 7 (k - 1)`` days."""
    return WEEK1 + timedelta(days=7 * (int(k) - 1))


# --------------------------------------------------------------------------------------------------------------
# Injected truths
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Truth:
    """One planted effect: what was injected (``params``) and where to see it (``how_to_see``)."""

    number: int
    name: str
    description: str
    params: Mapping[str, Any]
    how_to_see: str


TRUTHS: dict[str, Truth] = {
    t.name: t
    for t in (
        Truth(
            1, "annotator_drift",
            "ann_07 (team_a) is accurate until week 13, then drops sharply from week 14 (2026-08-24) on.",
            {"project_id": MAIN_PROJECT, "annotator_id": "ann_07", "team": "team_a", "start_week": DRIFT_WEEK,
             "start_date": week_start(DRIFT_WEEK), "accuracy_before": 0.93, "accuracy_after": 0.70},
            "weekly accuracy vs gold of ann_07: ~0.93 in weeks 1-13, ~0.70 from week 14; peers flat.",
        ),
        Truth(
            2, "team_night_confusion",
            "team_c labels motorcycle as bicycle at lighting = night, other teams and lighting do not.",
            {"project_id": MAIN_PROJECT, "team": "team_c", "true_label": "motorcycle", "label": "bicycle",
             "attribute": "lighting", "value": "night", "rate": 0.55},
            "confusion vs gold for gold_label = motorcycle, by team x lighting: team_c/night -> bicycle ~55 %,"
            " every other cell < 10 %.",
        ),
        Truth(
            3, "critical_class_accuracy",
            "emergency_vehicle (tier 'critical', < 1 % of items) is labelled far less accurately than the headline;"
            " the QA plan over-samples it so gold shows it.",
            {"project_id": MAIN_PROJECT, "label": CRITICAL_CLASS, "tier": "critical", "max_item_share": 0.01,
             "accuracy": 0.65, "headline_accuracy": 0.90},
            "accuracy vs gold by gold_label: emergency_vehicle ~0.6-0.7 vs ~0.9 overall.",
        ),
        Truth(
            4, "schema_v2_van",
            "schema_version 2 from week 10 (2026-07-27) redefines 'van'; before it annotators split van vs"
            " car/truck ~35 % of the time, after it ~6 %.",
            {"project_id": MAIN_PROJECT, "label": "van", "v2_week": V2_WEEK, "v2_date": week_start(V2_WEEK),
             "error_v1": 0.35, "error_v2": 0.06},
            "per-category agreement (and accuracy vs gold) of 'van' by schema_version: jumps from v1 to v2.",
        ),
        Truth(
            5, "label_quality_drives_model",
            "per-class model F1 of each run = logistic(1.8 + 8 (label accuracy of the training data - 0.85)"
            " + 0.45 ln(class share / 0.05) + 0.25 ln(batches / 13) + N(0, 0.15)); class frequency is a confounder"
            " (rare classes are also harder to label) and label quality improves over dataset versions.",
            {"project_id": MAIN_PROJECT, "runs": tuple(f"{MAIN_PROJECT}-r{j}" for j in range(1, 7)),
             "intercept": 1.8, "accuracy_coef": 8.0, "log_share_coef": 0.45, "log_batches_coef": 0.25,
             "noise_sd": 0.15},
            "per-class F1 vs per-class label accuracy: positive correlation that survives controlling for"
            " log class frequency; overall F1 rises from r1 to r6.",
        ),
        Truth(
            6, "automation_bias",
            "ann_23 accepts the model pre-label 90 % of the time whatever it is; peers accept a wrong pre-label"
            " ~15 % of the time.",
            {"project_id": MAIN_PROJECT, "annotator_id": "ann_23", "team": "team_b", "accept_rate": 0.90,
             "peer_wrong_accept_rate": 0.15},
            "share of wrong suggestions (suggestion != gold) accepted, by annotator: ann_23 ~0.9, peers ~0.15.",
        ),
    )
}

# --------------------------------------------------------------------------------------------------------------
# Scenario definition (fixed: independent of the seed)
# --------------------------------------------------------------------------------------------------------------
_MAIN_CLASSES = (  # (label, group), most frequent first: Zipf share ~ rank^-1.1
    ("car", "vehicle"), ("pedestrian", "person"), ("traffic_sign", "infra"), ("traffic_light", "infra"),
    ("truck", "vehicle"), ("van", "vehicle"), ("motorcycle", "two_wheel"), ("bicycle", "two_wheel"),
    ("cyclist", "person"), ("bus", "vehicle"), ("pole", "infra"), ("traffic_cone", "infra"),
    ("barrier", "infra"), ("trailer", "vehicle"), ("scooter", "two_wheel"), ("dog", "animal"),
    ("stroller", "person"), ("construction_vehicle", "vehicle"), ("tram", "vehicle"), ("wheelchair", "person"),
    ("bollard", "infra"), ("street_light", "infra"), ("cat", "animal"), ("debris", "misc"),
    ("shopping_cart", "misc"), ("skateboard", "two_wheel"), ("horse_rider", "person"),
    ("road_works_sign", "infra"), ("emergency_vehicle", "vehicle"), ("deer", "animal"),
)
_MAIN_PARTNERS = {  # where an annotator's (or the model's) error on the key class goes, 80 % of the time
    "car": {"van": 0.35, "truck": 0.35, "bus": 0.15, "trailer": 0.13, "emergency_vehicle": 0.02},
    "van": {"car": 0.55, "truck": 0.40, "emergency_vehicle": 0.05},
    "truck": {"van": 0.50, "bus": 0.20, "trailer": 0.20, "construction_vehicle": 0.10},
    "bus": {"truck": 0.50, "tram": 0.40, "van": 0.10},
    "motorcycle": {"bicycle": 0.60, "scooter": 0.40},
    "bicycle": {"motorcycle": 0.40, "cyclist": 0.40, "scooter": 0.20},
    "cyclist": {"pedestrian": 0.50, "bicycle": 0.50},
    "pedestrian": {"cyclist": 0.60, "stroller": 0.20, "wheelchair": 0.20},
    "scooter": {"motorcycle": 0.50, "bicycle": 0.30, "skateboard": 0.20},
    "skateboard": {"scooter": 0.60, "pedestrian": 0.40},
    "emergency_vehicle": {"van": 0.45, "truck": 0.30, "car": 0.15, "bus": 0.10},
    "traffic_sign": {"traffic_light": 0.50, "road_works_sign": 0.30, "pole": 0.20},
    "traffic_light": {"traffic_sign": 0.60, "street_light": 0.40},
    "pole": {"street_light": 0.50, "bollard": 0.30, "traffic_sign": 0.20},
    "trailer": {"truck": 0.70, "construction_vehicle": 0.30},
    "construction_vehicle": {"truck": 0.70, "trailer": 0.30},
    "tram": {"bus": 0.90, "truck": 0.10},
    "traffic_cone": {"bollard": 0.50, "barrier": 0.50},
    "barrier": {"traffic_cone": 0.50, "bollard": 0.50},
    "bollard": {"pole": 0.50, "traffic_cone": 0.50},
    "street_light": {"pole": 0.70, "traffic_light": 0.30},
    "road_works_sign": {"traffic_sign": 0.80, "barrier": 0.20},
    "stroller": {"pedestrian": 0.60, "wheelchair": 0.20, "shopping_cart": 0.20},
    "wheelchair": {"pedestrian": 0.60, "stroller": 0.40},
    "horse_rider": {"cyclist": 0.50, "pedestrian": 0.50},
    "dog": {"cat": 0.50, "deer": 0.20, "debris": 0.30},
    "cat": {"dog": 0.80, "debris": 0.20},
    "deer": {"dog": 0.70, "horse_rider": 0.30},
    "debris": {"traffic_cone": 0.40, "shopping_cart": 0.30, "dog": 0.30},
    "shopping_cart": {"stroller": 0.60, "debris": 0.40},
}
_RETAIL_CLASSES = (
    ("beverage", "food"), ("snack", "food"), ("dairy", "chilled"), ("produce", "fresh"), ("household", "nonfood"),
    ("personal_care", "nonfood"), ("frozen", "chilled"), ("bakery", "fresh"),
)
_RETAIL_PARTNERS = {
    "dairy": {"frozen": 0.7, "beverage": 0.3}, "frozen": {"dairy": 1.0}, "snack": {"bakery": 0.6, "beverage": 0.4},
    "bakery": {"snack": 0.7, "produce": 0.3}, "household": {"personal_care": 1.0},
    "personal_care": {"household": 1.0}, "beverage": {"dairy": 0.6, "snack": 0.4}, "produce": {"bakery": 1.0},
}
_DOCS_CLASSES = (
    ("invoice", "finance"), ("receipt", "finance"), ("letter", "prose"), ("form", "structured"),
    ("contract", "prose"), ("id_document", "structured"),
)
_DOCS_PARTNERS = {
    "invoice": {"receipt": 1.0}, "receipt": {"invoice": 1.0}, "letter": {"contract": 0.7, "form": 0.3},
    "contract": {"letter": 1.0}, "form": {"id_document": 0.5, "invoice": 0.5}, "id_document": {"form": 1.0},
}
# Fixed, irregular per-class difficulty jitter (cycled); rare classes are also a bit harder (the confounder).
_JITTER = (1.0, 1.8, 0.5, 1.4, 0.7, 1.7, 0.55, 1.2, 1.5, 0.8, 0.45, 1.3)


def _frac(i: int, step: float) -> float:
    """Low-discrepancy fraction in [0, 1): fixed, seed-independent per-annotator traits."""
    return (i * step) % 1.0


@dataclasses.dataclass(frozen=True)
class _Project:
    project_id: str
    name: str
    client: str
    prefix: str  # item id prefix
    share: float  # expected share of items (= of annotations)
    classes: tuple[str, ...]
    groups: tuple[str, ...]
    partners: Mapping[str, Mapping[str, float]]
    critical: tuple[str, ...]
    zipf: float
    annotators: tuple[str, ...]
    teams: tuple[str, ...]  # per annotator
    vendors: tuple[str, ...]  # per annotator
    skill: tuple[float, ...]
    speed: tuple[float, ...]  # median seconds per item
    weight: tuple[float, ...]  # relative workload
    sources: tuple[str, ...]
    attributes: tuple[tuple[str, tuple[str, ...], tuple[float, ...]], ...]
    run_batches: tuple[int, ...]  # 1-based batch each run is trained up to
    model_name: str
    schema_v2: bool


def _pool(prefix: str, n: int, team_of: Callable[[int], str], vendor_of: Callable[[int], str],
          lo: float, hi: float, overrides: Mapping[int, tuple] | None = None) -> dict[str, tuple]:
    """Annotator pool; ``overrides`` maps a number to (skill, workload weight, median seconds or None)."""
    ids, teams, vendors, skill, speed, weight = [], [], [], [], [], []
    for i in range(1, n + 1):
        ids.append(f"{prefix}_{i:02d}")
        teams.append(team_of(i))
        vendors.append(vendor_of(i))
        s, w, sp = (overrides or {}).get(i, (lo + (hi - lo) * _frac(i, 0.6180339887),
                                             0.7 + 0.6 * _frac(i, 0.5698402910), None))
        skill.append(round(s, 3))
        weight.append(round(w, 3))
        speed.append(round(sp if sp else 4.0 + 14.0 * _frac(i, 0.7548776662), 2))
    return {"annotators": tuple(ids), "teams": tuple(teams), "vendors": tuple(vendors), "skill": tuple(skill),
            "speed": tuple(speed), "weight": tuple(weight)}


def _main_team(i: int) -> str:
    return "team_a" if i <= 14 else ("team_b" if i <= 27 else "team_c")


_VENDOR = {"team_a": "Acme in-house", "team_b": "Northwind Labeling", "team_c": "Southgate Data"}
_LIGHT_FACTOR = {"day": 1.0, "dusk": 1.1, "night": 1.25}
_LIGHTING = ("lighting", ("day", "dusk", "night"), (0.60, 0.15, 0.25))

_PROJECT_SPECS: tuple[_Project, ...] = (
    _Project(
        "streetscene", "Street scene objects", "Acme Mobility", "ss", 0.80,
        tuple(c for c, _ in _MAIN_CLASSES), tuple(g for _, g in _MAIN_CLASSES), _MAIN_PARTNERS,
        (CRITICAL_CLASS,), 1.1,
        **_pool("ann", 40, _main_team, lambda i: _VENDOR[_main_team(i)], 0.87, 0.97,
                overrides={7: (0.945, 2.2, None), 23: (0.92, 2.5, 4.5)}),
        sources=tuple(f"veh_{i:02d}" for i in range(1, 13)),
        attributes=(_LIGHTING, ("sensor", ("cam_front", "cam_rear", "lidar_fused"), (0.50, 0.20, 0.30)),
                    ("weather", ("clear", "rain", "fog"), (0.70, 0.22, 0.08))),
        run_batches=(3, 5, 7, 9, 11, 13), model_name="convnext-tiny-crops", schema_v2=True,
    ),
    _Project(
        "retail", "Shelf product categories", "Shopwise", "rt", 0.12,
        tuple(c for c, _ in _RETAIL_CLASSES), tuple(g for _, g in _RETAIL_CLASSES), _RETAIL_PARTNERS, (), 0.9,
        **_pool("ret", 12, lambda i: "team_r", lambda i: "Shopwise ops", 0.86, 0.96),
        sources=tuple(f"store_{i:02d}" for i in range(1, 21)),
        attributes=(("lighting", ("day", "dusk", "night"), (0.70, 0.20, 0.10)),
                    ("sensor", ("shelf_cam", "handheld"), (0.65, 0.35))),
        run_batches=(5, 9, 13), model_name="efficientnet-b0-shelf", schema_v2=False,
    ),
    _Project(
        "docs", "Document types", "Ledgerly", "dc", 0.08,
        tuple(c for c, _ in _DOCS_CLASSES), tuple(g for _, g in _DOCS_CLASSES), _DOCS_PARTNERS, (), 0.8,
        **_pool("doc", 10, lambda i: "team_d", lambda i: "Ledgerly back office", 0.87, 0.97),
        sources=tuple(f"inbox_{i:02d}" for i in range(1, 6)),
        attributes=(("lighting", ("day", "dusk", "night"), (0.75, 0.15, 0.10)),
                    ("sensor", ("scanner", "phone_camera"), (0.60, 0.40))),
        run_batches=(7, 13), model_name="layoutlm-doc-type", schema_v2=False,
    ),
)
_SPEC = {p.project_id: p for p in _PROJECT_SPECS}

_DESCRIPTIONS = {
    ("van", 1): "Van: a vehicle for goods or passengers, larger than a car and smaller than a truck.",
    ("van", 2): "Van (v2): enclosed box-bodied vehicle under 3.5 t with no separate cab; pickups and SUVs are"
                " 'car', box trucks with a separate cab are 'truck'.",
    ("emergency_vehicle", 1): "Ambulance, fire engine or police vehicle (any size); CRITICAL: never merge into"
                              " van/truck/car.",
}


@dataclasses.dataclass
class _Params:
    """Per-project numeric tables derived from a ``_Project`` (all small arrays)."""

    freq: np.ndarray  # (C,) expected class share of items
    diff: np.ndarray  # (C,) difficulty multiplier of the error rate
    conf_cum: np.ndarray  # (C, C) cumulative row-stochastic confusion (zero diagonal), rows offset by row index
    gold_p: np.ndarray  # (C, L) gold probability by class x lighting
    review_p: np.ndarray  # (C,) review probability by labelled class
    model_acc: np.ndarray  # (W+1, C) pre-label model accuracy by week (1-based) x class
    skill: np.ndarray
    speed: np.ndarray
    log_weight: np.ndarray
    team_idx: np.ndarray  # (A,) index into teams
    teams: tuple[str, ...]
    light_factor: np.ndarray  # (L,) error-rate multiplier by lighting value


def _confusion(p: _Project) -> np.ndarray:
    C = len(p.classes)
    idx = {c: i for i, c in enumerate(p.classes)}
    M = np.zeros((C, C))
    for i, c in enumerate(p.classes):
        row = np.zeros(C)
        partners = p.partners.get(c)
        if partners:
            for other, w in partners.items():
                row[idx[other]] += w
        else:
            mates = [j for j, g in enumerate(p.groups) if g == p.groups[i] and j != i]
            row[mates or [j for j in range(C) if j != i]] = 1.0
        row /= row.sum()
        uniform = np.full(C, 1.0 / (C - 1))
        uniform[i] = 0.0
        M[i] = 0.8 * row + 0.2 * uniform
        M[i, i] = 0.0
        M[i] /= M[i].sum()
    return M


def _solve_rate(base: np.ndarray, mass: np.ndarray, target: float, cap: float,
                fixed: np.ndarray | None = None) -> np.ndarray:
    """Rates ``min(cap, lambda base)`` with ``sum(mass * rate) = target`` (lambda by bisection).

    Cells where ``fixed`` is not NaN keep that rate; lambda scales the others to make up the rest.
    """
    fixed = np.full(base.shape, np.nan) if fixed is None else fixed
    free = np.isnan(fixed)
    rest = target - (mass[~free] * fixed[~free]).sum()
    lo, hi = 0.0, 1.0 / base[free].min()
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if (mass[free] * np.minimum(cap, mid * base[free])).sum() < rest:
            lo = mid
        else:
            hi = mid
    return np.where(free, np.minimum(cap, hi * base), fixed)


# QA plan of the main project: known risk strata get a fixed gold rate (label, lighting or None = any).
_QA_RISK_STRATA = {("emergency_vehicle", None): 0.35, ("motorcycle", "night"): 0.35, ("bicycle", "night"): 0.35,
                   ("van", None): 0.12}


def _params(p: _Project) -> _Params:
    C = len(p.classes)
    rank = np.arange(1, C + 1)
    freq = rank ** -p.zipf
    freq /= freq.sum()
    diff = (0.7 + 0.8 * (rank - 1) / max(C - 1, 1)) * np.array([_JITTER[i % len(_JITTER)] for i in range(C)])
    if p.project_id == MAIN_PROJECT:
        diff[p.classes.index(CRITICAL_CLASS)] = 4.2  # truth 3: ~0.35 error rate
        diff[p.classes.index("van")] = 0.75  # schema v2 level; v1 is overridden to 0.35 (truth 4)
    M = _confusion(p)
    cum = np.cumsum(M, axis=1)
    cum[:, -1] = 1.0
    conf_cum = cum + np.arange(C)[:, None]
    # QA plan: gold probability ~ share^-0.7 (rare classes over-sampled) x 2 at night, capped, overall GOLD_SHARE.
    light_vals, light_p = p.attributes[0][1], np.array(p.attributes[0][2])
    night = np.array([2.0 if v == "night" else 1.0 for v in light_vals])
    base = freq[:, None] ** -0.7 * night[None, :]
    fixed = np.full(base.shape, np.nan)
    if p.project_id == MAIN_PROJECT:
        for (lab, light), rate in _QA_RISK_STRATA.items():
            fixed[p.classes.index(lab), [light_vals.index(light)] if light else slice(None)] = rate
    gold_p = _solve_rate(base, freq[:, None] * light_p[None, :], GOLD_SHARE, 0.6, fixed)
    review_p = _solve_rate(freq ** -0.5, freq, REVIEW_SHARE, 0.5)
    weeks = np.arange(0, N_WEEKS + 1)[:, None]
    model_acc = np.clip(0.72 + 0.20 * (weeks - 1) / (N_WEEKS - 1) - 0.08 * (diff[None, :] - 1.0), 0.40, 0.96)
    teams = tuple(dict.fromkeys(p.teams))
    return _Params(freq, diff, conf_cum, gold_p, review_p, model_acc, np.array(p.skill), np.array(p.speed),
                   np.log(np.array(p.weight)), np.array([teams.index(t) for t in p.teams]), teams,
                   np.array([_LIGHT_FACTOR[v] for v in light_vals]))


# --------------------------------------------------------------------------------------------------------------
# Arrow helpers
# --------------------------------------------------------------------------------------------------------------
_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "client", "task_type", "created_at"),
    "label_classes": ("project_id", "schema_version", "label", "description", "tier"),
    "annotators": ("annotator_id", "display_name", "team", "vendor", "started_at"),
    "items": ("item_id", "project_id", "split", "source", "created_at"),
    "item_attributes": ("item_id", "key", "value"),
    "batches": ("batch_id", "project_id", "name", "delivered_at"),
    "annotations": ("annotation_id", "item_id", "annotator_id", "label", "created_at", "duration_s",
                    "schema_version", "batch_id", "source", "model_suggestion", "model_confidence"),
    "gold_labels": ("item_id", "label", "source", "created_at"),
    "reviews": ("review_id", "annotation_id", "reviewer_id", "verdict", "corrected_label", "created_at"),
    "model_runs": ("run_id", "project_id", "model_name", "model_version", "trained_on_batch", "evaluated_at"),
    "model_metrics": ("run_id", "label", "metric", "value", "support"),
    "predictions": ("run_id", "item_id", "predicted_label", "confidence"),
}
_EPOCH = np.datetime64(WEEK1, "s")


def _ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``nums`` as an Arrow string array (vectorised in Arrow's C++ kernels)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(nums, dtype=np.int64)), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _take(names: tuple[str, ...] | list[str], codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings ``names[codes]`` (null where ``mask`` is True)."""
    idx = pa.array(np.asarray(codes, dtype=np.int32), mask=mask)
    return pc.take(pa.array(list(names), pa.string()), idx)


def _ts(seconds: np.ndarray) -> pa.Array:
    """Timestamps at ``seconds`` after WEEK1 00:00."""
    return pa.array(_EPOCH + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]"))


def _const(value: Any, n: int, typ: pa.DataType = pa.string()) -> pa.Array:
    return pa.repeat(pa.scalar(value, typ), n)


def _table(name: str, cols: Mapping[str, Any]) -> pa.Table:
    return pa.table({c: cols[c] for c in _COLUMNS[name]})


# --------------------------------------------------------------------------------------------------------------
# Sinks: DuckDB (Arrow scan), PostgreSQL (COPY csv), generic (executemany)
# --------------------------------------------------------------------------------------------------------------
class _DuckSink:
    def __init__(self, url: str):
        import duckdb
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if not path or path == ":memory:":
            raise ValueError("build_demo needs a DuckDB file path (duckdb:////abs/file.duckdb), not :memory:")
        self.con = duckdb.connect(path)

    def write(self, name: str, tbl: pa.Table) -> None:
        if tbl.num_rows == 0:
            return
        cols = ", ".join(_COLUMNS[name])
        self.con.register("_labelqa_chunk", tbl)
        try:
            self.con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _labelqa_chunk")
        finally:
            self.con.unregister("_labelqa_chunk")

    def commit(self) -> None:
        self.con.close()

    def abort(self) -> None:
        self.con.close()


class _PgSink:
    """One transaction; each chunk goes through ``COPY ... FROM STDIN (FORMAT csv)``."""

    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.con = self.raw.driver_connection

    def write(self, name: str, tbl: pa.Table) -> None:
        if tbl.num_rows == 0:
            return
        import pyarrow.csv as pcsv

        buf = io.BytesIO()
        pcsv.write_csv(tbl, buf, write_options=pcsv.WriteOptions(include_header=False))
        cols = ", ".join(_COLUMNS[name])
        with self.con.cursor() as cur:
            with cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp:
                cp.write(buf.getvalue())

    def commit(self) -> None:
        self.raw.commit()
        self.raw.close()

    def abort(self) -> None:
        self.raw.rollback()
        self.raw.close()


class _GenericSink:
    """Any other SQLAlchemy dialect: batched ``executemany`` of a bound INSERT (slow but portable)."""

    def __init__(self, engine):
        self.con = engine.connect()
        self.tx = self.con.begin()

    def write(self, name: str, tbl: pa.Table) -> None:
        from sqlalchemy import text

        cols = _COLUMNS[name]
        stmt = text(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})")
        for batch in tbl.to_batches(max_chunksize=20_000):
            self.con.execute(stmt, batch.to_pylist())

    def commit(self) -> None:
        self.tx.commit()
        self.con.close()

    def abort(self) -> None:
        self.tx.rollback()
        self.con.close()


# --------------------------------------------------------------------------------------------------------------
# Small tables
# --------------------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------------------
# The chunked generator
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class _Acc:
    """Per-project accumulators carried across chunks (small)."""

    ok: np.ndarray  # (N_BATCHES, C) annotations with label == true class
    tot: np.ndarray  # (N_BATCHES, C) annotations
    test_seq: list  # per chunk: item sequence numbers of test-split items
    test_y: list
    test_batch: list


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
          sink_write: Callable[[str, pa.Table], None]) -> None:
    """Model runs, per-class metrics (truth 5) and predictions on the test items available to each run."""
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


def build_demo(url: str, annotations: int = DEFAULT_ANNOTATIONS, seed: int = 42,
               progress: Callable[[str], None] = print) -> dict[str, int]:
    """Create the schema at ``url`` and fill every canonical table with the seeded demo scenario.

    ``annotations`` is the exact number of annotation rows (all projects; ~80 % in ``streetscene``). The target
    must be empty (raises ``ValueError`` otherwise). Returns the row count of every canonical table.
    Work is chunked by ``ITEMS_PER_CHUNK`` items, so memory stays bounded at any size.
    """
    from analytics.db import create_indexes, ensure_schema, is_duckdb, make_engine, table_counts

    annotations = int(annotations)
    if annotations < 100:
        raise ValueError(f"annotations must be at least 100, got {annotations}")
    t0 = time.perf_counter()
    engine = make_engine(url)
    try:
        ensure_schema(engine)
        existing = {t: n for t, n in table_counts(engine).items() if n}
        if existing:
            raise ValueError(f"target database already holds data ({', '.join(f'{t}={n}' for t, n in existing.items())});"
                             " use `labelqa demo --force` to replace it")
        if is_duckdb(url):
            sink: Any = _DuckSink(url)
        elif engine.dialect.name == "postgresql":
            sink = _PgSink(engine)
        else:
            sink = _GenericSink(engine)
        try:
            _generate(sink, annotations, seed, progress)
        except BaseException:
            sink.abort()
            raise
        sink.commit()
        progress("demo: creating indexes")
        create_indexes(engine)
        counts = table_counts(engine)
    finally:
        engine.dispose()
    progress(f"demo: done in {time.perf_counter() - t0:.1f} s: "
             + ", ".join(f"{t}={n:,}" for t, n in counts.items()))
    return counts


def _generate(sink: Any, n_annotations: int, seed: int, progress: Callable[[str], None]) -> None:
    for name, tbl in _small_tables().items():
        sink.write(name, tbl)
    k, week, project = _layout(n_annotations, seed)
    n_items = k.size
    ann_num0 = np.cumsum(k, dtype=np.int64) - k + 1
    seq = np.zeros(n_items, dtype=np.int64)
    for j in range(len(_PROJECT_SPECS)):
        mask = project == j
        seq[mask] = np.arange(1, int(mask.sum()) + 1)
    params = [_params(p) for p in _PROJECT_SPECS]
    accs = [_Acc(np.zeros((N_BATCHES, len(p.classes)), np.int64), np.zeros((N_BATCHES, len(p.classes)), np.int64),
                 [], [], []) for p in _PROJECT_SPECS]
    n_chunks = max(1, math.ceil(n_items / ITEMS_PER_CHUNK))
    progress(f"demo: {n_annotations:,} annotations on {n_items:,} items in {n_chunks} chunk(s), seed {seed}")
    review_num = 1

    def chunk(ci: int) -> dict[str, pa.Table]:
        # Runs in one worker thread, chunks strictly in order: the accumulators and review numbers stay sequential.
        nonlocal review_num
        lo, hi = ci * ITEMS_PER_CHUNK, min(n_items, (ci + 1) * ITEMS_PER_CHUNK)
        rng = np.random.default_rng([seed, 1, ci])
        out: dict[str, list[pa.Table]] = {}
        for j, p in enumerate(_PROJECT_SPECS):
            idx = lo + np.flatnonzero(project[lo:hi] == j)
            if idx.size == 0:
                continue
            tables = _project_chunk(rng, p, params[j], seq[idx], week[idx], k[idx], ann_num0[idx], accs[j])
            rv = tables.pop("reviews")
            nr = len(rv["annotation_id"])
            tables["reviews"] = _table("reviews", {**rv, "review_id": _ids("r-", np.arange(review_num, review_num + nr), 10)})
            review_num += nr
            for name, tbl in tables.items():
                out.setdefault(name, []).append(tbl)
        return {name: pa.concat_tables(out[name]) for name in _CHUNK_TABLES if name in out}

    # Generate chunk i+1 while the database ingests chunk i (numpy, Arrow and both drivers release the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(chunk, 0)
        for ci in range(n_chunks):
            tables = pending.result()
            if ci + 1 < n_chunks:
                pending = pool.submit(chunk, ci + 1)
            for name, tbl in tables.items():
                sink.write(name, tbl)
            del tables
            if n_chunks > 1:
                progress(f"demo: chunk {ci + 1}/{n_chunks} written "
                         f"(items {min(n_items, (ci + 1) * ITEMS_PER_CHUNK):,}/{n_items:,})")
    progress("demo: model runs, metrics and predictions")
    mrng = np.random.default_rng([seed, 2])
    for j, p in enumerate(_PROJECT_SPECS):
        _runs(mrng, p, params[j], accs[j], seed, sink.write)


# --------------------------------------------------------------------------------------------------------------
# Committed snapshot
# --------------------------------------------------------------------------------------------------------------
_SNAPSHOT_FILES = {  # file name -> SQL selecting the main project's rows (static text, no user values)
    "annotations.parquet": "SELECT a.* FROM annotations a JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' ORDER BY a.annotation_id",
    "gold.parquet": "SELECT g.* FROM gold_labels g JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' ORDER BY g.item_id",
    "items.parquet": "SELECT * FROM items WHERE project_id = 'streetscene' ORDER BY item_id",
    "item_attributes.parquet": "SELECT t.* FROM item_attributes t JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' ORDER BY t.item_id, t.key",
    "reviews.parquet": "SELECT r.* FROM reviews r JOIN annotations a USING (annotation_id) JOIN items i ON i.item_id = a.item_id WHERE i.project_id = 'streetscene' ORDER BY r.review_id",
    "predictions.parquet": "SELECT p.* FROM predictions p JOIN model_runs m USING (run_id) WHERE m.project_id = 'streetscene' ORDER BY p.run_id, p.item_id",
    "label_classes.csv": "SELECT * FROM label_classes WHERE project_id = 'streetscene' ORDER BY schema_version, label",
    "annotators.csv": "SELECT * FROM annotators WHERE team IN ('team_a', 'team_b', 'team_c') ORDER BY annotator_id",
    "projects.csv": "SELECT * FROM projects WHERE project_id = 'streetscene'",
    "batches.csv": "SELECT * FROM batches WHERE project_id = 'streetscene' ORDER BY batch_id",
    "model_runs.csv": "SELECT * FROM model_runs WHERE project_id = 'streetscene' ORDER BY run_id",
    "model_metrics.csv": "SELECT m.* FROM model_metrics m JOIN model_runs r USING (run_id) WHERE r.project_id = 'streetscene' ORDER BY m.run_id, m.label NULLS FIRST, m.metric",
}
SNAPSHOT_ANNOTATIONS = 37_500  # total; ~30k of them in the main project
SNAPSHOT_SEED = 42


def write_snapshot(directory: str | Path, annotations: int = SNAPSHOT_ANNOTATIONS, seed: int = SNAPSHOT_SEED) -> dict[str, int]:
    """Build a small seeded demo and write the main project's tables to ``directory`` (parquet / csv).

    Returns rows per file. The committed copy in ``sample_data/snapshot`` is ``write_snapshot(that_dir)``.
    """
    import tempfile

    import duckdb

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "snapshot.duckdb"
        build_demo(f"duckdb:///{db}", annotations=annotations, seed=seed, progress=lambda _m: None)
        con = duckdb.connect(str(db), read_only=True)
        rows: dict[str, int] = {}
        try:
            for fname, sql in _SNAPSHOT_FILES.items():
                tbl = con.sql(sql).to_arrow_table()
                target = out / fname
                if fname.endswith(".parquet"):
                    import pyarrow.parquet as pq

                    pq.write_table(tbl, target, compression="zstd")
                else:
                    import pyarrow.csv as pcsv

                    pcsv.write_csv(tbl, target)
                rows[fname] = tbl.num_rows
        finally:
            con.close()
    return rows
