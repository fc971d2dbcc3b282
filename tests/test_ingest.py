"""``labelqa load``: round trips for every format, mappings, every malformed input (message names file, row,
column; the database is unchanged), all-or-nothing across files, dry run, CLI exit codes. Each database
test runs on DuckDB and on a live PostgreSQL started by the test session."""
from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from analytics.cli import main
from analytics.db import CANONICAL_TABLES, SQL_DIR, ensure_schema, make_engine, table_counts
from analytics.io.ingest import (
    MAX_LINES_PER_FILE,
    PRIMARY_KEYS,
    REQUIRED_COLUMNS,
    TABLE_COLUMNS,
    IngestError,
    infer_table,
    load_files,
    parse_column_options,
    read_mapping,
    suggest_label,
)

FIX = Path(__file__).resolve().parent / "fixtures"
T = dt.datetime

# The taxonomy of the test project: schema_version 1, and version 2 which adds 'scooter'.
V1 = ("car", "bicycle", "motorcycle", "pedestrian", "truck", "van", "bus", "emergency_vehicle")
V2 = V1 + ("scooter",)


@dataclass
class DB:
    url: str
    engine: object

    def rows(self, sql: str, **params) -> list[tuple]:
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql), params)]

    def counts(self) -> dict[str, int]:
        return table_counts(self.engine)


def _seed(engine) -> None:
    with engine.begin() as c:
        c.execute(text("INSERT INTO projects (project_id, name, client) VALUES (:p, :n, :c)"),
                  [{"p": "streetscene", "n": "Street scenes", "c": "Acme Mobility"},
                   {"p": "retail", "n": "Retail shelves", "c": "Shopwise"}])
        c.execute(text("INSERT INTO label_classes (project_id, schema_version, label, tier) VALUES (:p, :v, :l, :t)"),
                  [{"p": "streetscene", "v": v, "l": lab, "t": "critical" if lab == "emergency_vehicle" else "standard"}
                   for v, labels in ((1, V1), (2, V2)) for lab in labels]
                  + [{"p": "retail", "v": 1, "l": lab, "t": "standard"} for lab in ("shelf", "product")])
        c.execute(text("INSERT INTO items (item_id, project_id, split) VALUES (:i, :p, 'train')"),
                  [{"i": i, "p": "streetscene"} for i in ("s1", "s2", "s3", "s4")] + [{"i": "r1", "p": "retail"}])
        c.execute(text("INSERT INTO annotators (annotator_id, team) VALUES ('ann_01', 'team_a')"))
        c.execute(text("INSERT INTO batches (batch_id, project_id, name) VALUES ('b01', 'streetscene', 'batch 1')"))
        c.execute(text("INSERT INTO annotations (annotation_id, item_id, annotator_id, label, created_at) "
                       "VALUES ('seed-1', 's4', 'ann_01', 'van', :t)"), {"t": T(2026, 5, 25, 8)})


@pytest.fixture(scope="session")
def _pg_ingest_db(pg_server):
    """One PostgreSQL database for this module; each test gets its own schema in it (``CREATE DATABASE``
    costs ~0.5 s a test, a schema ~0.05 s)."""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as c:
        c.execute(text('CREATE DATABASE "lqa_ingest_tests"'))
    yield pg_server.rsplit("/", 1)[0] + "/lqa_ingest_tests"
    with admin.connect() as c:
        c.execute(text('DROP DATABASE IF EXISTS "lqa_ingest_tests" WITH (FORCE)'))
    admin.dispose()


def _pg_schema(base_url: str):
    """Create an empty schema; yield its URL (``search_path`` set through the URL's ``options``); drop it."""
    name = "t_" + uuid.uuid4().hex[:12]
    eng = create_engine(base_url, poolclass=NullPool)
    with eng.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{name}"'))
    yield f"{base_url}?options=-csearch_path%3D{name}"
    with eng.begin() as c:
        c.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    eng.dispose()


@pytest.fixture
def pg_schema_url(_pg_ingest_db):
    """URL of an empty schema of the live PostgreSQL, for one test."""
    yield from _pg_schema(_pg_ingest_db)


def _url(request, engine_name: str) -> str:
    return request.getfixturevalue("tmp_duckdb_url" if engine_name == "duckdb" else "pg_schema_url")


def _seeded(url: str):
    eng = make_engine(url)
    ensure_schema(eng)
    _seed(eng)
    return DB(url, eng)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request):
    """A database with the schema, projects streetscene/retail, their taxonomies, items s1..s4 and r1,
    annotator ann_01, batch b01 and one annotation seed-1 (on DuckDB, then on PostgreSQL)."""
    d = _seeded(_url(request, request.param))
    yield d
    d.engine.dispose()


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def unchanged_db(request, tmp_path_factory):
    """The same seeded database, shared by the tests of refused loads on one engine. Every such test asserts
    that the row counts are still SEED_COUNTS afterwards, so a leak fails that test and every later one."""
    if request.param == "duckdb":
        gen = iter([f"duckdb:///{tmp_path_factory.mktemp('ingest') / 'shared.duckdb'}"])
    else:
        gen = _pg_schema(request.getfixturevalue("_pg_ingest_db"))
    d = _seeded(next(gen))
    yield d
    d.engine.dispose()
    next(gen, None)


@pytest.fixture(scope="module")
def duck_db(tmp_path_factory):
    """The same seeded database on DuckDB, for problems found while reading the files (before any
    connection: see test_file_level_problems_are_found_before_connecting)."""
    d = _seeded(f"duckdb:///{tmp_path_factory.mktemp('ingest_files') / 'shared.duckdb'}")
    yield d
    d.engine.dispose()


