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


@pytest.mark.parametrize("text, kind", [
    ("5", "a number (5)"), ("null", "null (null)"), ('"car"', 'a string ("car")'), ("[[1, 2]]", "an array ([1, 2])"),
])
def test_json_records_that_are_not_objects_are_named(text, kind, tmp_path):
    f = tmp_path / "gold_labels.json"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [f])
    msg = str(info.value)
    assert f"gold_labels.json record 1: {kind}, not an object with named fields" in msg, msg
    assert "the file has  (" not in msg  # the old message listed an empty set of columns


def test_a_json_array_names_each_non_object_record(tmp_path):
    f = tmp_path / "gold_labels.jsonl"
    f.write_text('{"item_id": "a", "label": "car"}\n7\n{"item_id": "b", "label": "bus"}\n[1]\n', encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [f])
    msg = str(info.value)
    assert "record 2: a number (7)" in msg and "record 4: an array ([1])" in msg and "record 1:" not in msg, msg


def test_invalid_utf8_inside_a_gzipped_csv_names_line_and_column(tmp_path):
    import gzip

    f = tmp_path / "projects.csv.gz"
    with gzip.open(f, "wb") as fh:
        fh.write(b"project_id,name,client\np1,One,Acme\np2,Caf\xe9,Acme\n")
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [f], table="projects")
    msg = str(info.value)
    assert "projects.csv.gz line 3 (data row 2) column name: not valid UTF-8 text (byte 0xe9" in msg, msg
    assert "codec can't decode" not in msg and "position" not in msg, msg


def _nul_file(tmp_path):
    f = tmp_path / "projects.csv"
    f.write_bytes(b"project_id,name,client\np1,One,Acme\np2,Tw\x00o,Acme\n")
    return f


def test_nul_bytes_are_refused_naming_row_and_column(tmp_path):
    with pytest.raises(IngestError) as info:
        load_files(f"duckdb:///{tmp_path / 'db.duckdb'}", [_nul_file(tmp_path)], table="projects")
    msg = str(info.value)
    assert "projects.csv row 2 column name: 'Tw\\x00o' contains a NUL character" in msg, msg


def test_nul_bytes_on_postgresql_are_refused_before_the_server_sees_them(tmp_path, pg_url):
    with pytest.raises(IngestError) as info:
        load_files(pg_url, [_nul_file(tmp_path)], table="projects")
    msg = str(info.value)
    assert "projects.csv row 2 column name" in msg and "NUL character" in msg, msg
    import sqlalchemy as sa

    engine = make_engine(pg_url, read_only=True)
    if sa.inspect(engine).has_table("projects"):  # nothing written: no table at all, or an empty one
        assert table_counts(engine)["projects"] == 0
