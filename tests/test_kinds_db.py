"""Spans, boxes and multilabel in the database (issue 13): the tables each kind declares (created by
ensure_schema), ``labelqa load`` of their files (all or nothing, problems naming file, row and column) and the SQL
sufficient statistics whose figures equal the file path's on the same data."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import text

from analytics import kinds
from analytics.db import ensure_schema, make_engine, schema_scripts
from analytics.io.ingest import IngestError, load_files
from analytics.io.ingest.mapping import infer_table

_DUCK = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DOUBLE PRECISION": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}
_KIND_TABLES = {
    "spans": {"span_annotations", "span_texts", "gold_spans"},
    "boxes": {"box_annotations", "box_images", "gold_boxes"},
    "multilabel": {"multilabel_annotations", "gold_label_sets"},
}


def _columns(eng, table):
    with eng.connect() as c:
        return {r[0]: r[1] for r in c.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t "
            "ORDER BY ordinal_position"), {"t": table})}


def _rows(url, sql):
    eng = make_engine(url, read_only=True)
    with eng.connect() as c:
        out = [tuple(r) for r in c.execute(text(sql))]
    eng.dispose()
    return out


def _write(path, df):
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_csv(path, index=False)
    return path


def test_ensure_schema_creates_each_kinds_declared_tables(tmp_duckdb_url):
    for k in _KIND_TABLES:
        assert f"{k}_schema" in schema_scripts()
    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    ensure_schema(eng)  # idempotent
    for k, tables in _KIND_TABLES.items():
        declared = kinds.get(k).table_columns()
        assert set(declared) == tables
        for table, cols in declared.items():
            assert _columns(eng, table) == {c: _DUCK[t] for c, t in cols.items()}, table
    eng.dispose()


def test_classification_files_are_still_inferred_as_before():
    # a kind table never wins a tie against a canonical one
    assert infer_table("x.csv", ["annotation_id", "item_id", "annotator_id", "label", "created_at"]) == "annotations"
    assert infer_table("x.csv", ["item_id", "label"]) == "gold_labels"
    assert infer_table("x.csv", ["item_id", "label", "source", "created_at"]) == "gold_labels"
    assert infer_table("x.csv", ["item_id", "project_id", "split"]) == "items"
    assert infer_table("annotations.csv", ["whatever"]) == "annotations"
    # the kinds' tables: by name, or by their own columns
    assert infer_table("multilabel_annotations.csv", ["item_id"]) == "multilabel_annotations"
    assert infer_table("x.csv", ["annotation_id", "item_id", "annotator_id", "label", "x", "y", "width",
                                 "height"]) == "box_annotations"
    assert infer_table("x.csv", ["item_id", "image_width", "image_height"]) == "box_images"