SEED_COUNTS = {"projects": 2, "label_classes": 19, "annotators": 1, "items": 5, "item_attributes": 0, "batches": 1,
               "annotations": 1, "gold_labels": 0, "reviews": 0, "model_runs": 0, "model_metrics": 0, "predictions": 0, "model_scores": 0}


def _write(path: Path, text_: str) -> Path:
    path.write_text(text_, encoding="utf-8")
    return path


def _annotations_csv(path: Path, rows: list[str]) -> Path:
    return _write(path, "annotation_id,item_id,annotator_id,label,created_at,duration_s\n" + "\n".join(rows) + "\n")


def _good_rows(n: int, start: int = 1) -> list[str]:
    return [f"n{i},s{1 + i % 3},ann_0{1 + i % 2},car,2026-06-01 10:00:00,{i}.5" for i in range(start, start + n)]


# --------------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------------

def test_csv_round_trip(db):
    assert db.counts() == SEED_COUNTS
    counts = load_files(db.url, [FIX / "annotations.csv"])
    # ann_02 and ann_03 are new annotators; ann_01 already exists.
    assert counts == {"annotators": 2, "annotations": 5}
    got = db.rows("SELECT annotation_id, item_id, annotator_id, label, created_at, duration_s, schema_version, "
                  "batch_id, source, model_suggestion, model_confidence FROM annotations "
                  "WHERE annotation_id <> 'seed-1' ORDER BY annotation_id")
    assert got == [
        ("c1", "s1", "ann_01", "car", T(2026, 5, 25, 9, 0), 4.5, 1, "b01", "human", None, None),
        ("c2", "s1", "ann_02", "car", T(2026, 5, 25, 9, 5), 3.0, 1, "b01", "prelabel_accepted", "car", 0.97),
        ("c3", "s2", "ann_01", "bicycle", T(2026, 5, 26), None, 1, None, "human", None, None),
        # +02:00 is converted to UTC
        ("c4", "s2", "ann_03", "motorcycle", T(2026, 5, 26, 10, 0), 2.25, 2, None, "prelabel_edited", "bicycle", 0.55),
        # empty schema_version / source take the schema defaults
        ("c5", "s3", "ann_02", "pedestrian", T(2026, 5, 27, 8, 30, 15, 250000), 10.0, 1, None, "human", None, None),
    ]
    assert db.rows("SELECT annotator_id, team FROM annotators ORDER BY annotator_id") == [
        ("ann_01", "team_a"), ("ann_02", None), ("ann_03", None)]
    after = db.counts()
    assert after == {**SEED_COUNTS, "annotators": 3, "annotations": 6}


def test_parquet_round_trip(db, tmp_path):
    tbl = pacsv.read_csv(FIX / "gold_labels.csv", convert_options=pacsv.ConvertOptions(
        column_types={"created_at": pa.timestamp("us")}))
    path = tmp_path / "gold_labels.parquet"
    pq.write_table(tbl, path)
    assert load_files(db.url, [path]) == {"gold_labels": 3}
    assert db.rows("SELECT item_id, label, source, created_at FROM gold_labels ORDER BY item_id") == [
        ("s1", "car", "expert", T(2026, 6, 1, 12)),
        ("s2", "motorcycle", "adjudicated", T(2026, 6, 2, 12)),
        ("s3", "pedestrian", "honeypot", None),
    ]


def test_parquet_typed_columns_are_checked(db, tmp_path):
    # Parquet with numeric ids (become text) and a string duration that is not a number.
    path = tmp_path / "annotations.parquet"
    pq.write_table(pa.table({
        "annotation_id": pa.array([1, 2], pa.int64()), "item_id": ["s1", "s2"], "annotator_id": ["ann_01", "ann_01"],
        "label": ["car", "van"], "created_at": pa.array([T(2026, 6, 1), T(2026, 6, 2)], pa.timestamp("ms")),
        "duration_s": ["1.5", "slow"]}), path)
    with pytest.raises(IngestError, match=r"annotations\.parquet row 2 column duration_s: 'slow' is not a number"):
        load_files(db.url, [path])
    assert db.counts() == SEED_COUNTS
    pq.write_table(pq.read_table(path).set_column(5, "duration_s", pa.array([1.5, None])), path)
    assert load_files(db.url, [path]) == {"annotations": 2}
    assert db.rows("SELECT annotation_id, created_at, duration_s FROM annotations WHERE annotation_id IN ('1', '2') "
                   "ORDER BY annotation_id") == [("1", T(2026, 6, 1), 1.5), ("2", T(2026, 6, 2), None)]


def test_jsonl_round_trip(db):
    # an Engine works as well as a URL, and a single path as well as a list
    assert load_files(db.engine, FIX / "items.jsonl") == {"items": 3}
    assert db.rows("SELECT item_id, project_id, split, source, created_at FROM items "
                   "WHERE item_id IN ('s10', 's11', '12') ORDER BY item_id") == [
        ("12", "streetscene", None, "cam-rear/0012.jpg", None),   # a JSON number id becomes text
        ("s10", "streetscene", "train", "cam-front/0010.jpg", T(2026, 5, 20, 7)),
        ("s11", "streetscene", "val", None, T(2026, 5, 21, 7)),
    ]


