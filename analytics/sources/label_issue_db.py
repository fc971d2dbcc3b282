"""Likely label errors per annotator, team, week and batch, and an annotator's flagged labels, from the database
(issue 14 sec. 1). SQL aggregates the annotations of the scored items (``sql/label_errors_shares.sql``) with the
flagged items bound as one array (from :func:`analytics.sources.label_errors_db.label_errors_from_db`); Python adds
the Wilson intervals (:func:`analytics.metrics.label_issue_shares.issue_shares`). Array parameters need DuckDB or
PostgreSQL, as for the confident-learning queries."""
from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics.filters import Filters
from analytics.metrics.label_errors import LabelErrors
from analytics.sources.label_errors_db import read_scoped as _read
from analytics.metrics.label_issue_shares import gold_overlap, issue_shares

__all__ = ["label_issue_shares_from_db", "annotator_flagged_labels_from_db", "gold_overlap_from_db"]


def label_issue_shares_from_db(engine: Engine | Connection, filters: Filters, run_id: str, res: LabelErrors,
                               confidence: float = 0.95, small_n: int = 30) -> pd.DataFrame:
    """Per annotator / team / week / batch: annotations of scored items ``n``, flagged labels ``k``, their share
    with a Wilson interval (``issue_shares``). ``res``: the label errors of the same filters and run."""
    counts = _read(engine, "label_errors_shares", {**filters.params(), "run_id": run_id,
                                                    "flagged_items": [str(x) for x in res.issues["item_id"]]})
    return issue_shares(counts, confidence, small_n)


def annotator_flagged_labels_from_db(engine: Engine | Connection, filters: Filters, run_id: str, res: LabelErrors,
                                     annotator_id: str) -> pd.DataFrame:
    """The annotator's flagged labels: ``annotation_id, item_id, label, suggested_label, score, created_at,
    batch_id`` (their annotations of flagged items that gave the likely-wrong given label), lowest score first."""
    rows = _read(engine, "label_errors_annotator_flags", {**filters.params(), "run_id": run_id,
                                                           "annotator_id": str(annotator_id),
                                                           "flagged_items": [str(x) for x in res.issues["item_id"]]})
    iss = res.issues[["item_id", "suggested_label", "score"]].astype({"item_id": str})
    out = rows.astype({"item_id": str}).merge(iss, on="item_id", how="left")
    cols = ["annotation_id", "item_id", "label", "suggested_label", "score", "created_at", "batch_id"]
    return out[cols].sort_values(["score", "annotation_id"], kind="stable").reset_index(drop=True)


def gold_overlap_from_db(engine: Engine | Connection, filters: Filters, run_id: str, res: LabelErrors,
                         confidence: float = 0.95) -> dict:
    """:func:`analytics.metrics.label_issue_shares.gold_overlap` of the flags of ``res`` on the scored gold items
    (``sql/label_errors_gold_overlap.sql``): precision of the flags and recall of the gold-known errors."""
    counts = _read(engine, "label_errors_gold_overlap", {**filters.params(), "run_id": run_id,
                                                          "flagged_items": [str(x) for x in res.issues["item_id"]]})
    return gold_overlap(counts, confidence)
