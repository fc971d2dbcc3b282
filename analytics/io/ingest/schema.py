"""Canonical tables, columns, types, keys and enumerations ingest checks against; :class:`IngestError`."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa


_V, _I, _D, _T = "VARCHAR", "INTEGER", "DOUBLE PRECISION", "TIMESTAMP"


#: Canonical columns and types of every table: a mirror of sql/schema.sql (a test keeps them in sync).
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "projects": {"project_id": _V, "name": _V, "client": _V, "task_type": _V, "created_at": _T},
    "label_classes": {"project_id": _V, "schema_version": _I, "label": _V, "description": _V, "tier": _V},
    "annotators": {"annotator_id": _V, "display_name": _V, "team": _V, "vendor": _V, "started_at": _T},
    "items": {"item_id": _V, "project_id": _V, "split": _V, "source": _V, "created_at": _T},
    "item_attributes": {"item_id": _V, "key": _V, "value": _V},
    "batches": {"batch_id": _V, "project_id": _V, "name": _V, "delivered_at": _T},
    "annotations": {
        "annotation_id": _V, "item_id": _V, "annotator_id": _V, "label": _V, "created_at": _T,
        "duration_s": _D, "schema_version": _I, "batch_id": _V, "source": _V, "model_suggestion": _V,
        "model_confidence": _D,
    },
    "gold_labels": {"item_id": _V, "label": _V, "source": _V, "created_at": _T},
    "reviews": {
        "review_id": _V, "annotation_id": _V, "reviewer_id": _V, "verdict": _V, "corrected_label": _V,
        "created_at": _T,
    },
    "model_runs": {
        "run_id": _V, "project_id": _V, "model_name": _V, "model_version": _V, "trained_on_batch": _V,
        "evaluated_at": _T,
    },
    "model_metrics": {"run_id": _V, "label": _V, "metric": _V, "value": _D, "support": _I},
    "predictions": {"run_id": _V, "item_id": _V, "predicted_label": _V, "confidence": _D},
    "model_scores": {"run_id": _V, "item_id": _V, "label": _V, "score": _D},
}


# Column defaults of sql/schema.sql (applied when a file lacks the column or leaves the value empty).
_DEFAULTS: dict[tuple[str, str], Any] = {
    ("projects", "task_type"): "classification",
    ("label_classes", "schema_version"): 1,
    ("label_classes", "tier"): "standard",
    ("annotations", "schema_version"): 1,
    ("annotations", "source"): "human",
}


#: Columns a file must provide (NOT NULL without a default). ``project_id`` may come from ``--project``.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "client"),
    "label_classes": ("project_id", "label"),
    "annotators": ("annotator_id",),
    "items": ("item_id", "project_id"),
    "item_attributes": ("item_id", "key"),
    "batches": ("batch_id", "project_id"),
    "annotations": ("annotation_id", "item_id", "annotator_id", "label", "created_at"),
    "gold_labels": ("item_id", "label"),
    "reviews": ("review_id", "annotation_id", "verdict"),
    "model_runs": ("run_id", "project_id"),
    "model_metrics": ("run_id", "metric", "value"),
    "predictions": ("run_id", "item_id", "predicted_label"),
    "model_scores": ("run_id", "item_id", "label", "score"),
}


#: Primary keys of sql/schema.sql (``model_metrics`` has none).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id",),
    "label_classes": ("project_id", "schema_version", "label"),
    "annotators": ("annotator_id",),
    "items": ("item_id",),
    "item_attributes": ("item_id", "key"),
    "batches": ("batch_id",),
    "annotations": ("annotation_id",),
    "gold_labels": ("item_id",),
    "reviews": ("review_id",),
    "model_runs": ("run_id",),
    "predictions": ("run_id", "item_id"),
    "model_scores": ("run_id", "item_id", "label"),
}


_ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("annotations", "source"): ("human", "prelabel_accepted", "prelabel_edited", "model_auto"),
    ("reviews", "verdict"): ("accepted", "rejected", "corrected"),
    ("label_classes", "tier"): ("critical", "standard"),
}


_NON_NEGATIVE = {("annotations", "duration_s")}


_PROBABILITY = {("annotations", "model_confidence"), ("predictions", "confidence"), ("model_scores", "score")}


# (table, column) -> (referenced table, referenced column, what to call it)
_REFERENCES: tuple[tuple[str, str, str, str, str], ...] = (
    ("label_classes", "project_id", "projects", "project_id", "project"),
    ("items", "project_id", "projects", "project_id", "project"),
    ("batches", "project_id", "projects", "project_id", "project"),
    ("model_runs", "project_id", "projects", "project_id", "project"),
    ("item_attributes", "item_id", "items", "item_id", "item"),
    ("annotations", "item_id", "items", "item_id", "item"),
    ("annotations", "batch_id", "batches", "batch_id", "batch"),
    ("gold_labels", "item_id", "items", "item_id", "item"),
    ("reviews", "annotation_id", "annotations", "annotation_id", "annotation"),
    ("model_metrics", "run_id", "model_runs", "run_id", "model run"),
    ("predictions", "run_id", "model_runs", "run_id", "model run"),
    ("predictions", "item_id", "items", "item_id", "item"),
    ("model_scores", "run_id", "model_runs", "run_id", "model run"),
    ("model_scores", "item_id", "items", "item_id", "item"),
)


# Rows created "if new" (never an error when they already exist): Label Studio's project, tasks and
# annotators, and the annotators named by any annotation file.
_IMPLICIT_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "client"),
    "annotators": ("annotator_id", "display_name"),
    "items": ("item_id", "project_id", "source", "created_at"),
}


#: Common names for canonical labels, used for "did you mean" (checked before difflib's close matches).
LABEL_SYNONYMS: dict[str, str] = {
    "automobile": "car", "auto": "car", "sedan": "car", "passenger_car": "car", "hatchback": "car",
    "bike": "bicycle", "cycle": "bicycle", "pushbike": "bicycle",
    "motorbike": "motorcycle", "moped": "motorcycle", "motor_bike": "motorcycle",
    "person": "pedestrian", "people": "pedestrian", "human": "pedestrian", "walker": "pedestrian",
    "lorry": "truck", "semi": "truck", "pickup": "truck",
    "minivan": "van", "coach": "bus", "autobus": "bus", "tram": "streetcar",
    "ambulance": "emergency_vehicle", "fire_truck": "emergency_vehicle", "firetruck": "emergency_vehicle",
    "police_car": "emergency_vehicle",
    "traffic_signal": "traffic_light", "stoplight": "traffic_light",
    "cyclist": "bicycle", "rider": "bicycle",
}


#: Most problem lines shown per file (the rest are counted).
MAX_LINES_PER_FILE = 30


_EXAMPLES_PER_GROUP = 5      # row numbers listed for one problem value


_GROUPS_PER_CHECK = 8        # distinct problem values listed per file and check


_FETCH_CAP = 2000            # rows fetched per check (the counts come from the database)


_FORMATS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".csv.gz": "csv", ".tsv.gz": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonl.gz": "jsonl", ".json": "json",
}


_STAGE = "_lqa_stage_"


_IMPLICIT = "_lqa_implicit_"


_ARROW_TYPES = {_V: pa.string(), _I: pa.int32(), _D: pa.float64(), _T: pa.timestamp("us")}


class IngestError(ValueError):
    """The load was refused; nothing was written. ``problems`` lists one line per problem."""

    def __init__(self, summary: str, problems: Sequence[str] = ()):
        self.summary = summary
        self.problems = list(problems)
        super().__init__("\n".join([summary, *("  " + p for p in self.problems)]))