def test_labelstudio_round_trip(db):
    before = db.counts()
    counts = load_files(db.url, [FIX / "labelstudio_export.json"], project="streetscene")
    # 3 tasks -> 3 items; 5 annotations, one cancelled -> 4; annotators 3, 4, 5 are new; project exists.
    assert counts == {"annotators": 3, "items": 3, "annotations": 4}
    assert db.rows("SELECT item_id, project_id, source, created_at FROM items WHERE item_id IN ('101','102','103') "
                   "ORDER BY item_id") == [
        ("101", "streetscene", "s3://streetscene/cam-front/0101.jpg", T(2026, 5, 25, 8, 0, 0)),
        ("102", "streetscene", "s3://streetscene/cam-front/0102.jpg", T(2026, 5, 25, 8, 0, 1)),
        ("103", "streetscene", "s3://streetscene/cam-front/0103.jpg", T(2026, 5, 25, 8, 0, 2)),
    ]
    assert db.rows("SELECT annotation_id, item_id, annotator_id, label, created_at, duration_s, source, "
                   "model_suggestion, model_confidence FROM annotations WHERE item_id IN ('101','102','103') "
                   "ORDER BY annotation_id") == [
        ("9001", "101", "3", "car", T(2026, 5, 25, 10, 0, 0, 123456), 12.5, "human", "car", 0.91),
        ("9002", "101", "4", "bicycle", T(2026, 5, 25, 10, 30), 7.0, "human", "car", 0.91),  # 12:30+02:00
        ("9003", "102", "3", "truck", T(2026, 5, 26, 9, 15), 3.25, "prelabel_edited", "car", 0.6),
        ("9005", "103", "5", "pedestrian", T(2026, 5, 27, 16, 45, 30), None, "prelabel_accepted", "pedestrian", 0.8),
    ]
    # completed_by as an int (3, 5) or an object with id/email (3, 4): same annotator id, email kept.
    assert db.rows("SELECT annotator_id, display_name FROM annotators WHERE annotator_id IN ('3','4','5') "
                   "ORDER BY annotator_id") == [("3", "al@example.com"), ("4", "bo@example.com"), ("5", None)]
    assert db.counts() == {**before, "annotators": before["annotators"] + 3, "items": before["items"] + 3,
                           "annotations": before["annotations"] + 4}


def test_labelstudio_new_project_with_its_taxonomy(db, tmp_path):
    # Without --project the task's "project" field (7) names the project, created if new; its taxonomy
    # comes in the same load.
    lc = _write(tmp_path / "label_classes.csv", "project_id,label\n7,car\n7,bicycle\n7,truck\n7,pedestrian\n")
    counts = load_files(db.url, [lc, FIX / "labelstudio_export.json"])
    assert counts == {"projects": 1, "label_classes": 4, "annotators": 3, "items": 3, "annotations": 4}
    assert db.rows("SELECT project_id, name, client FROM projects WHERE project_id = '7'") == [("7", "7", "")]
    assert db.rows("SELECT COUNT(*) FROM items WHERE project_id = '7'") == [(3,)]


def test_labelstudio_reimport_is_refused(db):
    load_files(db.url, [FIX / "labelstudio_export.json"], project="streetscene")
    before = db.counts()
    with pytest.raises(IngestError, match=r"labelstudio_export\.json task 1 \(id 101\) annotation 1 column "
                                          r"annotations\[\]\.id \(-> annotation_id\): annotation_id '9001' is "
                                          r"already in the database"):
        load_files(db.url, [FIX / "labelstudio_export.json"], project="streetscene")
    assert db.counts() == before


def test_mapping_file_renames_columns(db):
    counts = load_files(db.url, [FIX / "vendor_export.csv"], project="streetscene", mapping=FIX / "vendor_map.toml")
    assert counts == {"annotators": 2, "annotations": 3}
    assert db.rows("SELECT annotation_id, item_id, annotator_id, label, created_at, duration_s FROM annotations "
                   "WHERE annotation_id LIKE 'v-%' ORDER BY annotation_id") == [
        ("v-1", "s1", "w-7", "car", T(2026, 5, 28, 10, 0), 5.5),
        ("v-2", "s2", "w-8", "bicycle", T(2026, 5, 28, 10, 2), 6.0),
        ("v-3", "s3", "w-7", "pedestrian", T(2026, 5, 28, 10, 4), None),
    ]


def test_column_options_rename_and_cli(db, capsys):
    args = ["load", "--db", db.url, "--table", "annotations"]
    for pair in ("label_uuid=annotation_id", "task=item_id", "worker=annotator_id", "answer=label",
                 "submitted=created_at", "secs=duration_s"):
        args += ["--column", pair]
    assert main(args + [str(FIX / "vendor_export.csv")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"loaded 5 rows into .*\n\s+annotators\s+2\n\s+annotations\s+3\n", out)
    assert "ignored columns: comment" in out
    assert db.rows("SELECT label FROM annotations WHERE annotation_id LIKE 'v-%' ORDER BY annotation_id") == [
        ("car",), ("bicycle",), ("pedestrian",)]


def test_dry_run_writes_nothing(db, capsys):
    counts = load_files(db.url, [FIX / "annotations.csv", FIX / "items.jsonl"], dry_run=True)
    assert counts == {"annotators": 2, "items": 3, "annotations": 5}
    assert db.counts() == SEED_COUNTS
    assert main(["load", "--db", db.url, "--dry-run", str(FIX / "annotations.csv")]) == 0
    out = capsys.readouterr().out
    assert "dry run, nothing written; would load 7 rows" in out
    assert db.counts() == SEED_COUNTS
    # the dry-run counts are what a real load then reports
    assert load_files(db.url, [FIX / "annotations.csv", FIX / "items.jsonl"]) == counts


# --------------------------------------------------------------------------------------------------
# Malformed input: message names file, row and column; database unchanged
# --------------------------------------------------------------------------------------------------

def _case_missing_column(tmp):
    p = _write(tmp / "annotations.csv", "annotation_id,item_id,annotator_id,label\nx1,s1,ann_01,car\n")
    return [p], {}, (r"annotations\.csv column created_at: missing required column\(s\) 'created_at' for table "
                     r"annotations; the file has 'annotation_id', 'item_id', 'annotator_id', 'label'")


def _case_wrong_type_row_17(tmp):
    rows = _good_rows(20)
    rows[16] = "n17,s1,ann_01,car,2026-06-01 10:00:00,abc"
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, r"annotations\.csv row 17 column duration_s: 'abc' is not a number"


def _case_bad_timestamp(tmp):
    rows = _good_rows(3)
    rows[1] = "n2,s1,ann_01,car,last tuesday,1"
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"annotations\.csv row 2 column created_at: 'last tuesday' is not a timestamp")


