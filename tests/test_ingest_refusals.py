"""Ingest refusals added for issue 10: impossible timestamps, duplicate header columns, the first missing field;
naming file, row and column, nothing loaded."""
from __future__ import annotations

import pytest

from analytics.db import make_engine, table_counts
from analytics.ingest import IngestError, load_files

BAD = ["infinity", "-infinity", "epoch", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "1970-01-01"]


@pytest.mark.parametrize("value", BAD)
def test_non_finite_and_implausible_timestamps_are_refused(value, tmp_path):
    f = tmp_path / "projects.csv"
    f.write_text("project_id,name,client,created_at\n"
                 "p1,One,Acme,2026-05-01 10:00:00\n"
                 f"p2,Two,Acme,{value}\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    with pytest.raises(IngestError) as info:
        load_files(url, [f], table="projects")
    msg = str(info.value)
    assert "projects.csv" in msg and "row 2" in msg and "created_at" in msg, msg
    assert ("not a timestamp" in msg) or ("outside the plausible window" in msg), msg
    db = tmp_path / "db.duckdb"
    assert not db.exists() or table_counts(make_engine(url, read_only=True))["projects"] == 0


def test_the_window_is_configurable(tmp_path, monkeypatch):
    f = tmp_path / "projects.csv"
    f.write_text("project_id,name,client,created_at\np1,Old,Acme,1985-03-04 00:00:00\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    with pytest.raises(IngestError, match="outside the plausible window 2000-01-01"):
        load_files(url, [f], table="projects")
    monkeypatch.setenv("LABELQA_TIMESTAMP_MIN", "1980-01-01")
    load_files(url, [f], table="projects")
    assert table_counts(make_engine(url, read_only=True))["projects"] == 1


def test_duplicate_header_columns_are_refused_naming_both_positions(tmp_path):
    f = tmp_path / "label_classes.csv"
    f.write_text("project_id,label,label\np1,car,bus\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [f], table="label_classes")
    msg = str(info.value)
    assert "label_classes.csv" in msg and "'label' appears 2 times in the header (columns 2, 3)" in msg, msg


def test_too_few_fields_names_the_first_missing_column_in_header_order(tmp_path):
    f = tmp_path / "projects.csv"
    f.write_text("project_id,name,task_type,client\np1,One\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [f], table="projects")
    msg = str(info.value)
    # task_type is the first field the line lacks (the alphabetically first, 'client', was named before)
    assert "too few fields" in msg and "line 2" in msg and "task_type" in msg, msg


def test_whitespace_only_required_id_is_missing(tmp_path):
    f = tmp_path / "projects.csv"
    f.write_text('project_id,name,client\n"   ",One,Acme\n', encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [f], table="projects")
    assert "row 1" in str(info.value) and "project_id" in str(info.value) and "missing value" in str(info.value)


@pytest.mark.parametrize("variant, refused", [(" car", "duplicate"), ("car\u200b", "duplicate"), ("Car", "only by case"),
                                               ("\t", "missing value")])
def test_near_duplicate_labels_are_refused_with_the_existing_one(tmp_path, variant, refused):
    p = tmp_path / "projects.csv"
    p.write_text("project_id,name,client\np1,One,Acme\n", encoding="utf-8")
    f = tmp_path / "label_classes.csv"
    f.write_text(f'project_id,label\np1,car\np1,"{variant}"\n', encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [p, f])
    msg = str(info.value)
    assert "row 2" in msg and refused in msg, msg
    if refused == "only by case":
        assert "use 'car'" in msg
