"""Reviews correcting regions (issue 13): box_reviews / span_reviews loaded by labelqa load (all or nothing,
unknown regions and verdicts refused), the latest review per region, the regions as reviewed (rejected dropped,
corrections applied) and the review shares per annotator, by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.db import make_engine
from analytics.io.ingest import IngestError, load_files
from analytics.kinds.boxes import db as bdb
from analytics.kinds.boxes.accuracy import box_accuracy_json
from analytics.kinds.region_reviews import apply_reviews, review_summary
from analytics.kinds.spans import db as sdb
from dbutil import write_table

BOXES = pd.DataFrame({
    "annotation_id": ["b1", "b2", "b3", "b4", "b5"], "item_id": ["i1", "i1", "i1", "i2", "i2"],
    "annotator_id": ["a1", "a1", "a2", "a1", "a2"], "label": ["car", "car", "bus", "car", "car"],
    "x": [0, 100, 0, 10, 10.0], "y": [0, 0, 0, 10, 10.0], "width": [50, 30, 50, 40, 40.0],
    "height": [50, 30, 50, 40, 40.0]})
GOLD = pd.DataFrame({"item_id": ["i1", "i2"], "label": ["car", "car"], "x": [0, 10.0], "y": [0, 10.0],
                     "width": [50, 40.0], "height": [50, 40.0]})
BOX_REVIEWS = pd.DataFrame({
    "review_id": ["r1", "r2", "r3", "r4", "r5"], "annotation_id": ["b2", "b3", "b4", "b4", "b5"],
    "reviewer_id": ["q"] * 5, "verdict": ["rejected", "corrected", "accepted", "corrected", "rejected"],
    "corrected_label": [None, "car", None, None, None], "x": [None, None, None, 12.0, None],
    "y": [None] * 5, "width": [None] * 5, "height": [None] * 5,
    "created_at": ["2026-06-01 10:00", "2026-06-01 10:00", "2026-06-01 10:00", "2026-06-02 10:00",
                   "2026-06-01 10:00"]})
TEXTS = pd.DataFrame({"item_id": ["d1"], "text": ["Dr. Alice met Bob"]})
SPANS = pd.DataFrame({"annotation_id": ["s1", "s2", "s3"], "item_id": ["d1"] * 3, "annotator_id": ["a1", "a1", "a2"],
                      "start": [0, 14, 4], "end": [9, 17, 9], "label": ["PER", "LOC", "PER"]})
SPAN_REVIEWS = pd.DataFrame({"review_id": ["t1", "t2"], "annotation_id": ["s1", "s2"], "verdict": ["corrected", "corrected"],
                             "corrected_label": [None, "PER"], "start": [4, None], "end": [9, None]})


def _base(tmp_path, url):
    files = [write_table(tmp_path / "projects.csv", pd.DataFrame({"project_id": ["det", "ner"], "name": ["d", "n"],
                                                                   "client": ["c", "c"], "task_type": ["boxes", "spans"]})),
             write_table(tmp_path / "items.csv", pd.DataFrame({"item_id": ["i1", "i2", "d1"],
                                                               "project_id": ["det", "det", "ner"]})),
             write_table(tmp_path / "box_annotations.csv", BOXES), write_table(tmp_path / "gold_boxes.csv", GOLD),
             write_table(tmp_path / "span_texts.csv", TEXTS), write_table(tmp_path / "span_annotations.csv", SPANS)]
    load_files(url, files)


def test_reviews_load_and_correct_regions(tmp_path, tmp_duckdb_url):
    url = tmp_duckdb_url
    _base(tmp_path, url)
    counts = load_files(url, [write_table(tmp_path / "box_reviews.csv", BOX_REVIEWS),
                              write_table(tmp_path / "span_reviews.csv", SPAN_REVIEWS)])
    assert counts == {"box_reviews": 5, "span_reviews": 2}
    eng = make_engine(url, read_only=True)
    rv = bdb.box_reviews_from_db(eng, "det").set_index("annotation_id")
    assert rv.loc["b4", "review_id"] == "r4" and len(rv) == 4  # latest review of b4 (r4 after r3)
    got = bdb.reviewed_boxes_from_db(eng, "det").sort_values(["item_id", "annotator_id", "label"], na_position="last")
    rows = [(r.item_id, r.annotator_id, None if pd.isna(r.label) else r.label, None if pd.isna(r.x) else float(r.x))
            for r in got.itertuples()]
    # b2 rejected (a1 keeps b1 on i1); b3 relabelled bus -> car; b4 moved to x=12; b5 rejected -> a2 saw i2, drew none
    assert sorted(rows, key=str) == sorted([("i1", "a1", "car", 0.0), ("i1", "a2", "car", 0.0), ("i2", "a1", "car", 12.0),
                                            ("i2", "a2", None, None)], key=str)
    # the reviewed boxes score better against gold: precision 3/3 (was 3/5: b2 spurious, b3 mislabelled)
    gold = bdb.gold_boxes_from_db(eng, "det")
    before = box_accuracy_json(bdb.boxes_from_db(eng, "det"), gold)["overall"]
    after = box_accuracy_json(got, gold)["overall"]
    assert before["precision"] == pytest.approx(3 / 5) and after["precision"] == pytest.approx(3 / 3)
    # recall 3/4 both ways: a2's i1 car is found once relabelled, a2's i2 car is gone once rejected
    assert before["recall"] == pytest.approx(3 / 4) and after["recall"] == pytest.approx(3 / 4)
    s = review_summary(bdb.boxes_from_db(eng, "det"), rv.reset_index(), by=("annotator_id",)).set_index("annotator_id")
    assert s.loc["a1", "n_reviewed"] == 2 and s.loc["a1", "rejected_rate"] == 0.5 and s.loc["a1", "corrected_rate"] == 0.5
    assert s.loc["a2", "n_reviewed"] == 2 and s.loc["a2", "corrected_rate"] == 0.5
    assert 0 < s.loc["a1", "rejected_rate_ci_low"] < 0.5 < s.loc["a1", "rejected_rate_ci_high"] < 1
    sp = sdb.reviewed_spans_from_db(eng, "ner").set_index("annotation_id")
    assert (sp.loc["s1", "start"], sp.loc["s1", "end"], sp.loc["s1", "label"]) == (4, 9, "PER")  # title dropped
    assert (sp.loc["s2", "start"], sp.loc["s2", "label"]) == (14, "PER") and sp.loc["s3", "start"] == 4
    eng.dispose()


def test_reviews_refused_for_unknown_regions_and_verdicts(tmp_path, tmp_duckdb_url):
    url = tmp_duckdb_url
    _base(tmp_path, url)
    for bad, words in ((BOX_REVIEWS.assign(annotation_id=["b1", "zz", "b3", "b4", "b5"]), "zz"),
                       (BOX_REVIEWS.assign(verdict=["ok", "rejected", "accepted", "accepted", "accepted"]), "ok")):
        with pytest.raises(IngestError) as exc:
            load_files(url, [write_table(tmp_path / "box_reviews.csv", bad)])
        msg = str(exc.value) + "\n".join(getattr(exc.value, "problems", []) or [])
        assert "box_reviews.csv" in msg and words in msg
    eng = make_engine(url, read_only=True)
    assert bdb.box_reviews_from_db(eng, "det").empty  # all or nothing
    eng.dispose()


def test_apply_reviews_without_reviews_is_identity():
    assert apply_reviews(BOXES, pd.DataFrame(columns=["annotation_id", "verdict"]), ("x",)).equals(BOXES)


def test_regions_page_shows_review_shares(tmp_path, tmp_duckdb_url, monkeypatch):
    from dbutil import open_dashboard_page

    _base(tmp_path, tmp_duckdb_url)
    load_files(tmp_duckdb_url, [write_table(tmp_path / "box_reviews.csv", BOX_REVIEWS)])
    at = open_dashboard_page(tmp_duckdb_url, "det", "regions", monkeypatch)
    assert "Reviews per annotator" in [h.value for h in at.subheader]
    t = next(d.value for d in at.dataframe if "reviewed" in d.value.columns).set_index("annotator")
    assert t.loc["a1", "reviewed"] == 2 and t.loc["a1", "rejected"].startswith("0.500 (")
    assert t.loc["a2", "corrected"].startswith("0.500 (") and t.loc["a2", "accepted"].startswith("0.000 (")


def test_regions_page_on_a_spans_table_without_schema_version(tmp_path, tmp_duckdb_url, monkeypatch):
    import duckdb

    from dbutil import open_dashboard_page

    _base(tmp_path, tmp_duckdb_url)
    con = duckdb.connect(tmp_duckdb_url.split("duckdb:///", 1)[1])
    con.execute("ALTER TABLE span_annotations DROP COLUMN schema_version")  # a database built before the column
    con.close()
    at = open_dashboard_page(tmp_duckdb_url, "ner", "regions", monkeypatch)
    assert "Spans table without schema_version" in " ".join(i.value for i in at.info)