def _case_empty_file(tmp):
    return [_write(tmp / "annotations.csv", "")], {}, r"file \S*annotations\.csv: file is empty"


def _case_header_only(tmp):
    return [_write(tmp / "annotations.csv", "annotation_id,item_id\n")], {}, (
        r"annotations\.csv: no data rows \(only the header: annotation_id, item_id\)")


def _case_duplicate_in_file(tmp):
    rows = _good_rows(4)
    rows[2] = "n1,s2,ann_01,car,2026-06-01 10:00:00,1"
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"annotations\.csv row 3 column annotation_id: duplicate annotation_id 'n1' \(first at row 1\)")


def _case_duplicate_across_files(tmp):
    a = _annotations_csv(tmp / "annotations.csv", _good_rows(2))
    b = _annotations_csv(tmp / "annotations_more.csv", _good_rows(2, start=2))
    return [a, b], {}, (r"annotations_more\.csv row 1 column annotation_id: duplicate annotation_id 'n2' "
                        r"\(first at file \S*annotations\.csv row 2\)")


def _case_duplicate_in_database(tmp):
    rows = _good_rows(2) + ["seed-1,s4,ann_01,van,2026-06-01 10:00:00,1"]
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"annotations\.csv row 3 column annotation_id: annotation_id 'seed-1' is already in the database")


def _case_unknown_item(tmp):
    rows = _good_rows(3)
    rows[1] = "n2,ghost,ann_01,car,2026-06-01 10:00:00,1"
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"annotations\.csv row 2 column item_id: unknown item 'ghost' \(not in the database nor in this load\)")


def _case_taxonomy_synonym(tmp):
    rows = _good_rows(15)
    rows[11] = "n12,s1,ann_01,automobile,2026-06-01 10:00:00,1"
    return [_annotations_csv(tmp / "x.csv", rows)], {"table": "annotations"}, (
        r"file \S*x\.csv row 12 column label: 'automobile' is not in project streetscene's taxonomy "
        r"\(schema_version 1\); did you mean 'car'\?")


def _case_taxonomy_close_match(tmp):
    rows = _good_rows(3) + ["n9,s2,ann_01,pedestrain,2026-06-01 10:00:00,1"]
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"row 4 column label: 'pedestrain' is not in project streetscene's taxonomy \(schema_version 1\); "
        r"did you mean 'pedestrian'\?")


def _case_taxonomy_version(tmp):
    # 'scooter' exists only in schema_version 2
    p = _write(tmp / "annotations.csv", "annotation_id,item_id,annotator_id,label,created_at,schema_version\n"
               "n1,s1,ann_01,scooter,2026-06-01,2\nn2,s1,ann_01,scooter,2026-06-01,1\n")
    return [p], {}, r"row 2 column label: 'scooter' is not in project streetscene's taxonomy \(schema_version 1\)"


def _case_non_utf8(tmp):
    p = tmp / "annotations.csv"
    p.write_bytes(("annotation_id,item_id,annotator_id,label,created_at,duration_s\n"
                   + "\n".join(_good_rows(2)) + "\n").encode()
                  + "n9,s1,ann_01,caf\u00e9,2026-06-01,1\n".encode("latin-1"))
    return [p], {}, r"annotations\.csv line 4 \(data row 3\) column label: not valid UTF-8 text \(byte 0xe9"


def _case_bad_jsonl(tmp):
    p = _write(tmp / "items.jsonl", '{"item_id": "z1", "project_id": "streetscene"}\n{"item_id": "z2", \n')
    return [p], {}, r"items\.jsonl: cannot be read as JSON lines: Malformed JSON"


def _case_unknown_project(tmp):
    p = _write(tmp / "items.csv", "item_id,project_id\nz1,streetscene\nz2,nowhere\n")
    return [p], {}, r"items\.csv row 2 column project_id: unknown project 'nowhere'"


def _case_project_option_mismatch(tmp):
    p = _write(tmp / "items.csv", "item_id,project_id\nz1,streetscene\nz2,retail\n")
    return [p], {"project": "streetscene"}, (
        r"items\.csv row 2 column project_id: 'retail' but --project streetscene was given")


def _case_annotation_on_other_project(tmp):
    rows = _good_rows(1) + ["n5,r1,ann_01,car,2026-06-01 10:00:00,1"]
    return [_annotations_csv(tmp / "annotations.csv", rows)], {"project": "streetscene"}, (
        r"annotations\.csv row 2 column item_id: item 'r1' belongs to project 'retail', not 'streetscene'")


def _case_enum_and_negative(tmp):
    p = _write(tmp / "annotations.csv", "annotation_id,item_id,annotator_id,label,created_at,duration_s,source\n"
               "n1,s1,ann_01,car,2026-06-01,-3,human\nn2,s1,ann_01,car,2026-06-01,1,robot\n")
    return [p], {}, (r"row 1 column duration_s: '-3' is negative(.|\n)*row 2 column source: 'robot' is not one of "
                     r"human, prelabel_accepted")


