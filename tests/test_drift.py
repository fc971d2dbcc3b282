"""Weekly series, annotator drift and label-distribution shift (analytics.drift)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency
from sqlalchemy import text

from analytics.db import make_engine
from analytics.drift import (
    annotator_drift,
    control_limits,
    label_counts,
    label_shift,
    label_shift_from_db,
    weekly_accuracy,
    weekly_accuracy_from_db,
    weekly_agreement_from_db,
    weekly_series,
    week_of,
)
from analytics.filters import Filters
from analytics.metrics.results import wilson_interval

WEEK1 = pd.Timestamp("2026-05-25")          # ARCHITECTURE.md: week 1 starts Monday 2026-05-25
DRIFT_START = pd.Timestamp("2026-08-24")    # ARCHITECTURE.md / analytics.demo.TRUTHS: ann_07 drifts from week 14


def _week(k: int) -> pd.Timestamp:
    return WEEK1 + pd.Timedelta(weeks=k - 1)


# ----------------------------------------------------------------------------------------------------------------
# Weekly series
# ----------------------------------------------------------------------------------------------------------------
def test_week_of_is_monday_like_date_trunc():
    ts = pd.Series(pd.to_datetime(["2026-05-25 00:00", "2026-05-31 23:59", "2026-06-01 08:00", "2026-08-27 12:00"]))
    assert week_of(ts).tolist() == [WEEK1, WEEK1, _week(2), DRIFT_START]


def test_weekly_series_sums_fills_gaps_and_uses_wilson():
    counts = pd.DataFrame({"week": [_week(1), _week(1), _week(3)], "annotator_id": ["a", "b", "a"],
                           "correct": [8, 1, 5], "n": [10, 1, 5]})
    out = weekly_series(counts)                                  # overall: weeks 1, 2 (gap), 3
    assert out["week"].tolist() == [_week(1), _week(2), _week(3)]
    assert out["correct"].tolist() == [9, 0, 5] and out["n"].tolist() == [11, 0, 5]
    assert out.loc[0, "accuracy"] == pytest.approx(9 / 11) and np.isnan(out.loc[1, "accuracy"])
    assert out.loc[1, "reason"] == "no gold-scored annotations this week" and out.loc[0, "reason"] is None
    low, high = wilson_interval(9, 11)
    assert (out.loc[0, "ci_low"], out.loc[0, "ci_high"]) == pytest.approx((low, high))
    by = weekly_series(counts, by="annotator_id")
    assert len(by) == 6                                          # 3 weeks x 2 annotators
    assert by.set_index(["annotator_id", "week"]).loc[("b", _week(3)), "n"] == 0


def test_weekly_accuracy_frame_known_answer():
    df = pd.DataFrame({"item_id": ["i1", "i1", "i2", "i3", "i3"], "annotator_id": ["a", "b", "a", "a", "b"],
                       "label": ["x", "y", "x", "z", "z"], "team": ["t1", "t2", "t1", "t1", "t2"],
                       "created_at": pd.to_datetime(["2026-05-25 09:00", "2026-05-26 00:00", "2026-05-27 00:00",
                                                     "2026-06-02 00:00", "2026-06-03 00:00"])})
    gold = pd.DataFrame({"item_id": ["i1", "i3"], "label": ["x", "y"]})   # i2 has no gold: not scored
    out = weekly_accuracy(df, gold, by="annotator_id").set_index(["annotator_id", "week"])
    assert out.loc[("a", WEEK1), ["correct", "n"]].tolist() == [1, 1]
    assert out.loc[("b", WEEK1), ["correct", "n"]].tolist() == [0, 1]
    assert out.loc[("a", _week(2)), ["correct", "n"]].tolist() == [0, 1]
    overall = weekly_accuracy(df, gold)
    assert overall["accuracy"].tolist() == pytest.approx([0.5, 0.0])
    with pytest.raises(ValueError, match="by must be"):
        weekly_accuracy(df, gold, by="week")


# ----------------------------------------------------------------------------------------------------------------
# Annotator drift: synthetic series with known change points
# ----------------------------------------------------------------------------------------------------------------
def _synthetic_weekly(seed=0, n_stable=40, change_weeks=tuple(range(10, 21)), p0=0.93, p1=0.70, per_week=60):
    """26 weeks; stable annotators at p0 throughout, drifting ones switch to p1 at their change week."""
    rng = np.random.default_rng(seed)
    rows = []
    names = [f"s{i:02d}" for i in range(n_stable)] + [f"d{w:02d}" for w in change_weeks]
    change = [99] * n_stable + list(change_weeks)
    for name, cw in zip(names, change):
        n = rng.poisson(per_week, 26) + 1
        p = np.where(np.arange(1, 27) >= cw, p1, p0)
        rows.append(pd.DataFrame({"week": [_week(k) for k in range(1, 27)], "annotator_id": name,
                                  "correct": rng.binomial(n, p), "n": n}))
    return pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drift_detects_known_change_points(seed):
    weekly = _synthetic_weekly(seed=seed)
    out = annotator_drift(weekly).set_index("annotator_id")
    drifting = out.index.str.startswith("d")
    # change weeks 10..20 all leave >= 6 drifted weeks inside the recent window (last 8 weeks): a 23-point drop
    # on ~480 annotations per window is > 8 standard errors, so every one must be found
    assert out.loc[drifting, "drift"].all()
    true_start = pd.Series([_week(int(a[1:])) for a in out.index[drifting]], index=out.index[drifting])
    err_weeks = (out.loc[drifting, "start_week"] - true_start).dt.days.abs() / 7
    assert (err_weeks <= 1).mean() >= 0.9 and err_weeks.max() <= 2
    # 40 stable annotators tested at alpha = 0.01: expected 0.4 false positives; 3 or more has probability < 1%
    assert out.loc[~drifting, "drift"].sum() <= 2
    assert (out["start_week"].isna() == ~out["drift"]).all()       # a start week exactly when drift is flagged
    assert (out.loc[drifting, "delta"] == out.loc[drifting, "recent_acc"] - out.loc[drifting, "baseline_acc"]).all()
    assert (out.loc[drifting, "delta_ci_high"] < 0).all()


def test_drift_p_value_is_the_one_sided_two_proportion_z_test():
    weekly = pd.DataFrame({"week": [_week(k) for k in range(1, 5)], "annotator_id": "a",
                           "correct": [45, 45, 30, 30], "n": [50, 50, 50, 50]})
    out = annotator_drift(weekly, baseline_weeks=2, recent_weeks=2, min_n=10).iloc[0]
    # by hand: p1 = 90/100, p2 = 60/100, pooled 0.75, se = sqrt(0.75 * 0.25 * (2/100)) = 0.061237, z = 4.898979
    from scipy.stats import norm
    assert out["p_value"] == pytest.approx(norm.sf(0.3 / np.sqrt(0.75 * 0.25 * 0.02)))
    assert out["baseline_acc"] == 0.9 and out["recent_acc"] == 0.6 and out["n_baseline"] == 100
    assert out["drift"] and out["start_week"] == _week(3)


def test_drift_small_samples_are_not_tested_and_bad_args_raise():
    weekly = pd.DataFrame({"week": [_week(k) for k in range(1, 21)], "annotator_id": "a",
                           "correct": 1, "n": 2})
    out = annotator_drift(weekly, min_n=20).iloc[0]
    assert not out["drift"] and np.isnan(out["p_value"]) and "fewer than 20" in out["reason"]
    with pytest.raises(ValueError, match="baseline_weeks"):
        annotator_drift(weekly, baseline_weeks=0)
    with pytest.raises(ValueError, match="correction"):
        annotator_drift(weekly, correction="holm")
    with pytest.raises(ValueError, match="missing column"):
        annotator_drift(weekly.drop(columns="n"))


def test_drift_annotators_without_baseline_or_recent_weeks_are_not_tested():
    # "a": weeks 1-4 (baseline 1-2, recent 3-4) with a clear drop; "new": only in the recent window (no baseline);
    # "gone": only before the recent window (no recent weeks). Before the fix the CUSUM crashed (idxmax on NaN).
    weekly = pd.DataFrame({"week": [_week(k) for k in (1, 2, 3, 4, 3, 4, 1, 2)],
                           "annotator_id": ["a"] * 4 + ["new"] * 2 + ["gone"] * 2,
                           "correct": [45, 45, 30, 30, 40, 40, 40, 40], "n": [50] * 8})
    out = annotator_drift(weekly, baseline_weeks=2, recent_weeks=2, min_n=10).set_index("annotator_id")
    assert out.loc["a", "drift"] and out.loc["a", "start_week"] == _week(3) and out.loc["a", "reason"] is None
    assert out.loc["new", "reason"].startswith("no baseline weeks") and out.loc["new", "n_baseline"] == 0
    assert out.loc["gone", "reason"].startswith("no recent weeks") and out.loc["gone", "n_recent"] == 0
    for who in ("new", "gone"):
        assert not out.loc[who, "drift"] and np.isnan(out.loc[who, "p_value"]) and pd.isna(out.loc[who, "start_week"])
    assert out.loc["new", "recent_acc"] == 0.8 and out.loc["gone", "baseline_acc"] == 0.8


def test_drift_on_a_small_demo_does_not_crash(tmp_path):
    """A demo of 8,000 annotations leaves some annotators with gold-scored work in only one window."""
    from analytics.demo import build_demo

    url = f"duckdb:///{tmp_path / 'small.duckdb'}"
    build_demo(url, annotations=8000, seed=7, progress=lambda _m: None)
    eng = make_engine(url, read_only=True)
    try:
        weekly = weekly_accuracy_from_db(eng, Filters("streetscene"), by="annotator_id", fill_weeks=False)
    finally:
        eng.dispose()
    out = annotator_drift(weekly)
    assert out["annotator_id"].is_unique and set(out["annotator_id"]) == set(weekly["annotator_id"])
    untested = out["p_value"].isna()
    assert untested.any() and out.loc[untested, "reason"].notna().all() and not out.loc[untested, "drift"].any()
    one_window = (out["n_baseline"] == 0) | (out["n_recent"] == 0)
    assert one_window.any()
    assert out.loc[one_window, "reason"].str.match(r"no (baseline|recent) weeks").all()


def test_control_limits_are_the_p_chart_by_hand():
    # Montgomery, Introduction to Statistical Quality Control (7th ed.), 7.2.1: p0 +- 3 sqrt(p0 (1 - p0) / n).
    # p0 = 0.9, n = 100: sqrt(0.09 / 100) = 0.03, limits 0.81 and 0.99.
    assert control_limits(0.9, 100) == pytest.approx((0.81, 0.99))
    # p0 = 0.95, n = 25: 3 sqrt(0.0475 / 25) = 0.130767...; 0.95 + 0.1308 > 1 is clipped to 1.
    lo, hi = control_limits(0.95, np.array([25, 0, 400]))
    assert lo[0] == pytest.approx(0.95 - 3 * np.sqrt(0.0475 / 25)) and lo[0] == pytest.approx(0.819233, abs=1e-6)
    assert hi[0] == 1.0 and np.isnan(lo[1]) and np.isnan(hi[1])
    assert (lo[2], hi[2]) == pytest.approx((0.95 - 3 * 0.0108972, 0.95 + 3 * 0.0108972), abs=1e-6)
    assert control_limits(0.9, 100, sigmas=2) == pytest.approx((0.84, 0.96))
    assert control_limits(1.0, 50) == (1.0, 1.0)
    with pytest.raises(ValueError, match="proportion"):
        control_limits(1.2, 10)
    with pytest.raises(ValueError, match="sigmas"):
        control_limits(0.5, 10, sigmas=0)


def test_bonferroni_is_stricter():
    weekly = _synthetic_weekly(seed=4, p1=0.86)                  # a small drop: some found only without correction
    plain = annotator_drift(weekly)
    bonf = annotator_drift(weekly, correction="bonferroni")
    assert bonf["drift"].sum() <= plain["drift"].sum()
    assert set(bonf.loc[bonf["drift"], "annotator_id"]) <= set(plain.loc[plain["drift"], "annotator_id"])


# ----------------------------------------------------------------------------------------------------------------
# Label shift
# ----------------------------------------------------------------------------------------------------------------
def test_label_shift_matches_hand_computation_and_scipy():
    counts = pd.DataFrame({"week": [_week(1)] * 2 + [_week(2)] * 3, "label": ["a", "b", "a", "b", "c"],
                           "n": [10, 20, 20, 10, 5]})
    out = label_shift(counts).iloc[0]
    table = np.array([[10, 20, 0], [20, 10, 5]])
    ref = chi2_contingency(table, correction=False)
    # by hand: N = 65, E = row x col / 65 -> (13.846, 13.846, 2.308 | 16.154, 16.154, 2.692); sum (O-E)^2/E = 11.3492
    assert out["chi2"] == pytest.approx(11.349206349, rel=1e-9) == ref.statistic
    assert out["dof"] == 2 == ref.dof and out["p_value"] == pytest.approx(ref.pvalue)
    assert out["deff"] == 1.0                                  # no cluster columns: independent annotations
    # PSI by hand, c empty in week 1 -> share 1e-4:
    # (20/35 - 10/30) ln((20/35)/(10/30)) + (10/35 - 20/30) ln((10/35)/(20/30)) + (5/35 - 1e-4) ln((5/35)/1e-4)
    # = 0.128333 + 0.322780 + 1.037049 = 1.488162
    assert out["psi"] == pytest.approx(1.4881619406, rel=1e-9)
    assert out["flagged"] and out["n"] == 35 and out["n_reference"] == 30 and out["reference_week"] == _week(1)


def test_label_shift_reference_first_and_drops_empty_labels():
    counts = pd.DataFrame({"week": [_week(1), _week(1), _week(2), _week(3), _week(3)],
                           "label": ["a", "b", "a", "a", "b"], "n": [5, 5, 10, 3, 7]})
    first = label_shift(counts, reference="first")
    assert (first["reference_week"] == _week(1)).all() and first["week"].tolist() == [_week(2), _week(3)]
    t = np.array([[5, 5], [3, 7]])
    assert first.iloc[1]["chi2"] == pytest.approx(chi2_contingency(t, correction=False).statistic)
    prev = label_shift(counts)
    assert prev.iloc[1]["reference_week"] == _week(2)
    single = label_shift(pd.DataFrame({"week": [_week(1), _week(2)], "label": ["a", "a"], "n": [3, 4]}))
    assert single.iloc[0]["dof"] == 0 and np.isnan(single.iloc[0]["p_value"]) and single.iloc[0]["reason"]
    with pytest.raises(ValueError, match="reference"):
        label_shift(counts, reference="last")


@st.composite
def _weekly_labels(draw):
    n_weeks, k = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    rows = []
    for w in range(1, n_weeks + 1):
        for j in range(k):
            rows.append((_week(w), f"l{j}", draw(st.integers(0, 30))))
    df = pd.DataFrame(rows, columns=["week", "label", "n"])
    return df[df.groupby("week")["n"].transform("sum") > 0]


@settings(max_examples=30, deadline=None)
@given(_weekly_labels())
def test_duplicating_every_annotation_leaves_the_rao_scott_test_unchanged(counts):
    """Each item labelled by one annotator, then by two who agree: the raw chi2 doubles, deff = 2, and the
    corrected statistic and p-value are those of the single-annotation data."""
    # expand counts to one annotation per item, then duplicate each item's annotation
    week = np.repeat(counts["week"].to_numpy(), counts["n"].to_numpy())
    label = np.repeat(counts["label"].to_numpy(), counts["n"].to_numpy())
    single = pd.DataFrame({"item_id": np.arange(len(week)), "annotator_id": "u", "label": label, "week": week})
    double = pd.concat([single, single.assign(annotator_id="v")], ignore_index=True)
    a, b = label_shift(label_counts(single)), label_shift(label_counts(double))
    ok = a["dof"] > 0
    if not ok.any():
        return
    np.testing.assert_allclose(a.loc[ok, "deff"], 1.0)
    np.testing.assert_allclose(b.loc[ok, "chi2"], 2 * a.loc[ok, "chi2"], rtol=1e-9)
    np.testing.assert_allclose(b.loc[ok, "deff"], 2.0, rtol=1e-9)
    np.testing.assert_allclose(b.loc[ok, "p_value"], a.loc[ok, "p_value"], rtol=1e-7, atol=1e-300)
    np.testing.assert_allclose(b.loc[ok, "psi"], a.loc[ok, "psi"], rtol=1e-9)   # shares are unchanged
    assert (a["psi"] >= -1e-12).all()


# ----------------------------------------------------------------------------------------------------------------
# Demo data (analytics.demo.build_demo through the demo_engine fixture)
# ----------------------------------------------------------------------------------------------------------------
def _raw(engine, project="streetscene"):
    with engine.connect() as c:
        ann = pd.read_sql(text(
            "SELECT a.item_id, a.annotator_id, a.label, a.created_at, an.team FROM annotations a "
            "JOIN items i ON i.item_id = a.item_id LEFT JOIN annotators an ON an.annotator_id = a.annotator_id "
            "WHERE i.project_id = :p"), c, params={"p": project})
        gold = pd.read_sql(text("SELECT g.item_id, g.label FROM gold_labels g JOIN items i ON i.item_id = g.item_id "
                                "WHERE i.project_id = :p"), c, params={"p": project})
    return ann, gold


def test_truth_1_ann_07_drift_on_demo(demo_engine):
    f = Filters("streetscene")
    weekly = weekly_agreement_from_db(demo_engine, f, by="annotator_id")
    assert weekly["annotator_id"].nunique() == 40
    out = annotator_drift(weekly).set_index("annotator_id")
    row = out.loc["ann_07"]
    assert row["drift"] and row["delta"] < -0.05 and row["delta_ci_high"] < 0
    assert abs((row["start_week"] - DRIFT_START).days) <= 7        # within +-1 week of week 14 (2026-08-24)
    false_pos = out.drop(index="ann_07")["drift"].sum()
    assert false_pos <= 1                                          # measured: 0 of the other 39
    # Gold covers ~7.5% of items: per annotator-week a handful of gold annotations. Gold-based accuracy shows the
    # same drop for ann_07, though at the test demo's size (60k annotations) not always at alpha = 0.01.
    gold_weekly = weekly_accuracy_from_db(demo_engine, f, by="annotator_id")
    g = annotator_drift(gold_weekly).set_index("annotator_id")
    assert g.loc["ann_07", "delta"] < 0
    assert g.drop(index="ann_07")["drift"].sum() <= 1


def test_weekly_accuracy_db_equals_frame(demo_engine):
    f = Filters("streetscene")
    ann, gold = _raw(demo_engine)
    for by in (None, "annotator_id", "team"):
        db = weekly_accuracy_from_db(demo_engine, f, by=by)
        fr = weekly_accuracy(ann, gold, by=by)
        pd.testing.assert_frame_equal(db, fr, check_dtype=False)


def test_label_shift_db_equals_frame_and_correction_calibrates(demo_engine):
    f = Filters("streetscene")
    db = label_shift_from_db(demo_engine, f)
    ann, _ = _raw(demo_engine)
    fr = label_shift(label_counts(ann))
    pd.testing.assert_frame_equal(db, fr, check_dtype=False)
    assert len(db) == 25                                            # 26 weeks -> 25 week-over-week comparisons
    # The demo injects no shift of the label mix. Annotations cluster in items (1-5 annotators each), which
    # inflates the raw chi2 about 2x; with the Rao-Scott correction the statistic averages about its dof and
    # few weeks are flagged.
    assert db["deff"].between(1.5, 3.5).all()
    assert db["chi2_adj"].mean() == pytest.approx(db["dof"].mean(), rel=0.25)
    assert db["flagged"].sum() <= 2


def test_filters_narrow_the_scope(demo_engine):
    f = Filters("streetscene", date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 21), team="team_a")
    w = weekly_accuracy_from_db(demo_engine, f)
    assert w["week"].tolist() == [_week(2), _week(3), _week(4)]
    full = weekly_accuracy_from_db(demo_engine, Filters("streetscene"))
    assert w["n"].sum() < full.loc[full["week"].isin(w["week"]), "n"].sum()
    with pytest.raises(ValueError, match="no gold-scored"):
        weekly_accuracy_from_db(demo_engine, Filters("no_such_project"))


@pytest.mark.postgres
def test_drift_queries_same_on_postgres(demo_engine, demo_pg_url):
    pg = make_engine(demo_pg_url, read_only=True)
    try:
        f = Filters("streetscene", date_from=dt.date(2026, 6, 1), team="team_b")
        for by in (None, "annotator_id"):
            pd.testing.assert_frame_equal(weekly_accuracy_from_db(demo_engine, f, by=by),
                                          weekly_accuracy_from_db(pg, f, by=by), check_dtype=False)
        pd.testing.assert_frame_equal(weekly_agreement_from_db(demo_engine, f),
                                      weekly_agreement_from_db(pg, f), check_dtype=False)
        pd.testing.assert_frame_equal(label_shift_from_db(demo_engine, f), label_shift_from_db(pg, f),
                                      check_dtype=False)
    finally:
        pg.dispose()
