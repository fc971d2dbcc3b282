"""Reviewed regions feed the accuracy figures and the gate (issue 13): on an item without gold, the regions of the
annotator whose every region there was reviewed, as reviewed, are the item's reference; annotators are scored as
they drew against it (accepted = correct, rejected = spurious, corrected = scored against the correction). Gold
decides where it exists; items with neither gold nor a complete review count nowhere. Numbers worked by hand."""
from __future__ import annotations

import math
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.db import make_engine
from analytics.io.ingest import load_files
from analytics.kinds.boxes import db as bdb
from analytics.kinds.spans import db as sdb
from analytics.quality import evaluate
from dbutil import write_table

# i1: gold car A0. i2: no gold; a1's three boxes all reviewed (car accepted, bus corrected to truck, car rejected);
# a2 has one review of three (not a complete set). i3: no gold, no review. i4: gold says "no object"; a review
# there changes nothing (gold decides).
BOXES = pd.DataFrame({
    "annotation_id": ["b11", "b12", "b21", "b22", "b23", "b24", "b25", "b26", "b31", "b32", "b41"],
    "item_id": ["i1", "i1", "i2", "i2", "i2", "i2", "i2", "i2", "i3", "i3", "i4"],
    "annotator_id": ["a1", "a2", "a1", "a1", "a1", "a2", "a2", "a2", "a1", "a2", "a1"],
    "label": ["car", "car", "car", "bus", "car", "car", "truck", "car", "car", "car", "car"],
    "x": [0, 0, 0, 200, 400, 0, 200, 600, 0, 0, 0.0], "y": [0.0] * 11,
    "width": [100, 80, 100, 100, 50, 100, 100, 50, 60, 60, 40.0],
    "height": [100, 80, 100, 100, 50, 100, 100, 50, 60, 60, 40.0]})
GOLD = pd.DataFrame({"item_id": ["i1", "i4"], "label": ["car", None], "x": [0.0, None], "y": [0.0, None],
                     "width": [100.0, None], "height": [100.0, None]})
REVIEWS = pd.DataFrame({
    "review_id": ["r1", "r2", "r3", "r4", "r5"], "annotation_id": ["b21", "b22", "b23", "b24", "b41"],
    "reviewer_id": ["q"] * 5, "verdict": ["accepted", "corrected", "rejected", "accepted", "rejected"],
    "corrected_label": [None, "truck", None, None, None], "x": [None] * 5, "y": [None] * 5,
    "width": [None] * 5, "height": [None] * 5})

# spans: d1 gold PER 0-5. d2 no gold: s1's spans all reviewed (PER 0-5 accepted, ORG 10-15 corrected to 10-18,
# LOC 20-24 rejected); s2 unreviewed. d3 no gold, no review.
TEXT = "Alice met Acme Corp in Oslo today and more words here."
SPANS = pd.DataFrame({
    "annotation_id": ["t11", "t12", "t21", "t22", "t23", "t24", "t25", "t31"],
    "item_id": ["d1", "d1", "d2", "d2", "d2", "d2", "d2", "d3"],
    "annotator_id": ["s1", "s2", "s1", "s1", "s1", "s2", "s2", "s1"],
    "start": [0, 0, 0, 10, 20, 0, 10, 0], "end": [5, 5, 5, 15, 24, 5, 18, 5],
    "label": ["PER", "PER", "PER", "ORG", "LOC", "PER", "ORG", "PER"]})
GOLD_SPANS = pd.DataFrame({"item_id": ["d1"], "start": [0], "end": [5], "label": ["PER"]})
SPAN_REVIEWS = pd.DataFrame({
    "review_id": ["u1", "u2", "u3"], "annotation_id": ["t21", "t22", "t23"], "verdict": ["accepted", "corrected",
                                                                                        "rejected"],
    "corrected_label": [None, None, None], "start": [None, 10, None], "end": [None, 18, None]})