def _case_missing_value(tmp):
    rows = _good_rows(3)
    rows[2] = "n3,s1,,car,2026-06-01 10:00:00,1"
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"annotations\.csv row 3 column annotator_id: missing value")


def _case_mapped_column_named(tmp):
    p = _write(tmp / "vendor.csv", "label_uuid,task,worker,answer,submitted,secs\nv1,s1,w1,car,2026-06-01,fast\n")
    return [p], {"mapping": FIX / "vendor_map.toml"}, r"vendor\.csv row 1 column secs \(-> duration_s\): 'fast' is not a number"


def _case_malformed_csv_lines(tmp):
    rows = _good_rows(4)
    rows[1] += ",surplus"
    rows[3] = "n4,s1"
    return [_annotations_csv(tmp / "annotations.csv", rows)], {}, (
        r"annotations\.csv line 3: too many fields \(the header has 6\): 'n2,s3,ann_01,car,2026-06-01 10:00:00,2\.5,"
        r"surplus'\n.*annotations\.csv line 5 column annotator_id: too few fields \(the header has 6\): 'n4,s1'")


def _case_two_columns_one_target(tmp):
    p = _write(tmp / "gold_labels.csv", "item_id,label,answer\ns1,car,car\n")
    return [p], {"mapping": {"answer": "label"}}, (
        r"gold_labels\.csv column label: columns 'label', 'answer' all map to 'label'; keep one")


def _case_unknown_table(tmp):
    p = _write(tmp / "stuff.csv", "foo,bar\n1,2\n")
    return [p], {}, r"stuff\.csv: cannot tell which table this file is for \(columns: 'foo', 'bar'\)"


def _case_ls_two_choices(tmp):
    tasks = json.loads((FIX / "labelstudio_export.json").read_text())
    tasks[1]["annotations"][0]["result"][0]["value"]["choices"] = ["car", "truck"]
    p = _write(tmp / "export.json", json.dumps(tasks))
    return [p], {"project": "streetscene"}, (
        r"export\.json task 2 \(id 102\) annotation 1 column result\[\]\.value\.choices: 2 choices \['car', 'truck'\]")


def _case_ls_bad_lead_time(tmp):
    tasks = json.loads((FIX / "labelstudio_export.json").read_text())
    tasks[2]["annotations"][0]["lead_time"] = "n/a"
    p = _write(tmp / "export.json", json.dumps(tasks))
    return [p], {"project": "streetscene"}, (
        r"export\.json task 3 \(id 103\) annotation 1 column lead_time \(-> duration_s\): 'n/a' is not a number")


def _case_ls_unknown_label(tmp):
    tasks = json.loads((FIX / "labelstudio_export.json").read_text())
    tasks[0]["annotations"][1]["result"][0]["value"]["choices"] = ["bike"]
    p = _write(tmp / "export.json", json.dumps(tasks))
    return [p], {"project": "streetscene"}, (
        r"export\.json task 1 \(id 101\) annotation 2 column result\[\]\.value\.choices \(-> label\): 'bike' is not "
        r"in project streetscene's taxonomy \(schema_version 1\); did you mean 'bicycle'\?")


# Problems that need the database (duplicates against it, unknown references, taxonomy): both engines.
DB_CASES = [_case_duplicate_in_file, _case_duplicate_across_files, _case_duplicate_in_database, _case_unknown_item,
            _case_taxonomy_synonym, _case_taxonomy_close_match, _case_taxonomy_version, _case_unknown_project,
            _case_annotation_on_other_project, _case_ls_unknown_label]
# Problems found while reading the files, before any connection is made (see the unreachable-server test).
FILE_CASES = [f for name, f in sorted(globals().items()) if name.startswith("_case_") and f not in DB_CASES]
_ids = lambda f: f.__name__.removeprefix("_case_")  # noqa: E731


def _refused(d: DB, case, tmp_path) -> IngestError:
    paths, kwargs, pattern = case(tmp_path)
    before = d.counts()
    with pytest.raises(IngestError, match=pattern) as info:
        load_files(d.url, paths, **kwargs)
    assert info.value.summary.startswith("nothing loaded (database unchanged)")
    assert str(info.value).splitlines()[0] == info.value.summary
    assert d.counts() == before == SEED_COUNTS
    return info.value


@pytest.mark.parametrize("case", DB_CASES, ids=_ids)
def test_database_level_problem_is_refused_and_nothing_changes(unchanged_db, tmp_path, case):
    err = _refused(unchanged_db, case, tmp_path)
    assert "run once these are fixed" not in str(err)


@pytest.mark.parametrize("case", FILE_CASES, ids=_ids)
def test_file_level_problem_is_refused_and_nothing_changes(duck_db, tmp_path, case):
    err = _refused(duck_db, case, tmp_path)
    assert err.problems[-1].startswith("(checks against the database")


@pytest.mark.parametrize("case", FILE_CASES, ids=_ids)
def test_file_level_problems_are_found_before_connecting(tmp_path, case):
    # An unreachable server: the problem is reported without any connection, so no engine's data can change.
    paths, kwargs, pattern = case(tmp_path)
    with pytest.raises(IngestError, match=pattern):
        load_files("postgresql+psycopg://nobody@127.0.0.1:9/nowhere", paths, **kwargs)


