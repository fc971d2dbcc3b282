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
from dbutil import open_dashboard_page, write_table

_DUCK = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DOUBLE PRECISION": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}
_KIND_TABLES = {
    "spans": {"span_annotations", "span_texts", "gold_spans", "span_reviews"},
    "boxes": {"box_annotations", "box_images", "gold_boxes", "box_reviews"},
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


# --------------------------------------------------------------------------------------------------
# labelqa load: tabular files, Label Studio, COCO; all or nothing with file, row and column
# --------------------------------------------------------------------------------------------------

TEXTS = {"d1": "Alice met Bob in Paris.", "d2": "Acme Corp hired Carol."}
SPANS = pd.DataFrame([
    ("s1", "d1", "a1", 0, 5, "PER", "Alice", "2026-06-01 10:00:00", "b1"),
    ("s2", "d1", "a1", 10, 13, "PER", "Bob", "2026-06-01 10:00:00", "b1"),
    ("s3", "d1", "a1", 17, 22, "LOC", "Paris", "2026-06-01 10:00:00", "b1"),
    ("s4", "d1", "a2", 0, 5, "PER", "Alice", "2026-06-02 10:00:00", "b1"),
    ("s5", "d1", "a2", 17, 22, "ORG", "Paris", "2026-06-02 10:00:00", "b1"),
    ("s6", "d2", "a1", 0, 9, "ORG", "Acme Corp", "2026-06-09 10:00:00", "b2"),
    ("s7", "d2", "a2", 0, 4, "ORG", "Acme", "2026-06-09 10:00:00", "b2"),
    ("s8", "d2", "a2", 16, 21, "PER", "Carol", "2026-06-09 10:00:00", "b2"),
    ("s9", "d2", "a3", None, None, None, None, "2026-06-09 11:00:00", "b2"),
], columns=["annotation_id", "item_id", "annotator_id", "start", "end", "label", "text", "created_at", "batch_id"])
GOLD_SPANS = pd.DataFrame([("d1", 0, 5, "PER"), ("d1", 10, 13, "PER"), ("d1", 17, 22, "LOC"),
                           ("d2", 0, 9, "ORG"), ("d2", 16, 21, "PER")], columns=["item_id", "start", "end", "label"])
BOXES = pd.DataFrame([
    ("b1", "i1", "a1", "car", 10, 10, 50, 40, "2026-06-01 10:00:00", "b1"),
    ("b2", "i1", "a1", "person", 100, 20, 20, 60, "2026-06-01 10:00:00", "b1"),
    ("b3", "i1", "a2", "car", 12, 11, 48, 40, "2026-06-01 11:00:00", "b1"),
    ("b4", "i1", "a2", "bicycle", 101, 22, 19, 58, "2026-06-01 11:00:00", "b1"),
    ("b5", "i2", "a1", "car", 0, 0, 30, 30, "2026-06-08 10:00:00", "b2"),
    ("b6", "i2", "a2", "car", 1, 1, 28, 28, "2026-06-08 10:00:00", "b2"),
    ("b7", "i2", "a2", "person", 150, 50, 10, 30, "2026-06-08 10:00:00", "b2"),
], columns=["annotation_id", "item_id", "annotator_id", "label", "x", "y", "width", "height", "created_at",
            "batch_id"])
GOLD_BOXES = pd.DataFrame([("i1", "car", 10, 10, 50, 40), ("i1", "person", 100, 20, 20, 60),
                           ("i2", "car", 0, 0, 30, 30), ("i2", "person", 150, 50, 10, 30)],
                          columns=["item_id", "label", "x", "y", "width", "height"])
SETS = pd.DataFrame([
    ("m1", "t1", "a1", "news"), ("m1", "t1", "a1", "sport"), ("m2", "t1", "a2", "sport"),
    ("m3", "t2", "a1", "politics"), ("m4", "t2", "a2", "politics"), ("m4", "t2", "a2", "news"),
    ("m5", "t3", "a1", None), ("m6", "t3", "a2", None), ("m7", "t3", "a3", "sport"),
], columns=["annotation_id", "item_id", "annotator_id", "label"]).assign(created_at="2026-06-01 10:00:00")
GOLD_SETS = pd.DataFrame([("t1", "sport"), ("t1", "news"), ("t2", "politics"), ("t3", None)],
                         columns=["item_id", "label"])


def _base(tmp_path, url):
    load_files(url, [write_table(tmp_path / "projects.csv", pd.DataFrame({
        "project_id": ["ner", "det", "tag", "cls"], "name": ["N", "D", "T", "C"], "client": ["X"] * 4,
        "task_type": ["spans", "boxes", "multilabel", "classification"]}))])
    items = pd.DataFrame({"item_id": list(TEXTS) + ["i1", "i2", "t1", "t2", "t3", "c1"],
                          "project_id": ["ner"] * 2 + ["det"] * 2 + ["tag"] * 3 + ["cls"]})
    load_files(url, [write_table(tmp_path / "items.csv", items)])


@pytest.fixture
def regions(tmp_path, tmp_duckdb_url):
    """Projects ner (spans), det (boxes), tag (multilabel), cls (classification) with the frames above loaded."""
    _load_regions(tmp_path, tmp_duckdb_url)
    return tmp_path, tmp_duckdb_url


def _load_regions(tmp_path, url):
    _base(tmp_path, url)
    counts = load_files(url, [
        write_table(tmp_path / "span_texts.csv", pd.DataFrame({"item_id": list(TEXTS), "text": list(TEXTS.values())})),
        write_table(tmp_path / "spans.parquet", SPANS.astype({"start": "Int64", "end": "Int64"})),
        write_table(tmp_path / "gold_spans.csv", GOLD_SPANS),
        write_table(tmp_path / "box_annotations.csv", BOXES),
        write_table(tmp_path / "box_images.csv", pd.DataFrame({"item_id": ["i1", "i2"], "image_width": [200, 200],
                                                            "image_height": [100, 100]})),
        write_table(tmp_path / "gold_boxes.jsonl", GOLD_BOXES),
        write_table(tmp_path / "multilabel_annotations.csv", SETS),
        write_table(tmp_path / "gold_label_sets.csv", GOLD_SETS),
    ])
    assert counts == {"annotators": 3, "span_annotations": 9, "span_texts": 2, "gold_spans": 5,
                      "box_annotations": 7, "box_images": 2, "gold_boxes": 4, "multilabel_annotations": 9,
                      "gold_label_sets": 4}


def test_tabular_files_load(regions):
    _, url = regions
    assert _rows(url, "SELECT annotation_id, span_start, span_end, label, text FROM span_annotations "
                      "WHERE item_id = 'd1' ORDER BY annotation_id")[:2] == [
        ("s1", 0, 5, "PER", "Alice"), ("s2", 10, 13, "PER", "Bob")]
    assert _rows(url, "SELECT COUNT(*) FROM span_annotations WHERE label IS NULL") == [(1,)]
    assert _rows(url, "SELECT DISTINCT unit FROM box_annotations") == [("px",)]
    assert _rows(url, "SELECT label FROM gold_label_sets WHERE item_id = 't3'") == [(None,)]


_SNAP = ("SELECT (SELECT COUNT(*) FROM span_annotations), (SELECT COUNT(*) FROM box_annotations), "
         "(SELECT COUNT(*) FROM multilabel_annotations), (SELECT COUNT(*) FROM annotators), "
         "(SELECT COUNT(*) FROM items)")


def _refused(url, files, **kw) -> str:
    before = _rows(url, _SNAP)
    with pytest.raises(IngestError) as exc:
        load_files(url, files, **kw)
    assert _rows(url, _SNAP) == before  # all or nothing
    return str(exc.value) + "\n" + "\n".join(getattr(exc.value, "problems", []) or [])


def _span_row(**kw):
    row = {"annotation_id": "x1", "item_id": "d1", "annotator_id": "a9", "start": 0, "end": 5, "label": "PER",
           "text": "Alice"}
    row.update(kw)
    return pd.DataFrame([row])


@pytest.mark.parametrize("row, messages", [
    (dict(start=5, end=5, text=None), ["row 1", "column end (-> span_end)", "end 5 <= start 5"]),
    (dict(start=-1, text=None), ["row 1", "column start (-> span_start)", "-1 is negative"]),
    (dict(start=20, end=30, text=None), ["row 1", "column end (-> span_end)", "ends outside the text of item 'd1'",
                                         "23 characters"]),
    (dict(text="Alica"), ["row 1", "column text", "'Alica' does not match the offsets 0-5", "'Alice' there"]),
    (dict(text="Ali"), ["row 1", "column text", "has 3 characters but the offsets 0-5 cover 5"]),
    (dict(item_id="i1"), ["row 1", "column item_id", "project 'det' of task_type 'boxes', not 'spans'"]),
    (dict(end=None, text=None), ["row 1", "column end (-> span_end)", "missing offset"]),
])
def test_span_refusals_name_file_row_column(regions, row, messages):
    tmp_path, url = regions
    msg = _refused(url, [write_table(tmp_path / "span_annotations_new.csv", _span_row(**row))])
    assert "span_annotations_new.csv" in msg
    for m in messages:
        assert m in msg, (m, msg)


def test_unknown_labels_get_a_suggestion(regions):
    tmp_path, url = regions
    load_files(url, [write_table(tmp_path / "label_classes.csv", pd.DataFrame({
        "project_id": ["det"] * 3 + ["ner"] * 3, "label": ["car", "person", "bicycle", "PER", "LOC", "ORG"]}))])
    msg = _refused(url, [write_table(tmp_path / "box_annotations_2.csv", BOXES.assign(
        annotation_id=lambda d: d.annotation_id + "x", label=["car", "Persons", "car", "car", "car", "car", "car"]))])
    assert "row 2" in msg and "column label" in msg and "'Persons' is not in project det's taxonomy" in msg
    assert "did you mean 'person'?" in msg
    msg = _refused(url, [write_table(tmp_path / "span_annotations_2.csv", _span_row(label="PERS"))])
    assert "'PERS' is not in project ner's taxonomy; did you mean 'PER'?" in msg


@pytest.mark.parametrize("row, messages", [
    (dict(width=-5), ["row 1", "column width", "-5 is negative: a box's width must be positive"]),
    (dict(height=0), ["row 1", "column height", "0 is zero"]),
    (dict(x=190), ["row 1", "column width", "extends outside image 'i1': x + width = 240 > image_width 200"]),
    (dict(y=-3), ["row 1", "column y", "starts outside the image"]),
    (dict(unit="percent", x=90), ["row 1", "column width", "x + width = 140% > 100%"]),
    (dict(unit="cm"), ["row 1", "column unit", "'cm' is not one of px, percent"]),
])
def test_box_refusals_name_file_row_column(regions, row, messages):
    tmp_path, url = regions
    base = {"annotation_id": "z1", "item_id": "i1", "annotator_id": "a9", "label": "car", "x": 10, "y": 10,
            "width": 50, "height": 40}
    base.update(row)
    msg = _refused(url, [write_table(tmp_path / "box_annotations_new.csv", pd.DataFrame([base]))])
    assert "box_annotations_new.csv" in msg
    for m in messages:
        assert m in msg, (m, msg)


def test_multilabel_refusals(regions):
    tmp_path, url = regions
    bad = pd.DataFrame([("n1", "t1", "a9", "news"), ("n1", "t1", "a9", "news"), ("n2", "t2", "a9", "sport"),
                        ("n2", "t2", "a9", None)], columns=["annotation_id", "item_id", "annotator_id", "label"])
    msg = _refused(url, [write_table(tmp_path / "multilabel_annotations_x.csv", bad)])
    assert "row 2" in msg and "'news' is twice in annotation 'n1'" in msg
    assert "row 4" in msg and "empty set" in msg


def _ls_span_export():
    def span(s, e, lab, txt):
        return {"type": "labels", "from_name": "label", "to_name": "text",
                "value": {"start": s, "end": e, "labels": [lab], "text": txt}}
    return [
        {"id": 101, "data": {"text": "Alice met Bob."}, "annotations": [
            {"id": 1, "completed_by": 7, "result": [span(0, 5, "PER", "Alice"), span(10, 13, "PER", "Bob")]},
            {"id": 2, "completed_by": {"id": 8, "email": "b@x"}, "result": [span(0, 5, "PER", "Alice")]},
            {"id": 3, "completed_by": 9, "ground_truth": True,
             "result": [span(0, 5, "PER", "Alice"), span(10, 13, "PER", "Bob")]}]},
        {"id": 102, "data": {"text": "Paris."}, "annotations": [
            {"id": 4, "completed_by": 7, "result": []},
            {"id": 5, "completed_by": 8, "was_cancelled": True, "result": []}]},
    ]


def test_label_studio_span_export_loads_spans_texts_and_gold(regions):
    tmp_path, url = regions
    p = tmp_path / "ls_spans.json"
    p.write_text(json.dumps(_ls_span_export()))
    counts = load_files(url, [p], project="ner")
    assert counts == {"annotators": 2, "items": 2, "span_annotations": 4, "span_texts": 2, "gold_spans": 2}
    assert _rows(url, "SELECT annotation_id, item_id, annotator_id, span_start, span_end, label FROM span_annotations "
                      "WHERE item_id IN ('101', '102') ORDER BY annotation_id") == [
        ("1-1", "101", "7", 0, 5, "PER"), ("1-2", "101", "7", 10, 13, "PER"), ("2-1", "101", "8", 0, 5, "PER"),
        ("4", "102", "7", None, None, None)]
    assert _rows(url, "SELECT span_start, label, source FROM gold_spans WHERE item_id = '101' ORDER BY 1") == [
        (0, "PER", "ground_truth"), (10, "PER", "ground_truth")]
    # a stored text that does not match the offsets: named by task, annotation and result
    bad = _ls_span_export()
    bad[0]["id"], bad[1]["id"] = 201, 202
    bad[0]["annotations"][0]["result"][1]["value"]["text"] = "Bib"
    p.write_text(json.dumps(bad))
    msg = _refused(url, [p], project="ner")
    assert "task 1 (id 201) annotation 1 result 2" in msg and "column value.text (-> text)" in msg
    assert "'Bib' does not match the offsets 10-13" in msg


def _ls_box_export():
    def box(x, y, w, h, lab, rot=0):
        return {"type": "rectanglelabels", "original_width": 200, "original_height": 100,
                "value": {"x": x, "y": y, "width": w, "height": h, "rotation": rot, "rectanglelabels": [lab]}}
    return [{"id": 301, "data": {"image": "a.jpg"}, "annotations": [
        {"id": 11, "completed_by": 7, "result": [box(5, 10, 25, 40, "car"), box(50, 20, 10, 60, "person")]},
        {"id": 12, "completed_by": 8, "result": [box(6, 11, 24, 40, "car")]},
        {"id": 13, "completed_by": 9, "ground_truth": True, "result": [box(5, 10, 25, 40, "car")]}]}]


def test_label_studio_box_export_loads_boxes_images_and_gold(regions):
    tmp_path, url = regions
    p = tmp_path / "ls_boxes.json"
    p.write_text(json.dumps(_ls_box_export()))
    assert load_files(url, [p], project="det") == {
        "annotators": 2, "items": 1, "box_annotations": 3, "box_images": 1, "gold_boxes": 1}
    assert _rows(url, "SELECT annotation_id, label, x, width, unit FROM box_annotations WHERE item_id = '301' "
                      "ORDER BY 1") == [("11-1", "car", 5.0, 25.0, "percent"), ("11-2", "person", 50.0, 10.0, "percent"),
                                        ("12-1", "car", 6.0, 24.0, "percent")]
    assert _rows(url, "SELECT image_width, image_height FROM box_images WHERE item_id = '301'") == [(200.0, 100.0)]
    bad = _ls_box_export()
    bad[0]["id"] = 302
    bad[0]["annotations"][0]["result"][0]["value"].update(x=90)  # 90 + 25 > 100 percent
    bad[0]["annotations"][1]["result"][0]["value"].update(rotation=30)
    p.write_text(json.dumps(bad))
    msg = _refused(url, [p], project="det")
    assert "task 1 (id 302) annotation 1 result 1" in msg and "x + width = 115% > 100%" in msg
    assert "task 1 (id 302) annotation 2 result 1" in msg and "rotated boxes are not supported" in msg


def _coco(annotator=None, width=200):
    anns = [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 10, 50, 40]},
            {"id": 2, "image_id": 7, "category_id": 2, "bbox": [100, 20, 20, 60]}]
    if annotator:
        for a in anns:
            a["annotator_id"] = annotator
    return {"images": [{"id": 7, "file_name": "7.jpg", "width": width, "height": 100}],
            "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}], "annotations": anns}


def test_coco_files_load_per_annotator_and_as_gold(regions):
    tmp_path, url = regions
    (tmp_path / "ann_x.json").write_text(json.dumps(_coco()))
    (tmp_path / "b.json").write_text(json.dumps(_coco("ann_y")))
    counts = load_files(url, [tmp_path / "ann_x.json", tmp_path / "b.json"], project="det")
    assert counts == {"annotators": 2, "items": 1, "box_annotations": 4, "box_images": 2}
    assert _rows(url, "SELECT annotator_id, label, x, unit FROM box_annotations WHERE item_id = '7' "
                      "ORDER BY annotator_id, label") == [
        ("ann_x", "car", 10.0, "px"), ("ann_x", "person", 100.0, "px"), ("ann_y", "car", 10.0, "px"),
        ("ann_y", "person", 100.0, "px")]
    (tmp_path / "gold.json").write_text(json.dumps(_coco()))
    assert load_files(url, [tmp_path / "gold.json"], project="det", table="gold_boxes") == {
        "box_images": 1, "gold_boxes": 2}
    bad = _coco("ann_z", width=80)   # the person box (100 + 20) leaves an 80-pixel image; the size conflicts too
    bad["annotations"][0]["category_id"] = 3
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    msg = _refused(url, [tmp_path / "bad.json"], project="det")
    assert "annotations[0] (id 1)" in msg and "unknown category_id 3" in msg
    bad["annotations"][0]["category_id"] = 1
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    msg = _refused(url, [tmp_path / "bad.json"], project="det")
    assert "images[0] (id 7)" in msg and "already has another size" in msg
    bad["images"][0]["id"] = 8
    for a in bad["annotations"]:
        a["image_id"] = 8
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    msg = _refused(url, [tmp_path / "bad.json"], project="det")
    assert "annotations[1] (id 2)" in msg and "column bbox[2] (-> width)" in msg
    assert "x + width = 120 > image_width 80" in msg


def test_label_studio_multi_choice_export_loads_label_sets(regions):
    tmp_path, url = regions

    def ch(*labels):
        return [{"type": "choices", "value": {"choices": list(labels)}}]
    export = [{"id": 401, "data": {"text": "x"}, "annotations": [
        {"id": 21, "completed_by": 7, "result": ch("news", "sport")},
        {"id": 22, "completed_by": 8, "result": []},
        {"id": 23, "completed_by": 9, "ground_truth": True, "result": ch("sport")}]}]
    p = tmp_path / "export.json"
    p.write_text(json.dumps(export))
    assert load_files(url, [p], project="tag", table="multilabel_annotations") == {
        "annotators": 2, "items": 1, "multilabel_annotations": 3, "gold_label_sets": 1}
    assert _rows(url, "SELECT annotation_id, label FROM multilabel_annotations WHERE item_id = '401' "
                      "ORDER BY 1, 2") == [("21", "news"), ("21", "sport"), ("22", None)]
    # without --table the same export is a classification export (one choice per annotation), refused as before
    export[0]["id"] = 402
    p.write_text(json.dumps(export))
    msg = _refused(url, [p], project="tag")
    assert "2 choices" in msg and "LabelQA stores one label per annotation" in msg


# --------------------------------------------------------------------------------------------------
# SQL sufficient statistics: the database path gives the file CLI's JSON on the same data
# --------------------------------------------------------------------------------------------------

from analytics.cli import main  # noqa: E402
from analytics.commands.agreement import _jsonable  # noqa: E402
from analytics.filters import Filters  # noqa: E402
from analytics.kinds.boxes import db as boxes_db  # noqa: E402
from analytics.kinds.multilabel import db as multilabel_db  # noqa: E402
from analytics.kinds.spans import db as spans_db  # noqa: E402


def _cli_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _same(res):
    return json.loads(json.dumps(res, default=_jsonable))


def test_spans_db_equals_file_path(regions, capsys):
    tmp_path, url = regions
    eng = make_engine(url, read_only=True)
    f = tmp_path / "f_spans.csv"
    SPANS.drop(columns=["annotation_id", "text", "created_at", "batch_id"]).astype(
        {"start": "Int64", "end": "Int64"}).to_csv(f, index=False)
    t = tmp_path / "f_texts.csv"
    pd.DataFrame({"item_id": list(TEXTS), "text": list(TEXTS.values())}).to_csv(t, index=False)
    g = tmp_path / "f_gold.csv"
    GOLD_SPANS.to_csv(g, index=False)
    for unit in ("instance", "token"):
        cli = _cli_json(capsys, "agreement", str(f), "--kind", "spans", "--texts", str(t), "--unit", unit,
                        "--n-boot", "200", "--json")
        db = _same(spans_db.span_agreement_from_db(eng, "ner", unit=unit, n_boot=200))
        assert db == cli and db["overall"]["n_pairs"] == 3 and 0 < db["overall"]["mean"] < 1
    cli = _cli_json(capsys, "agreement", str(f), "--kind", "spans", "--match", "overlap", "--n-boot", "200", "--json")
    assert _same(spans_db.span_agreement_from_db(eng, "ner", match="overlap", n_boot=200)) == cli
    cli = _cli_json(capsys, "accuracy", str(f), "--gold", str(g), "--kind", "spans", "--json")
    db = _same(spans_db.span_accuracy_from_db(eng, "ner"))
    assert db == cli and db["overall"]["n_annotated"] > 0
    counts = spans_db.label_counts_from_db(eng, "ner").set_index("label")
    assert counts.loc["PER"].tolist() == [4, 2, 2, 3] and counts.loc["LOC"].tolist() == [1, 1, 1, 1]
    # filters: batch b1 = item d1 only; a date window of week 2 = d2 only; team of nobody = nothing
    d1 = spans_db.spans_from_db(eng, Filters("ner", batch_id="b1"))
    assert set(d1["item_id"]) == {"d1"} and len(d1) == 5
    import datetime as dt
    d2 = spans_db.spans_from_db(eng, Filters("ner", date_from=dt.date(2026, 6, 8), date_to=dt.date(2026, 6, 14)))
    assert set(d2["item_id"]) == {"d2"} and set(spans_db.gold_spans_from_db(
        eng, Filters("ner", date_from=dt.date(2026, 6, 8)))["item_id"]) == {"d2"}
    assert spans_db.spans_from_db(eng, Filters("ner", team="nobody")).empty
    eng.dispose()


def test_boxes_db_equals_file_path(regions, capsys):
    tmp_path, url = regions
    eng = make_engine(url, read_only=True)
    f = tmp_path / "f_boxes.csv"
    BOXES.drop(columns=["annotation_id", "created_at", "batch_id"]).assign(
        image_width=200.0, image_height=100.0).to_csv(f, index=False)
    g = tmp_path / "f_gold_boxes.csv"
    GOLD_BOXES.to_csv(g, index=False)
    for iou in ("0.5", "0.8"):
        cli = _cli_json(capsys, "agreement", str(f), "--kind", "boxes", "--iou", iou, "--n-boot", "200", "--json")
        db = _same(boxes_db.box_agreement_from_db(eng, "det", iou=float(iou), n_boot=200))
        assert db == cli and 0 < db["overall"]["mean"] < 1
    cli = _cli_json(capsys, "accuracy", str(f), "--gold", str(g), "--kind", "boxes", "--json")
    db = _same(boxes_db.box_accuracy_from_db(eng, "det"))
    assert db == cli and db["overall"]["n_gold"] > 0
    counts = boxes_db.label_counts_from_db(eng, "det").set_index("label")
    assert counts.loc["car", ["n_annotated", "n_gold"]].tolist() == [4, 2]
    assert counts.loc["bicycle", ["n_annotated", "n_gold"]].tolist() == [1, 0]
    eng.dispose()


def test_multilabel_db_equals_file_path(regions, capsys):
    tmp_path, url = regions
    eng = make_engine(url, read_only=True)
    f = tmp_path / "f_sets.csv"
    SETS[["item_id", "annotator_id", "label"]].to_csv(f, index=False)
    g = tmp_path / "f_gold_sets.csv"
    GOLD_SETS.to_csv(g, index=False)
    cli = _cli_json(capsys, "agreement", str(f), "--kind", "multilabel", "--n-boot", "200", "--json")
    db = _same(multilabel_db.multilabel_agreement_from_db(eng, "tag", n_boot=200))
    assert db == cli and db["overall"]["n_items"] == 3
    cli = _cli_json(capsys, "accuracy", str(f), "--gold", str(g), "--kind", "multilabel", "--json")
    assert _same(multilabel_db.multilabel_accuracy_from_db(eng, "tag")) == cli
    counts = multilabel_db.label_counts_from_db(eng, "tag").set_index("label")
    assert counts.loc["sport"].tolist() == [3, 2, 3, 1]
    eng.dispose()


# --------------------------------------------------------------------------------------------------
# The Regions & label sets page
# --------------------------------------------------------------------------------------------------

def _open(url, project, monkeypatch):
    at = open_dashboard_page(url, project, "regions", monkeypatch)
    assert at.title[0].value == "Regions & label sets"
    return at


def test_regions_page_per_kind_and_elsewhere(regions, monkeypatch):
    _, url = regions
    eng = make_engine(url, read_only=True)
    at = _open(url, "ner", monkeypatch)
    assert [m.value for m in at.metric] == ["3", "8", "5"]
    agree = at.dataframe[0].value.set_index("label")
    db = spans_db.span_agreement_from_db(eng, "ner", n_boot=500)
    assert agree.loc["PER", "annotator pairs"] == db["per_label"]["PER"]["n_pairs"]
    assert agree.loc["PER", "agreement (mean pairwise F1)"].startswith(f"{db['per_label']['PER']['mean']:.3f} (")
    acc = at.dataframe[1].value.set_index("label")
    assert acc.loc["PER", "gold"] == spans_db.span_accuracy_from_db(eng, "ner")["per_label"]["PER"]["n_gold"]
    assert set(at.dataframe[2].value["annotator"]) == {"a1", "a2", "a3"}
    at = _open(url, "det", monkeypatch)
    # + agreement per week and miss rates by team / object size (tests/test_regions_page.py checks their figures)
    assert [m.value for m in at.metric] == ["3", "7", "4"] and len(at.dataframe) == 5
    at = _open(url, "tag", monkeypatch)
    assert "MASI alpha" in " ".join(m.value for m in at.markdown) and len(at.dataframe) == 3
    at = _open(url, "cls", monkeypatch)
    said = " ".join(str(m.value) for m in at.info)
    assert "Not a spans, boxes or multi-label project" in said and "classification project" in said
    assert not at.dataframe
    eng.dispose()


# --------------------------------------------------------------------------------------------------
# PostgreSQL: the same loads, the same refusals, the same figures
# --------------------------------------------------------------------------------------------------

@pytest.mark.postgres
def test_postgres_loads_refuses_and_answers_as_duckdb(tmp_path, tmp_duckdb_url, pg_url):
    figures = {}
    for url in (tmp_duckdb_url, pg_url):
        d = tmp_path / ("duck" if url == tmp_duckdb_url else "pg")
        d.mkdir()
        _load_regions(d, url)
        msg = _refused(url, [write_table(d / "span_annotations_bad.csv", _span_row(text="Alica"))])
        assert "'Alica' does not match the offsets 0-5" in msg
        msg = _refused(url, [write_table(d / "box_annotations_bad.csv", pd.DataFrame([{
            "annotation_id": "z1", "item_id": "i1", "annotator_id": "a9", "label": "car", "x": 190, "y": 10,
            "width": 50, "height": 40}]))])
        assert "x + width = 240 > image_width 200" in msg
        eng = make_engine(url, read_only=True)
        figures[url] = [_same(r) for r in (
            spans_db.span_agreement_from_db(eng, "ner", n_boot=100), spans_db.span_accuracy_from_db(eng, "ner"),
            spans_db.span_agreement_from_db(eng, "ner", unit="token", n_boot=100),
            boxes_db.box_agreement_from_db(eng, "det", n_boot=100), boxes_db.box_accuracy_from_db(eng, "det"),
            multilabel_db.multilabel_agreement_from_db(eng, "tag", n_boot=100),
            multilabel_db.multilabel_accuracy_from_db(eng, "tag"))]
        figures[url].append([spans_db.label_counts_from_db(eng, "ner").astype(str).values.tolist(),
                             boxes_db.label_counts_from_db(eng, "det").astype(str).values.tolist()])
        eng.dispose()
    assert figures[tmp_duckdb_url] == figures[pg_url]


def test_cli_load_exit_codes(regions, capsys):
    d, url = regions
    p = d / "ls_cli.json"
    p.write_text(json.dumps(_ls_box_export()))
    capsys.readouterr()
    assert main(["load", "--db", url, "--project", "det", str(p)]) == 0
    out = capsys.readouterr().out
    assert "Label Studio (boxes)" in out and "box_annotations" in out
    f = write_table(d / "span_annotations_cli.csv", _span_row(start=7, end=3, text=None))
    assert main(["load", "--db", url, str(f)]) == 2
    err = capsys.readouterr().err
    assert "span_annotations_cli.csv row 1 column end (-> span_end): end 3 <= start 7" in err


def test_brat_folder_loads_like_the_file_cli_reads_it(regions, capsys):
    d, url = regions
    root = d / "brat"
    text = "Alice met Bob in Paris."
    for who, lines in (("ann1", ["T1\tPER 0 5\tAlice", "T2\tPER 10 13\tBob", "T3\tLOC 17 22\tParis"]),
                       ("ann2", ["T1\tPER 0 5\tAlice", "T2\tORG 17 22\tParis", "#1\tAnnotatorNotes T1\tx"])):
        (root / who).mkdir(parents=True)
        (root / who / "doc1.txt").write_text(text)
        (root / who / "doc1.ann").write_text("\n".join(lines) + "\n")
        (root / who / "doc2.txt").write_text("Nothing here.")
        (root / who / "doc2.ann").write_text("")
    assert load_files(url, [root], project="ner") == {
        "annotators": 2, "items": 2, "span_annotations": 7, "span_texts": 2}
    eng = make_engine(url, read_only=True)
    brat = spans_db.spans_from_db(eng, "ner")
    brat = brat[brat["annotator_id"].isin(["ann1", "ann2"])]
    cli = _cli_json(capsys, "agreement", str(root), "--kind", "spans", "--n-boot", "100", "--json")
    from analytics.kinds.spans.agreement import span_agreement_json
    assert _same(span_agreement_json(brat, n_boot=100)) == cli
    eng.dispose()
    # a stored text that does not match the offsets, named by folder, document and line
    (root / "ann2" / "doc1.ann").write_text("T1\tPER 0 5\tAlicia\n")
    for p in ("doc1", "doc2"):
        for w in ("ann1", "ann2"):
            (root / w / f"{p}.ann").rename(root / w / f"{p}x.ann")
            (root / w / f"{p}.txt").rename(root / w / f"{p}x.txt")
    msg = _refused(url, [root], project="ner")
    assert "ann2/doc1x.ann line 1" in msg and "'Alicia' has 6 characters but the offsets 0-5 cover 5" in msg
    (d / "empty" / "who").mkdir(parents=True)
    msg = _refused(url, [d / "empty"], project="ner")  # a folder that is not brat
    assert "no <annotator>/<doc>.ann files" in msg