def _load(tmp_path, url, reviews: bool = True):
    files = [write_table(tmp_path / "projects.csv", pd.DataFrame({"project_id": ["det", "ner"], "name": ["d", "n"],
                                                                   "client": ["c", "c"],
                                                                   "task_type": ["boxes", "spans"]})),
             write_table(tmp_path / "items.csv", pd.DataFrame({
                 "item_id": ["i1", "i2", "i3", "i4", "d1", "d2", "d3"],
                 "project_id": ["det"] * 4 + ["ner"] * 3})),
             write_table(tmp_path / "label_classes.csv", pd.DataFrame({  # miss rates are judged for critical classes
                 "project_id": ["det"] * 3 + ["ner"] * 3, "label": ["car", "truck", "bus", "PER", "ORG", "LOC"],
                 "tier": ["critical", "critical", "standard", "critical", "critical", "standard"]})),
             write_table(tmp_path / "box_annotations.csv", BOXES), write_table(tmp_path / "gold_boxes.csv", GOLD),
             write_table(tmp_path / "span_texts.csv", pd.DataFrame({"item_id": ["d1", "d2", "d3"], "text": [TEXT] * 3})),
             write_table(tmp_path / "span_annotations.csv", SPANS),
             write_table(tmp_path / "gold_spans.csv", GOLD_SPANS)]
    load_files(url, files)
    if reviews:
        load_files(url, [write_table(tmp_path / "box_reviews.csv", REVIEWS),
                         write_table(tmp_path / "span_reviews.csv", SPAN_REVIEWS)])


@pytest.fixture
def eng(tmp_path, tmp_duckdb_url):
    _load(tmp_path, tmp_duckdb_url)
    e = make_engine(tmp_duckdb_url, read_only=True)
    yield e
    e.dispose()


def test_reviewed_boxes_are_the_reference_where_there_is_no_gold(eng):
    ref = bdb.gold_boxes_from_db(eng, "det")
    got = sorted((r.item_id, r.source, None if pd.isna(r.label) else r.label, None if pd.isna(r.x) else r.x)
                 for r in ref.itertuples())
    # i2: a1's accepted car and corrected truck (geometry kept), the rejected car dropped; i3 (no review) and a2's
    # partial review give nothing; i4's gold "no object" row stays and its review is ignored
    assert got == [("i1", "gold", "car", 0.0), ("i2", "review", "car", 0.0), ("i2", "review", "truck", 200.0),
                   ("i4", "gold", None, None)]
    assert set(ref.loc[ref["source"] == "review", "reviewed_annotator"]) == {"a1"}
    assert len(bdb.gold_boxes_from_db(eng, "det", reviewed=False)) == 2


def test_box_accuracy_reads_the_reviewed_reference(eng):
    acc = bdb.box_accuracy_from_db(eng, "det")
    o = acc["overall"]
    # annotated boxes on referenced images (i1, i2, i4; i3 counts nowhere): a1 b11 TP, b21 TP, b22 bus (gold truck)
    # FP, b23 FP (rejected), b41 FP (gold: no object); a2 b12 TP (IoU .64), b24 TP, b25 TP, b26 FP -> 5 / 9
    assert (o["precision"], o["n_annotated"]) == (pytest.approx(5 / 9), 9)
    # reference boxes per annotator who saw the image: i1 car x2, i2 car x2, i2 truck x2 -> found 5 of 6
    assert (o["recall"], o["n_gold"]) == (pytest.approx(5 / 6), 6)
    assert acc["per_label"]["truck"]["recall"] == pytest.approx(0.5)  # a1 drew bus where the reviewer says truck
    assert acc["per_label"]["bus"]["precision"] == 0
    bias = acc["localisation_bias"]
    assert bias["a1"]["n"] == 2 and bias["a1"]["log_area_ratio"] == pytest.approx(0.0)
    assert bias["a2"]["n"] == 3 and bias["a2"]["log_area_ratio"] == pytest.approx(math.log(0.64) / 3)