def test_many_bad_rows_give_count_and_first_rows(unchanged_db, tmp_path):
    rows = [f"n{i},s1,ann_01,car,2026-06-01,{'abc' if i % 2 else '1'}" for i in range(1, 401)]
    path = _annotations_csv(tmp_path / "annotations.csv", rows)
    with pytest.raises(IngestError) as info:
        load_files(unchanged_db.url, [path])
    lines = info.value.problems
    # rows 1, 3, 5, 7, 9 shown one by one, then the other 195 counted with their first row numbers
    assert [l.split(": ", 1)[0].rsplit(" ", 3)[-3] for l in lines[:5]] == ["1", "3", "5", "7", "9"]
    assert re.search(r"annotations\.csv column duration_s: 195 more rows with this problem \(11, 13, 15, ", lines[5])
    assert len(lines) == 7  # + the note that database checks run once file problems are fixed
    assert unchanged_db.counts() == SEED_COUNTS


def test_all_problems_of_a_file_are_collected(unchanged_db, tmp_path):
    rows = _good_rows(6)
    rows[1] = "n2,s1,ann_01,car,not-a-date,1"
    rows[3] = "n4,s1,ann_01,car,2026-06-01,twelve"
    rows[4] = "n5,s1,,car,2026-06-01,1"
    with pytest.raises(IngestError) as info:
        load_files(unchanged_db.url, [_annotations_csv(tmp_path / "annotations.csv", rows)])
    msg = str(info.value)
    assert msg.splitlines()[0] == "nothing loaded (database unchanged): 3 problem(s) in 1 file(s): " + \
        f"{tmp_path / 'annotations.csv'} (3)"
    # sorted by row
    assert [re.search(r"row (\d+) column (\w+)", l).groups() for l in info.value.problems[:3]] == [
        ("2", "created_at"), ("4", "duration_s"), ("5", "annotator_id")]


def test_database_problems_of_several_files_are_collected(unchanged_db, tmp_path):
    rows = _good_rows(3)
    rows[0] = "n1,ghost,ann_01,car,2026-06-01,1"
    rows[2] = "seed-1,s1,ann_01,lorry,2026-06-01,1"
    a = _annotations_csv(tmp_path / "annotations.csv", rows)
    g = _write(tmp_path / "gold_labels.csv", "item_id,label\ns1,car\ns2,motorbike\n")
    with pytest.raises(IngestError) as info:
        load_files(unchanged_db.url, [a, g])
    text_ = str(info.value)
    assert "2 file(s)" in text_.splitlines()[0]
    assert re.search(r"annotations\.csv row 1 column item_id: unknown item 'ghost'", text_)
    assert re.search(r"annotations\.csv row 3 column annotation_id: annotation_id 'seed-1' is already in the database", text_)
    assert re.search(r"annotations\.csv row 3 column label: 'lorry' is not in project streetscene's taxonomy "
                     r"\(schema_version 1\); did you mean 'truck'\?", text_)
    assert re.search(r"gold_labels\.csv row 2 column label: 'motorbike' is not in project streetscene's taxonomy; "
                     r"did you mean 'motorcycle'\?", text_)
    assert unchanged_db.counts() == SEED_COUNTS


def test_second_file_bad_first_file_does_not_land(db, tmp_path):
    items = _write(tmp_path / "items.csv", "item_id,project_id\nz1,streetscene\nz2,streetscene\n")
    bad = _annotations_csv(tmp_path / "annotations.csv",
                           ["n1,z1,ann_01,car,2026-06-01,1", "n2,z2,ann_01,automobile,2026-06-01,1"])
    with pytest.raises(IngestError, match=r"annotations\.csv row 2 column label: 'automobile'"):
        load_files(db.url, [items, bad])
    assert db.counts() == SEED_COUNTS
    assert db.rows("SELECT COUNT(*) FROM items WHERE item_id IN ('z1', 'z2')") == [(0,)]
    # a file-level problem in the second file: same outcome
    bad.write_text("annotation_id,item_id\nn1,z1\n")
    with pytest.raises(IngestError, match=r"missing required column"):
        load_files(db.url, [items, bad])
    assert db.counts() == SEED_COUNTS
    # fixed: both land, annotations may refer to items of the same load
    bad = _annotations_csv(tmp_path / "annotations.csv",
                           ["n1,z1,ann_01,car,2026-06-01,1", "n2,z2,ann_01,car,2026-06-01,1"])
    assert load_files(db.url, [items, bad]) == {"items": 2, "annotations": 2}


def test_problem_lines_are_capped_per_file(unchanged_db, tmp_path):
    # 20 unknown items, 20 unknown labels, 20 unknown batches, 20 duplicated ids: 4 checks x (8 values shown
    # + 1 "more rows" line) = 36 lines, more than the cap
    head = "annotation_id,item_id,annotator_id,label,created_at,batch_id\n"
    rows = [f"g{i},ghost{i},ann_01,car,2026-06-01," for i in range(20)]
    rows += [f"l{i},s1,ann_01,label{i},2026-06-01," for i in range(20)]
    rows += [f"b{i},s1,ann_01,car,2026-06-01,batch{i}" for i in range(20)]
    rows += [f"d{i % 20},s2,ann_01,car,2026-06-01," for i in range(40)]
    with pytest.raises(IngestError) as info:
        load_files(unchanged_db.url, [_write(tmp_path / "annotations.csv", head + "\n".join(rows) + "\n")])
    lines = info.value.problems
    assert len(lines) == MAX_LINES_PER_FILE + 1
    assert re.fullmatch(r"file \S+annotations\.csv: 6 more problem\(s\) not shown", lines[-1])
    assert info.value.summary.endswith("36 problem(s) in 1 file(s): " + str(tmp_path / "annotations.csv") + " (36)")
    assert any(re.search(r"column item_id: 12 more rows referring to unknown items", l) for l in lines)
    assert unchanged_db.counts() == SEED_COUNTS


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------

