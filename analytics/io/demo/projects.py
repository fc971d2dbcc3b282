"""Scenario definition independent of the seed: taxonomies, confusable partners, annotator pools and
per-project generation parameters."""
from __future__ import annotations

import dataclasses
from typing import Callable, Mapping

import numpy as np

from analytics.io.demo.scenario import CRITICAL_CLASS, GOLD_SHARE, MAIN_PROJECT, N_WEEKS, REVIEW_SHARE


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