def test_gate_box_checks_read_the_reviewed_reference(eng, tmp_path):
    ev = evaluate(eng, "det")
    c = {(k.rule, k.scope): k for k in ev.checks}
    truck = c[("region_miss_rate", "class truck")]
    assert (truck.value, truck.n) == (pytest.approx(0.5), 2)
    assert "reviewed regions on 1 images without gold" in truck.note
    assert c[("region_miss_rate", "class car")].n == 4 and c[("region_miss_rate", "class car")].value == 0
    a2 = c[("region_size_bias", "annotator a2")]
    assert (a2.value, a2.n) == (pytest.approx(abs(math.log(0.64)) / 3), 3)


def test_without_reviews_only_gold_counts(tmp_path):
    url = f"duckdb:///{tmp_path / 'nr.duckdb'}"
    _load(tmp_path, url, reviews=False)
    e = make_engine(url, read_only=True)
    try:
        o = bdb.box_accuracy_from_db(e, "det")["overall"]
        assert (o["precision"], o["n_annotated"], o["recall"], o["n_gold"]) == (pytest.approx(2 / 3), 3, 1.0, 2)
        c = {(k.rule, k.scope): k for k in evaluate(e, "det").checks}
        assert ("region_miss_rate", "class truck") not in c and c[("region_size_bias", "annotator a2")].n == 1
    finally:
        e.dispose()


def test_reviewed_spans_are_the_reference_where_there_is_no_gold(eng):
    ref = sdb.gold_spans_from_db(eng, "ner")
    got = sorted((r.item_id, r.source, r.start, r.end, r.label) for r in ref.itertuples())
    assert got == [("d1", "gold", 0, 5, "PER"), ("d2", "review", 0, 5, "PER"), ("d2", "review", 10, 18, "ORG")]
    o = sdb.span_accuracy_from_db(eng, "ner")["overall"]
    # exact matches on d1, d2: s1 t11 TP, t21 TP, t22 ORG 10-15 (reviewer: 10-18) FP, t23 FP; s2 t12, t24, t25 TP
    assert (o["precision"], o["n_annotated"]) == (pytest.approx(5 / 7), 7)
    assert (o["recall"], o["n_gold"]) == (pytest.approx(5 / 6), 6)
    per = sdb.span_accuracy_from_db(eng, "ner")["per_annotator"]
    assert per["s1"]["boundary"] == 1 and per["s1"]["spurious"] == 1 and per["s1"]["correct"] == 2
    ev = {(k.rule, k.scope): k for k in evaluate(eng, "ner").checks}
    org = ev[("region_miss_rate", "class ORG")]  # s1's ORG overlaps the corrected span: not missed
    assert (org.value, org.n) == (0, 2) and "reviewed regions on 1 items without gold" in org.note