def test_cli_error_exit_code_and_message(unchanged_db, tmp_path, capsys):
    rows = _good_rows(20)
    rows[16] = "n17,s1,ann_01,car,2026-06-01 10:00:00,abc"
    path = _annotations_csv(tmp_path / "annotations.csv", rows)
    assert main(["load", "--db", unchanged_db.url, str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0] == f"labelqa load: error: nothing loaded (database unchanged): 1 problem(s) in 1 file(s): {path} (1)"
    assert lines[1] == f"  file {path} row 17 column duration_s: 'abc' is not a number"
    assert "Traceback" not in err
    assert unchanged_db.counts() == SEED_COUNTS


def test_cli_success_and_map_option(db, capsys):
    code = main(["load", "--db", db.url, "--project", "streetscene", "--map", str(FIX / "vendor_map.toml"),
                 str(FIX / "vendor_export.csv")])
    assert code == 0
    out = capsys.readouterr().out
    assert "vendor_export.csv: csv -> 3 annotations; ignored columns: comment" in out
    assert db.counts()["annotations"] == SEED_COUNTS["annotations"] + 3


def test_cli_bad_mapping_file_exits_2(unchanged_db, tmp_path, capsys):
    m = _write(tmp_path / "map.toml", "[annotatons]\nworker = \"annotator_id\"\n[annotations]\nx = \"colour\"\n")
    assert main(["load", "--db", unchanged_db.url, "--map", str(m), str(FIX / "vendor_export.csv")]) == 2
    err = capsys.readouterr().err
    assert "[annotatons] is not a canonical table" in err
    assert "x = 'colour': 'colour' is not a column of table annotations" in err
    assert main(["load", "--db", unchanged_db.url, "--column", "worker", str(FIX / "vendor_export.csv")]) == 2
    assert "expected SOURCE=CANONICAL" in capsys.readouterr().err
    assert unchanged_db.counts() == SEED_COUNTS


# --------------------------------------------------------------------------------------------------
# Helpers, contracts
# --------------------------------------------------------------------------------------------------

def test_table_columns_mirror_schema_sql(tmp_duckdb_url):
    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    with eng.connect() as c:
        got = {}
        for t in CANONICAL_TABLES:
            got[t] = {r[0]: r[1] for r in c.execute(text(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t "
                "ORDER BY ordinal_position"), {"t": t})}
        nn = {(r[0], r[1]) for r in c.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE is_nullable = 'NO' "
            "AND column_default IS NULL"))}
    eng.dispose()
    duck = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DOUBLE PRECISION": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}
    assert {t: {c: duck[ty] for c, ty in cols.items()} for t, cols in TABLE_COLUMNS.items()} == got
    assert {(t, c) for t, cols in REQUIRED_COLUMNS.items() for c in cols} == {x for x in nn if x[0] in TABLE_COLUMNS}
    assert set(PRIMARY_KEYS) == set(CANONICAL_TABLES) - {"model_metrics"}


def test_infer_table():
    assert infer_table("data/gold_labels.parquet", []) == "gold_labels"
    assert infer_table("annotations_2026-05.csv", []) == "annotations"
    assert infer_table("items.jsonl", []) == "items"
    assert infer_table("item_attributes.csv", []) == "item_attributes"
    assert infer_table("export.csv", ["item_id", "label"]) == "gold_labels"
    assert infer_table("export.csv", ["Annotation_ID", "item_id", "annotator_id", "label", "created_at"]) == "annotations"
    assert infer_table("export.csv", ["run_id", "item_id", "predicted_label"]) == "predictions"
    assert infer_table("export.csv", ["item_id"]) is None
    assert infer_table("export.csv", ["item_id"], project="p") == "items"
    assert infer_table("export.csv", ["task", "answer"], {"*": {"task": "item_id", "answer": "label"}}) == "gold_labels"


def test_mapping_parsing(tmp_path):
    assert read_mapping(FIX / "vendor_map.toml")["annotations"]["worker"] == "annotator_id"
    assert parse_column_options(["a=item_id", " b = label "]) == {"a": "item_id", "b": "label"}
    with pytest.raises(IngestError, match="not a column of any table"):
        parse_column_options(["a=colour"])
    with pytest.raises(IngestError, match="not valid TOML"):
        read_mapping(_write(tmp_path / "m.toml", "[annotations\n"))
    with pytest.raises(IngestError, match="not found"):
        read_mapping(tmp_path / "missing.toml")


@pytest.mark.parametrize("label, expected", [
    ("automobile", "car"), ("Car", "car"), ("bike", "bicycle"), ("motorbike", "motorcycle"),
    ("person", "pedestrian"), ("lorry", "truck"), ("Emergency Vehicle", "emergency_vehicle"),
    ("pedestrain", "pedestrian"), ("trucks", "truck"), ("zebra", None),
])
def test_suggest_label(label, expected):
    assert suggest_label(label, V1) == expected


def test_suggest_label_needs_the_target_in_the_taxonomy():
    assert suggest_label("lorry", ("car", "bus")) is None  # truck is not known: no synonym suggestion


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghij_", min_size=1, max_size=8), min_size=1, max_size=6, unique=True),
       st.text(alphabet="abcdefghij_ -", max_size=10))
def test_suggest_label_properties(known, label):
    got = suggest_label(label, known)
    assert got is None or got in known           # only ever suggests a known label
    assert suggest_label(known[0], known) == known[0]  # a known label suggests itself


# --------------------------------------------------------------------------------------------------
# sql/views: a user's differently-named tables mapped onto the canonical names
# --------------------------------------------------------------------------------------------------

