"""Class coverage: distribution and balance, class x attribute cross-tab, QA coverage per class.

Known answers on hand-made frames, properties against scipy/statsmodels, and DataFrame == DuckDB == PostgreSQL
on a small seeded database and on the demo data.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sqlalchemy import text

from analytics.coverage import (
    MISSING_VALUE,
    class_attribute_crosstab,
    class_attribute_crosstab_from_db,
    class_distribution,
    class_distribution_from_db,
    coverage_summary,
    item_majority,
    qa_coverage,
    qa_coverage_from_db,
)
from analytics.db import make_engine
from analytics.filters import Filters
from dbutil import load_tables

PROP = settings(max_examples=40, deadline=None)


# ----------------------------------------------------------------------------------------------------------------
# hand-made frames
# ----------------------------------------------------------------------------------------------------------------

@pytest.fixture
def tiny() -> pd.DataFrame:
    # i1: a,a,b -> a | i2: b,c -> tie -> b (lowest) | i3: c | i4: a,b,b -> b | i5: a
    return pd.DataFrame({
        "item_id": ["i1", "i1", "i1", "i2", "i2", "i3", "i4", "i4", "i4", "i5"],
        "annotator_id": ["u1", "u2", "u3", "u1", "u2", "u3", "u1", "u2", "u3", "u1"],
        "label": ["a", "a", "b", "c", "b", "c", "a", "b", "b", "a"],
        "lighting": ["day", "day", "day", "night", "night", None, "day", "day", "day", "night"],
    })


def test_item_majority_breaks_ties_to_the_lowest_label(tiny):
    maj = item_majority(tiny).set_index("item_id")
    assert maj["label"].to_dict() == {"i1": "a", "i2": "b", "i3": "c", "i4": "b", "i5": "a"}
    assert maj["votes"].to_dict() == {"i1": 2, "i2": 1, "i3": 1, "i4": 2, "i5": 1}


def test_class_distribution_known_answer(tiny):
    dist = class_distribution(tiny, classes=["a", "b", "c", "z"]).set_index("label")
    assert dist["items"].to_dict() == {"a": 2, "b": 2, "c": 1, "z": 0}
    assert dist["annotations"].to_dict() == {"a": 4, "b": 4, "c": 2, "z": 0}
    assert dist["item_share"].to_dict() == pytest.approx({"a": 0.4, "b": 0.4, "c": 0.2, "z": 0.0})
    assert dist["annotation_share"].sum() == pytest.approx(1.0)


def test_coverage_summary_known_values():
    dist = pd.DataFrame({"label": ["a", "b", "c"], "items": [50, 30, 20]})
    s = coverage_summary(dist, min_count=25)
    h = -(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.2))  # = 1.0296530
    assert s.entropy == pytest.approx(h) and s.entropy == pytest.approx(1.0296530, abs=1e-7)
    assert s.normalized_entropy == pytest.approx(h / math.log(3))  # = 0.9372306
    assert s.imbalance_ratio == pytest.approx(2.5)
    assert (s.largest_class, s.smallest_class, s.rare_classes, s.empty_classes) == ("a", "c", ("c",), ())
    with_empty = coverage_summary(pd.concat([dist, pd.DataFrame({"label": ["d"], "items": [0]})]), min_count=25)
    assert with_empty.imbalance_ratio == pytest.approx(2.5) and with_empty.empty_classes == ("d",)
    assert with_empty.rare_classes == ("d", "c") and with_empty.n_classes == 4
    assert with_empty.normalized_entropy == pytest.approx(h / math.log(4))
    one = coverage_summary(pd.DataFrame({"label": ["a"], "items": [9]}))
    assert math.isnan(one.normalized_entropy) and "fewer than 2 classes" in one.reason
    none = coverage_summary(pd.DataFrame({"label": ["a", "b"], "items": [0, 0]}))
    assert none.reason == "no data" and none.as_dict()["imbalance_ratio"] is None
    with pytest.raises(ValueError, match="'items'"):
        coverage_summary(pd.DataFrame({"label": ["a"]}))


@PROP
@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=30))
def test_normalised_entropy_matches_scipy(counts):
    dist = pd.DataFrame({"label": [f"c{i:02d}" for i in range(len(counts))], "annotations": counts})
    s = coverage_summary(dist, by="annotations", min_count=100)
    if sum(counts) == 0:
        assert s.reason == "no data"
        return
    assert s.normalized_entropy == pytest.approx(stats.entropy(counts) / math.log(len(counts)), abs=1e-12)
    assert 0 <= s.normalized_entropy <= 1 + 1e-12
    present = [c for c in counts if c > 0]
    assert s.imbalance_ratio == pytest.approx(max(present) / min(present))
    assert set(s.rare_classes) == {f"c{i:02d}" for i, c in enumerate(counts) if c < 100}


def test_crosstab_completes_the_grid_and_flags_cells(tiny):
    ct = class_attribute_crosstab(tiny, "lighting", thin=2).set_index(["label", "attr_value"])
    # items by (majority label, lighting): a: i1 day, i5 night | b: i2 night, i4 day | c: i3 missing
    assert ct["items"].to_dict() == {("a", MISSING_VALUE): 0, ("a", "day"): 1, ("a", "night"): 1,
                                     ("b", MISSING_VALUE): 0, ("b", "day"): 1, ("b", "night"): 1,
                                     ("c", MISSING_VALUE): 1, ("c", "day"): 0, ("c", "night"): 0}
    assert ct.loc[("c", "day"), "empty"] and not ct.loc[("c", "day"), "thin"]
    assert ct.loc[("a", "day"), "thin"] and not ct.loc[("a", "day"), "empty"]
    assert ct.loc[("a", "day"), "share_of_class"] == pytest.approx(0.5)
    assert ct.loc[("b", "night"), "share_of_value"] == pytest.approx(0.5)
    assert not class_attribute_crosstab(tiny, "lighting", thin=1)["thin"].any()
    with pytest.raises(ValueError, match="'sensor'"):
        class_attribute_crosstab(tiny, "sensor")


def test_qa_coverage_known_answer():
    counts = pd.DataFrame({"label": ["ev", "car", "van", "none"],
                           "tier": ["critical", "standard", "standard", "standard"],
                           "items": [20, 1000, 100, 0], "items_with_gold": [3, 40, 5, 0],
                           "items_reviewed": [1, 20, 0, 0], "items_qa": [4, 55, 5, 0]})
    out = qa_coverage(counts, critical_rate=0.10, standard_rate=0.05, critical_min_count=10).set_index("label")
    assert out["qa_rate"].loc[["ev", "car", "van"]].tolist() == pytest.approx([0.2, 0.055, 0.05])
    # critical ev: max(0.10, min(10, 20) / 20) = 0.5 required; 0.2 does not meet it
    assert out.loc["ev", "required_rate"] == pytest.approx(0.5) and not out.loc["ev", "meets"]
    assert out.loc["car", "meets"] and out.loc["van", "meets"]  # 5 / 100 meets 0.05 exactly
    assert out.loc["none", "reason"] == "no items in this class" and not out.loc["none", "meets"]
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(55, 1000, method="wilson")
    assert (out.loc["car", "ci_low"], out.loc["car", "ci_high"]) == pytest.approx((lo, hi), abs=1e-12)
    plain = qa_coverage(counts).set_index("label")
    assert plain.loc["ev", "required_rate"] == pytest.approx(0.10) and plain.loc["ev", "meets"]


# ----------------------------------------------------------------------------------------------------------------
# small seeded database: DataFrame == DuckDB == PostgreSQL
# ----------------------------------------------------------------------------------------------------------------

def _tables(seed: int = 5, n_items: int = 150) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    classes = np.array(["car", "van", "bus", "ev"])
    ids = np.array([f"it{k:03d}" for k in range(n_items)])
    truth = rng.choice(classes, n_items, p=[0.6, 0.25, 0.1, 0.05])
    k = rng.integers(1, 4, n_items)  # 1..3 annotations per item: ties happen
    item_rep = np.repeat(np.arange(n_items), k)
    noisy = rng.random(item_rep.size) < 0.3
    labels = np.where(noisy, rng.choice(classes, item_rep.size), truth[item_rep])
    ann = pd.DataFrame({"annotation_id": [f"a{j:04d}" for j in range(item_rep.size)], "item_id": ids[item_rep],
                        "annotator_id": rng.choice(["u1", "u2", "u3"], item_rep.size), "label": labels,
                        "created_at": pd.Timestamp("2026-06-01 10:00"),
                        "schema_version": np.where(rng.random(item_rep.size) < 0.5, 1, 2)})
    light = rng.choice(np.array(["day", "dusk", "night", ""], dtype=object), n_items, p=[0.5, 0.2, 0.2, 0.1])
    attrs = pd.DataFrame({"item_id": ids, "key": "lighting", "value": light})
    attrs = pd.concat([attrs[attrs["value"] != ""],
                       pd.DataFrame({"item_id": ids[:40], "key": "sensor", "value": "cam_a"})])
    gold_mask = rng.random(n_items) < 0.2
    rev = rng.random(len(ann)) < 0.1
    return {
        "projects": pd.DataFrame({"project_id": ["p1", "p2"], "name": "x", "client": "c"}),
        "label_classes": pd.DataFrame({"project_id": "p1", "schema_version": [1, 1, 1, 1, 2, 2, 2, 2, 2],
                                       "label": ["car", "van", "bus", "ev", "car", "van", "bus", "ev", "tram"],
                                       "tier": ["standard"] * 3 + ["critical"] + ["standard"] * 5}),
        "annotators": pd.DataFrame({"annotator_id": ["u1", "u2", "u3"], "team": ["t1", "t1", "t2"]}),
        "items": pd.concat([pd.DataFrame({"item_id": ids, "project_id": "p1"}),
                            pd.DataFrame({"item_id": ["other"], "project_id": "p2"})]),
        "item_attributes": attrs,
        "annotations": pd.concat([ann, pd.DataFrame({"annotation_id": ["zz"], "item_id": ["other"],
                                                     "annotator_id": ["u1"], "label": ["car"],
                                                     "created_at": pd.Timestamp("2026-06-01"),
                                                     "schema_version": [1]})]),
        "gold_labels": pd.DataFrame({"item_id": ids[gold_mask], "label": truth[gold_mask]}),
        "reviews": pd.DataFrame({"review_id": [f"r{j}" for j in range(rev.sum())],
                                 "annotation_id": ann["annotation_id"][rev].to_numpy(), "verdict": "accepted"}),
    }


@pytest.fixture(scope="module")
def tables():
    return _tables()


@pytest.fixture(scope="module")
def frame(tables):
    ann = tables["annotations"].merge(tables["items"], on="item_id")
    ann = ann[ann["project_id"] == "p1"]
    for key in ("lighting", "sensor"):
        at = tables["item_attributes"]
        ann = ann.merge(at[at["key"] == key][["item_id", "value"]].rename(columns={"value": key}), on="item_id",
                        how="left")
    return ann.reset_index(drop=True)


@pytest.fixture(scope="module")
def duck(tables, tmp_path_factory):
    url = f"duckdb:///{tmp_path_factory.mktemp('cov') / 'cov.duckdb'}"
    load_tables(url, tables)
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


P1 = Filters("p1")


def _qa_counts_by_pandas(tables, frame) -> pd.DataFrame:
    maj = item_majority(frame)
    gold = set(tables["gold_labels"]["item_id"])
    rev_ann = set(tables["reviews"]["annotation_id"])
    reviewed = set(frame.loc[frame["annotation_id"].isin(rev_ann), "item_id"])
    maj["g"] = maj["item_id"].isin(gold)
    maj["r"] = maj["item_id"].isin(reviewed)
    out = maj.groupby("label").agg(items=("item_id", "size"), items_with_gold=("g", "sum"),
                                   items_reviewed=("r", "sum"))
    out["items_qa"] = maj.assign(q=maj["g"] | maj["r"]).groupby("label")["q"].sum()
    return out


def test_frame_equals_duckdb(tables, frame, duck):
    declared = tables["label_classes"]["label"].unique()
    pd.testing.assert_frame_equal(class_distribution(frame, classes=declared), class_distribution_from_db(duck, P1))
    v2 = frame[frame["schema_version"] == 2]
    declared_v2 = tables["label_classes"].query("schema_version == 2")["label"].unique()
    pd.testing.assert_frame_equal(class_distribution(v2, classes=declared_v2),
                                  class_distribution_from_db(duck, P1.replace(schema_version=2)))
    for key in ("lighting", "sensor"):
        pd.testing.assert_frame_equal(class_attribute_crosstab(frame, key),
                                      class_attribute_crosstab_from_db(duck, P1, key))
    db = qa_coverage_from_db(duck, P1, critical_min_count=5).set_index("label")
    expected = _qa_counts_by_pandas(tables, frame)
    assert db[["items", "items_with_gold", "items_reviewed", "items_qa"]].to_dict("index") == expected.to_dict("index")
    assert db["tier"].to_dict() == {"bus": "standard", "car": "standard", "ev": "critical", "van": "standard"}
    dist = class_distribution_from_db(duck, P1).set_index("label")
    assert dist.loc["tram", "items"] == 0  # declared (schema v2) but never used
    assert coverage_summary(dist.reset_index()).empty_classes == ("tram",)


@pytest.mark.postgres
def test_duckdb_equals_postgres(tables, duck, pg_url):
    load_tables(pg_url, tables)
    pg = make_engine(pg_url, read_only=True)
    try:
        for f in (P1, P1.replace(schema_version=1), P1.replace(team="t2")):
            pd.testing.assert_frame_equal(class_distribution_from_db(duck, f), class_distribution_from_db(pg, f))
            pd.testing.assert_frame_equal(class_attribute_crosstab_from_db(duck, f, "lighting"),
                                          class_attribute_crosstab_from_db(pg, f, "lighting"))
            pd.testing.assert_frame_equal(qa_coverage_from_db(duck, f), qa_coverage_from_db(pg, f))
    finally:
        pg.dispose()


# ----------------------------------------------------------------------------------------------------------------
# demo data
# ----------------------------------------------------------------------------------------------------------------

MAIN = Filters("streetscene")


def test_demo_coverage(demo_engine):
    dist = class_distribution_from_db(demo_engine, MAIN)
    s = coverage_summary(dist, by="items", min_count=30)
    assert s.n_classes == 30 and s.largest_class == "car"
    ev = dist.set_index("label").loc["emergency_vehicle"]
    assert 0 < ev["item_share"] < 0.01  # demo: critical class on < 1 % of items
    assert s.imbalance_ratio > 10 and 0.5 < s.normalized_entropy < 1
    qa = qa_coverage_from_db(demo_engine, MAIN).set_index("label")
    assert qa.loc["emergency_vehicle", "tier"] == "critical" and (qa["tier"] == "critical").sum() == 1
    # the QA plan over-samples rare classes: the critical class is checked at a higher rate than car
    assert qa.loc["emergency_vehicle", "qa_rate"] > qa.loc["car", "qa_rate"]
    ct = class_attribute_crosstab_from_db(demo_engine, MAIN, "lighting")
    assert set(ct["attr_value"]) == {"day", "dusk", "night"} and len(ct) == 90
    assert (ct["thin"] == ((ct["items"] > 0) & (ct["items"] < 30))).all() and (ct["empty"] == (ct["items"] == 0)).all()
    ev_cells = ct[ct["label"] == "emergency_vehicle"].set_index("attr_value")
    assert ev_cells["thin"].any() and ev_cells["items"].sum() == ev["items"]


def test_demo_frame_equals_duckdb(demo_engine):
    with demo_engine.connect() as c:
        frame = pd.read_sql(text(
            "SELECT a.item_id, a.annotator_id, a.label, ia.value AS lighting FROM annotations a "
            "JOIN items i ON i.item_id = a.item_id "
            "LEFT JOIN item_attributes ia ON ia.item_id = a.item_id AND ia.key = 'lighting' "
            "WHERE i.project_id = 'streetscene'"), c)
        declared = pd.read_sql(text("SELECT DISTINCT label FROM label_classes WHERE project_id = 'streetscene'"), c)
    pd.testing.assert_frame_equal(class_distribution(frame, classes=declared["label"]),
                                  class_distribution_from_db(demo_engine, MAIN))
    pd.testing.assert_frame_equal(class_attribute_crosstab(frame, "lighting"),
                                  class_attribute_crosstab_from_db(demo_engine, MAIN, "lighting"))


@pytest.mark.postgres
def test_demo_duckdb_equals_postgres(demo_engine, demo_pg_url):
    pg = make_engine(demo_pg_url, read_only=True)
    try:
        pd.testing.assert_frame_equal(class_distribution_from_db(demo_engine, MAIN),
                                      class_distribution_from_db(pg, MAIN))
        pd.testing.assert_frame_equal(qa_coverage_from_db(demo_engine, MAIN), qa_coverage_from_db(pg, MAIN))
        pd.testing.assert_frame_equal(class_attribute_crosstab_from_db(demo_engine, MAIN, "lighting"),
                                      class_attribute_crosstab_from_db(pg, MAIN, "lighting"))
    finally:
        pg.dispose()