def test_demo_gold_held_out_and_replaced_by_reviews(demo_url, tmp_path):
    """roadcam with the gold of 150 images removed and, on each, one annotator's boxes reviewed against that gold
    (matched boxes accepted or corrected to the gold box, unmatched ones rejected): the gate's size-bias and miss-rate
    checks count those images again, and bx_02's planted 15% undersizing is still found."""
    from analytics.kinds.boxes.accuracy import gold_matches, miss_rates
    from analytics.kinds.region_reviews import on_reference

    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_url.split(":///", 1)[1], path)
    url = f"duckdb:///{path}"
    e = make_engine(url, read_only=True)
    full = {(k.rule, k.scope): k for k in evaluate(e, "roadcam").checks}
    boxes, gold = bdb.boxes_from_db(e, "roadcam"), bdb.gold_boxes_from_db(e, "roadcam")
    e.dispose()
    items = np.sort(gold["item_id"].unique())
    held = set(np.random.default_rng(5).choice(items, 150, replace=False))
    b = boxes[boxes["item_id"].isin(held) & boxes["label"].notna()]
    first = b.groupby("item_id")["annotator_id"].min()  # one annotator per held-out image is reviewed
    b = b[b["annotator_id"].to_numpy() == first.reindex(b["item_id"]).to_numpy()].reset_index(drop=True)
    g = gold[gold["item_id"].isin(held) & gold["label"].notna()].reset_index(drop=True)
    m = gold_matches(b, g, 0.5, same_label=False)
    rv = pd.DataFrame({"annotation_id": b["annotation_id"], "verdict": "rejected"})
    for col in ("corrected_label", "x", "y", "width", "height"):
        rv[col] = None
    rv.loc[m["row"], "verdict"] = "corrected"
    for col, src in (("corrected_label", "label"), ("x", "x"), ("y", "y"), ("width", "width"), ("height", "height")):
        rv.loc[m["row"], col] = g[src].to_numpy()[m["gold_row"]]
    rv.insert(0, "review_id", [f"hr{k}" for k in range(len(rv))])
    rv["reviewer_id"] = "qa"
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM gold_boxes WHERE item_id IN (SELECT UNNEST(?))", [sorted(held)])
    con.register("rv", rv)
    con.execute("INSERT INTO box_reviews (review_id, annotation_id, reviewer_id, verdict, corrected_label, x, y, "
                "width, height) SELECT review_id, annotation_id, reviewer_id, verdict, corrected_label, "
                "CAST(x AS DOUBLE), CAST(y AS DOUBLE), CAST(width AS DOUBLE), CAST(height AS DOUBLE) FROM rv")
    con.close()
    e = make_engine(url, read_only=True)
    try:
        ref = bdb.gold_boxes_from_db(e, "roadcam")
        assert ref.loc[ref["source"] == "review", "item_id"].nunique() == len(held)
        with_rv = {(k.rule, k.scope): k for k in evaluate(e, "roadcam").checks}
        ref0 = bdb.gold_boxes_from_db(e, "roadcam", reviewed=False)
        assert ref0["item_id"].nunique() == len(items) - len(held)
        gold_only = miss_rates(on_reference(boxes, ref0), ref0, 0.5, by=("label",)).set_index("label")["n_gold"]
    finally:
        e.dispose()
    bx02 = with_rv[("region_size_bias", "annotator bx_02")]
    assert bx02.outcome == "fail" and 0.12 < bx02.value < 0.2  # planted: log(0.85) = -0.163
    assert bx02.n <= full[("region_size_bias", "annotator bx_02")].n
    # every image is referenced again: the miss-rate checks count nearly the full-gold n (the reviewed annotator's
    # own misses are absent from their reference), far more than gold alone would give
    for key, c in full.items():
        if key[0] == "region_miss_rate":
            assert 0.85 * c.n < with_rv[key].n <= c.n, key
            assert with_rv[key].n > gold_only[key[1].removeprefix("class ")], key
    assert "reviewed regions on 150 images without gold" in with_rv[("region_miss_rate", "class pedestrian")].note


def test_reference_and_figures_equal_on_postgresql(tmp_path, pg_url, tmp_duckdb_url):
    """The review reference queries are portable: PostgreSQL gives the same reference and gate checks as DuckDB."""
    out = {}
    for name, url in (("duckdb", tmp_duckdb_url), ("pg", pg_url)):
        d = tmp_path / name
        d.mkdir()
        _load(d, url)
        e = make_engine(url, read_only=True)
        try:
            ref = bdb.gold_boxes_from_db(e, "det").sort_values(["item_id", "label", "x"], na_position="last")
            sref = sdb.gold_spans_from_db(e, "ner").sort_values(["item_id", "start"])
            out[name] = ([(r.item_id, r.source, r.label if isinstance(r.label, str) else None) for r in ref.itertuples()],
                         [(r.item_id, r.source, int(r.start), int(r.end), r.label) for r in sref.itertuples()],
                         [(c.rule, c.scope, round(c.value, 12), c.n) for c in evaluate(e, "det").checks],
                         bdb.box_accuracy_from_db(e, "det")["overall"])
        finally:
            e.dispose()
    assert out["pg"][:3] == out["duckdb"][:3]
    assert out["pg"][3] == pytest.approx(out["duckdb"][3])