_VENDOR_TABLES = """
CREATE TABLE vendor_projects (dataset VARCHAR, customer VARCHAR)
;
CREATE TABLE vendor_classes (dataset VARCHAR, class_name VARCHAR, taxonomy_rev INTEGER, is_critical BOOLEAN)
;
CREATE TABLE vendor_workers (worker_email VARCHAR, full_name VARCHAR, squad VARCHAR)
;
CREATE TABLE vendor_tasks (task_uid VARCHAR, dataset VARCHAR, split_name VARCHAR, uploaded TIMESTAMP)
;
CREATE TABLE vendor_labels (label_uid VARCHAR, task_uid VARCHAR, worker_email VARCHAR, answer VARCHAR,
                            submitted_at TIMESTAMP, seconds_spent DOUBLE PRECISION, taxonomy_rev INTEGER)
;
CREATE TABLE vendor_truth (task_uid VARCHAR, answer VARCHAR, decided_at TIMESTAMP)
;
INSERT INTO vendor_projects VALUES ('streetscene', 'Acme Mobility')
;
INSERT INTO vendor_classes VALUES ('streetscene', 'car', 1, FALSE), ('streetscene', 'ambulance', 1, TRUE)
;
INSERT INTO vendor_workers VALUES ('al@example.com', 'Al', 'team_a'), ('bo@example.com', 'Bo', 'team_b')
;
INSERT INTO vendor_tasks VALUES ('t1', 'streetscene', 'train', '2026-05-20 00:00:00'), ('t2', 'streetscene', 'val', NULL)
;
INSERT INTO vendor_labels VALUES ('l1', 't1', 'al@example.com', 'car', '2026-05-25 10:00:00', 4.0, 1),
  ('l2', 't1', 'bo@example.com', 'car', '2026-05-25 11:00:00', 5.0, 1),
  ('l3', 't2', 'bo@example.com', 'ambulance', '2026-05-26 09:00:00', NULL, 1)
;
INSERT INTO vendor_truth VALUES ('t2', 'ambulance', '2026-06-01 00:00:00')
"""


def _run_statements(engine, script: str) -> None:
    with engine.begin() as c:
        for stmt in script.split("\n;\n"):
            body = "\n".join(l for l in stmt.splitlines() if not l.strip().startswith("--")).strip().rstrip(";")
            if body:
                c.execute(text(body))


@pytest.mark.parametrize("engine_name", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_example_views_map_vendor_tables_onto_canonical_names(request, engine_name):
    url = _url(request, engine_name)
    eng = make_engine(url)
    _run_statements(eng, _VENDOR_TABLES)
    _run_statements(eng, (SQL_DIR / "views" / "example_vendor.sql").read_text(encoding="utf-8"))
    assert table_counts(eng) == {"projects": 1, "label_classes": 2, "annotators": 2, "items": 2, "item_attributes": 0,
                                 "batches": 0, "annotations": 3, "gold_labels": 1, "reviews": 0, "model_runs": 0,
                                 "model_metrics": 0, "predictions": 0, "model_scores": 0}
    with eng.connect() as c:
        got = [tuple(r) for r in c.execute(text(
            "SELECT a.annotation_id, a.item_id, a.annotator_id, n.team, a.label, a.created_at, a.duration_s, "
            "a.schema_version, a.source, i.project_id, c.tier FROM annotations a JOIN items i ON i.item_id = a.item_id "
            "JOIN annotators n ON n.annotator_id = a.annotator_id JOIN label_classes c ON c.project_id = i.project_id "
            "AND c.schema_version = a.schema_version AND c.label = a.label ORDER BY a.annotation_id"))]
    assert got == [
        ("l1", "t1", "al@example.com", "team_a", "car", T(2026, 5, 25, 10), 4.0, 1, "human", "streetscene", "standard"),
        ("l2", "t1", "bo@example.com", "team_b", "car", T(2026, 5, 25, 11), 5.0, 1, "human", "streetscene", "standard"),
        ("l3", "t2", "bo@example.com", "team_b", "ambulance", T(2026, 5, 26, 9), None, 1, "human", "streetscene",
         "critical"),
    ]
    eng.dispose()


# --------------------------------------------------------------------------------------------------
# Optional realistic check on the demo database (skipped while analytics.demo does not exist)
# --------------------------------------------------------------------------------------------------

def test_demo_round_trip(request, tmp_path, tmp_duckdb_url):
    """Export the demo's tables to Parquet/CSV/JSONL and load them into an empty database: every check passes,
    every table's row count and the annotation label counts come back identical."""
    pytest.importorskip("analytics.demo")
    src = make_engine(request.getfixturevalue("demo_url"), read_only=True)
    files = []
    with src.connect() as c:
        for i, t in enumerate(CANONICAL_TABLES):
            df = __import__("pandas").read_sql(text(f"SELECT * FROM {t}"), c)
            if df.empty:
                continue
            path = tmp_path / f"{t}.{('parquet', 'csv', 'jsonl')[i % 3]}"
            if path.suffix == ".parquet":
                df.to_parquet(path)
            elif path.suffix == ".csv":
                df.to_csv(path, index=False)
            else:
                df.to_json(path, orient="records", lines=True, date_format="iso")
            files.append(path)
        expected_labels = sorted(tuple(r) for r in c.execute(text("SELECT label, COUNT(*) FROM annotations GROUP BY label")))
    expected = table_counts(src)
    src.dispose()
    counts = load_files(tmp_duckdb_url, files)
    dst = make_engine(tmp_duckdb_url)
    assert table_counts(dst) == expected
    assert {t: n for t, n in counts.items()} == {t: n for t, n in expected.items() if n}
    with dst.connect() as c:
        assert sorted(tuple(r) for r in c.execute(text("SELECT label, COUNT(*) FROM annotations GROUP BY label"))) == expected_labels
    dst.dispose()
