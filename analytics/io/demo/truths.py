"""The six planted quality problems of the demo (``TRUTHS``): what was injected and how to see it."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from analytics.io.demo.scenario import CRITICAL_CLASS, DRIFT_WEEK, MAIN_PROJECT, V2_WEEK, week_start


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
