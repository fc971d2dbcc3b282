"""Throughput, QA rate and week-over-week changes (analytics.activity): hand values on a tiny database built
here, DuckDB == PostgreSQL on the demo fixtures."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.activity import (
    ACTIVITY_COLUMNS,
    annotator_activity,
    annotator_activity_from_db,
    qa_rate,
    qa_rate_from_db,
    week_over_week,
)
from analytics.db import make_engine
from analytics.filters import Filters
from dbutil import load_tables

T0 = pd.Timestamp("2026-06-01 10:00")  # a Monday


def _tiny_tables() -> dict[str, pd.DataFrame]:
    """p1 has items i1-i4; p2's item i5 (annotated by u1, reviewed) must never count for p1.

    u1: 4 annotations on 3 items (i1 twice), durations 10, 20, 60, 50 s -> 140 s, median (20 + 50) / 2 = 35 s,
        4 / (140 / 3600) = 102.857 per hour;
    u2: 2 annotations, 30 + 30 s -> 120 per hour, median 30 s;
    u3: one annotation without a duration -> pace undefined; u4: one annotation of 0 s -> pace undefined.
    QA: i1 has gold, i2 has a reviewed annotation (a5): 2 of 4 items checked.
    """
    ann = pd.DataFrame({
        "annotation_id": [f"a{k}" for k in range(1, 10)],
        "item_id": ["i1", "i2", "i3", "i1", "i2", "i4", "i5", "i1", "i4"],
        "annotator_id": ["u1", "u1", "u1", "u2", "u2", "u3", "u1", "u1", "u4"],
        "label": "car",
        "created_at": [T0 + pd.Timedelta(days=d) for d in (0, 0, 1, 2, 2, 3, 3, 8, 9)],
        "duration_s": [10.0, 20.0, 60.0, 30.0, 30.0, None, 1000.0, 50.0, 0.0],
        "schema_version": 1,
    })
    return {
        "projects": pd.DataFrame({"project_id": ["p1", "p2"], "name": ["P1", "P2"], "client": ["c", "c"]}),
        "annotators": pd.DataFrame({"annotator_id": ["u1", "u2", "u3", "u4"], "team": ["a", "b", "a", "b"]}),
        "items": pd.DataFrame({"item_id": ["i1", "i2", "i3", "i4", "i5"],
                               "project_id": ["p1", "p1", "p1", "p1", "p2"]}),
        "annotations": ann,
        "gold_labels": pd.DataFrame({"item_id": ["i1"], "label": ["car"]}),
        "reviews": pd.DataFrame({"review_id": ["r1", "r2"], "annotation_id": ["a5", "a7"],
                                 "verdict": ["accepted", "accepted"]}),
    }


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def tiny_engine(request, tmp_path):
    url = f"duckdb:///{tmp_path / 'tiny.duckdb'}" if request.param == "duckdb" else request.getfixturevalue("pg_url")
    load_tables(url, _tiny_tables())
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


# ----------------------------------------------------------------------------------------------------------------
# Per-annotator activity
# ----------------------------------------------------------------------------------------------------------------
def test_activity_hand_values_on_a_tiny_db(tiny_engine):
    out = annotator_activity_from_db(tiny_engine, Filters("p1")).set_index("annotator_id")
    assert list(out.reset_index().columns) == ACTIVITY_COLUMNS
    assert list(out.index) == ["u1", "u2", "u3", "u4"]
    assert out["n_annotations"].tolist() == [4, 2, 1, 1]           # p2's annotation a7 is not counted
    assert out["n_items"].tolist() == [3, 2, 1, 1]                  # u1 labelled i1 twice
    assert out["n_timed"].tolist() == [4, 2, 0, 1]
    assert out.loc["u1", "active_hours"] == pytest.approx(140 / 3600)
    assert out.loc["u1", "items_per_hour"] == pytest.approx(102.857142857, rel=1e-9)   # 4 / (140 / 3600)
    assert out.loc["u1", "median_seconds_per_item"] == pytest.approx(35.0)            # (20 + 50) / 2
    assert out.loc["u2", "items_per_hour"] == pytest.approx(120.0) and out.loc["u2", "median_seconds_per_item"] == 30
    assert out.loc["u1", "reason"] is None and out.loc["u2", "reason"] is None
    assert out.loc["u1", "weeks_active"] == 2 and out.loc["u1", "team"] == "a"
    for who, words in (("u3", "no recorded durations"), ("u4", "all zero")):
        assert words in out.loc[who, "reason"] and np.isnan(out.loc[who, "items_per_hour"])
    assert np.isnan(out.loc["u3", "active_hours"]) and np.isnan(out.loc["u3", "median_seconds_per_item"])
    assert out.loc["u4", "active_hours"] == 0 and out.loc["u4", "median_seconds_per_item"] == 0


def test_activity_filters_and_empty_scope(tiny_engine):
    team_b = annotator_activity_from_db(tiny_engine, Filters("p1", team="b"))
    assert team_b["annotator_id"].tolist() == ["u2", "u4"]
    first_week = annotator_activity_from_db(tiny_engine, Filters("p1", date_to=dt.date(2026, 6, 7)))
    assert first_week.set_index("annotator_id").loc["u1", "n_annotations"] == 3        # a8 is on 9 June
    none = annotator_activity_from_db(tiny_engine, Filters("no_such_project"))
    assert none.empty and list(none.columns) == ACTIVITY_COLUMNS


def test_activity_finishing_needs_the_sufficient_statistics():
    with pytest.raises(ValueError, match="missing column"):
        annotator_activity(pd.DataFrame({"annotator_id": ["u1"], "annotations": [1]}))


# ----------------------------------------------------------------------------------------------------------------
# QA rate
# ----------------------------------------------------------------------------------------------------------------
def test_qa_rate_hand_values_on_a_tiny_db(tiny_engine):
    e = qa_rate_from_db(tiny_engine, Filters("p1"))
    # 2 of 4 items checked; Wilson 95% by hand: centre 0.5, half-width
    # 1.959964 * sqrt(0.25/4 + 1.959964^2/64) / (1 + 1.959964^2/4) = 0.349961
    assert e.value == 0.5 and e.n == 4 and e.n_items == 4 and e.reason is None
    assert (e.ci_low, e.ci_high) == pytest.approx((0.150039, 0.849961), abs=1e-6)
    assert e.small_sample
    # team b annotated i1 (gold) and i2 (reviewed) and i4 (unchecked)
    b = qa_rate_from_db(tiny_engine, Filters("p1", team="b"))
    assert (b.value, b.n) == (pytest.approx(2 / 3), 3)
    # team a (u1, u3) annotated all four items; the review of i2 is on u2's annotation a5, outside the scope, so
    # only the gold item counts (reviews count on filtered annotations, as in coverage.qa_coverage_from_db)
    assert qa_rate_from_db(tiny_engine, Filters("p1", team="a")).value == pytest.approx(1 / 4)
    none = qa_rate_from_db(tiny_engine, Filters("no_such_project"))
    assert math.isnan(none.value) and none.n == 0 and "no annotated items" in none.reason


def test_qa_rate_checks_counts():
    assert qa_rate(10, 10).value == 1.0 and qa_rate(10, 10).ci_high == pytest.approx(1.0)
    with pytest.raises(ValueError, match="items_qa <= items"):
        qa_rate(3, 4)


# ----------------------------------------------------------------------------------------------------------------
# Week over week
# ----------------------------------------------------------------------------------------------------------------
def test_week_over_week_hand_values_and_reasons():
    ch = week_over_week(0.91, 0.885, "proportion")
    assert ch.value == pytest.approx(2.5) and ch.unit == "pp" and ch.reason is None
    assert week_over_week(0.62, 0.70, "score").value == pytest.approx(-0.08)
    c = week_over_week(1200, 1000, "count")
    assert c.value == 200 and isinstance(c.value, int) and c.unit == "count"
    assert week_over_week(float("nan"), 0.5, "score").reason == "no value this week"
    gone = week_over_week(0.5, None, "proportion")
    assert gone.value is None and not gone.defined and gone.reason == "no value last week"
    with pytest.raises(ValueError, match="kind"):
        week_over_week(1, 2, "percent")


@settings(max_examples=50, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_week_over_week_antisymmetric_and_proportion_is_100x_score(a, b):
    assert week_over_week(a, b, "score").value == pytest.approx(-week_over_week(b, a, "score").value, abs=1e-12)
    assert week_over_week(a, b, "proportion").value == pytest.approx(100 * week_over_week(a, b, "score").value,
                                                                     abs=1e-9)


# ----------------------------------------------------------------------------------------------------------------
# Demo: DuckDB == PostgreSQL
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_activity_and_qa_rate_same_on_duckdb_and_postgres(demo_engine, demo_pg_url):
    pg = make_engine(demo_pg_url, read_only=True)
    try:
        for f in (Filters("streetscene"), Filters("streetscene", dt.date(2026, 9, 28), dt.date(2026, 11, 22),
                                                  team="team_c")):
            a, b = annotator_activity_from_db(demo_engine, f), annotator_activity_from_db(pg, f)
            assert len(a) > 5 and a["reason"].isna().all()
            num = ["active_hours", "items_per_hour", "median_seconds_per_item"]
            np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-9)
            key = ["annotator_id", "team", "n_annotations", "n_items", "n_timed", "weeks_active"]
            pd.testing.assert_frame_equal(a[key].astype(str), b[key].astype(str))
            qd, qp = qa_rate_from_db(demo_engine, f), qa_rate_from_db(pg, f)
            assert qd == qp and qd.n > 1000 and 0 < qd.value < 1
    finally:
        pg.dispose()


def test_qa_rate_equals_the_per_class_coverage_summed(demo_engine):
    from analytics.coverage import qa_coverage_from_db

    f = Filters("streetscene", team="team_a")
    cov = qa_coverage_from_db(demo_engine, f)
    e = qa_rate_from_db(demo_engine, f)
    assert e.n == int(cov["items"].sum()) and e.value == pytest.approx(cov["items_qa"].sum() / cov["items"].sum())
