"""Accuracy against gold, the post-stratified estimate, confusion analysis and the QA planner.

Reference values carry their source beside them. Paths: the DataFrame path, DuckDB and PostgreSQL must give
identical numbers on a small seeded database built here and on the shared demo database.
"""
from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sqlalchemy import text

from analytics.accuracy import (
    accuracy_by,
    accuracy_estimate,
    accuracy_from_db,
    confusion_counts,
    confusion_from_db,
    confusion_matrix,
    draw_qa_sample,
    overall_accuracy,
    overall_accuracy_from_db,
    per_class_prf,
    plan_qa_sample,
    qa_population_from_db,
    strata_from_db,
    stratified_accuracy,
    stratified_accuracy_from_db,
    systematic_confusions,
)
from analytics.db import make_engine
from analytics.filters import Filters
from dbutil import load_tables
from analytics.metrics.results import wilson_interval

Z95 = stats.norm.ppf(0.975)
PROP = settings(max_examples=40, deadline=None)


# ----------------------------------------------------------------------------------------------------------------
# a small seeded database with a planted systematic confusion (c -> b by team t2 at night)
# ----------------------------------------------------------------------------------------------------------------

CLASSES = ["a", "b", "c", "d"]


def small_tables(seed: int = 3, n_items: int = 240) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    item_ids = np.array([f"i{k:04d}" for k in range(n_items)])
    items = pd.DataFrame({"item_id": item_ids, "project_id": "p1",
                          "split": rng.choice(["train", "val"], n_items, p=[0.8, 0.2])})
    other = pd.DataFrame({"item_id": ["x1", "x2"], "project_id": "p2", "split": "train"})
    truth = rng.choice(CLASSES, n_items, p=[0.5, 0.3, 0.15, 0.05])
    light = rng.choice(np.array(["day", "night", ""], dtype=object), n_items, p=[0.6, 0.3, 0.1])
    attrs = pd.DataFrame({"item_id": item_ids, "key": "lighting", "value": light})
    attrs = attrs[attrs["value"] != ""]
    annotators = pd.DataFrame({"annotator_id": [f"u{k}" for k in range(1, 8)],
                               "team": ["t1", "t1", "t1", "t2", "t2", "t2", None]})
    team_of = dict(zip(annotators["annotator_id"], annotators["team"]))
    rows = []
    t0 = dt.datetime(2026, 5, 25, 9)
    for k in range(n_items):  # tiny fixture data: a plain loop is clearest
        for u in rng.choice(annotators["annotator_id"].to_numpy(), 3, replace=False):
            lab = truth[k]
            if truth[k] == "c" and team_of[u] == "t2" and light[k] == "night":
                lab = "b" if rng.random() < 0.8 else lab
            elif rng.random() < 0.15:
                lab = rng.choice([c for c in CLASSES if c != truth[k]])
            ts = t0 + dt.timedelta(hours=int(rng.integers(0, 42 * 24)))
            rows.append({"annotation_id": f"a{len(rows):05d}", "item_id": item_ids[k], "annotator_id": u,
                         "label": str(lab), "created_at": ts,
                         "batch_id": f"b{(ts.date() - t0.date()).days // 14 + 1}"})
    ann = pd.DataFrame(rows)
    ann_other = pd.DataFrame([{"annotation_id": "z1", "item_id": "x1", "annotator_id": "u1", "label": "a",
                               "created_at": t0, "batch_id": "q1"}])
    p_gold = np.select([truth == "d", truth == "c"], [0.9, 0.5], 0.2)  # QA over-samples rare classes
    has_gold = rng.random(n_items) < p_gold
    gold = pd.DataFrame({"item_id": item_ids[has_gold], "label": truth[has_gold]})
    gold = pd.concat([gold, pd.DataFrame({"item_id": ["x1"], "label": ["b"]})])  # other project: never counted
    projects = pd.DataFrame({"project_id": ["p1", "p2"], "name": ["P1", "P2"], "client": ["C", "C"]})
    return {"projects": projects, "annotators": annotators, "items": pd.concat([items, other]),
            "item_attributes": attrs, "annotations": pd.concat([ann, ann_other]), "gold_labels": gold}


def monday(ts: pd.Series) -> pd.Series:
    ts = pd.to_datetime(ts)
    return (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.date


def frame_of(tables: dict[str, pd.DataFrame], project: str, attr_keys=("lighting",)) -> pd.DataFrame:
    """The long annotation frame of one project, assembled with pandas (independently of the SQL)."""
    ann = tables["annotations"].merge(tables["items"][["item_id", "project_id", "split"]], on="item_id")
    ann = ann[ann["project_id"] == project]
    ann = ann.merge(tables["annotators"][["annotator_id", "team"]], on="annotator_id", how="left")
    gold = tables["gold_labels"][["item_id", "label"]].rename(columns={"label": "gold_label"})
    ann = ann.merge(gold, on="item_id", how="left")
    for key in attr_keys:
        at = tables["item_attributes"]
        at = at[at["key"] == key][["item_id", "value"]].rename(columns={"value": key})
        ann = ann.merge(at, on="item_id", how="left")
    ann["week"] = monday(ann["created_at"])
    return ann.reset_index(drop=True)


@pytest.fixture(scope="module")
def small():
    return small_tables()


@pytest.fixture(scope="module")
def small_frame(small):
    return frame_of(small, "p1")


@pytest.fixture(scope="module")
def small_duck(small, tmp_path_factory):
    url = f"duckdb:///{tmp_path_factory.mktemp('acc') / 'small.duckdb'}"
    load_tables(url, small)
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


@pytest.fixture
def small_pg(small, pg_url):
    load_tables(pg_url, small)
    eng = make_engine(pg_url, read_only=True)
    yield eng
    eng.dispose()


P1 = Filters("p1")
GROUPINGS = [None, "gold_label", "annotator_id", "team", "week", "batch_id", ["annotator_id", "week"],
             "attr:lighting"]


# ----------------------------------------------------------------------------------------------------------------
# Wilson intervals
# ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("correct, n, low, high", [
    (81, 263, 0.2553, 0.3662),  # Newcombe (1998) Stat Med 17:857-872, Table I, 81/263, method 3 (Wilson score)
    (15, 148, 0.0624, 0.1605),  # Newcombe (1998) Table I, 15/148, method 3
    (0, 20, 0.0, 0.1611),  # Newcombe (1998) Table I, 0/20, method 3
    (1, 29, 0.0061, 0.1718),  # Newcombe (1998) Table I, 1/29, method 3
])
def test_accuracy_estimate_matches_newcombe_table_1(correct, n, low, high):
    est = accuracy_estimate(correct, n)
    assert est.value == pytest.approx(correct / n)
    assert round(est.ci_low, 4) == low and round(est.ci_high, 4) == high
    assert est.n == n and est.method == "wilson"


def test_accuracy_by_reproduces_newcombe_through_a_frame():
    # 81 correct of 263 scored annotations -> Newcombe (1998) Table I, 81/263: 0.2553, 0.3662
    df = pd.DataFrame({"item_id": [f"i{k}" for k in range(263)], "annotator_id": "u",
                       "label": ["a"] * 81 + ["b"] * 182, "gold_label": "a"})
    row = accuracy_by(df).iloc[0]
    assert (row["correct"], row["n"], row["n_items"]) == (81, 263, 263)
    assert (round(row["ci_low"], 4), round(row["ci_high"], 4)) == (0.2553, 0.3662)


@PROP
@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_statsmodels(cn, confidence):
    from statsmodels.stats.proportion import proportion_confint

    c, n = cn
    est = accuracy_estimate(c, n, confidence=confidence)
    low, high = proportion_confint(c, n, alpha=1 - confidence, method="wilson")
    assert est.ci_low == pytest.approx(low, abs=1e-12)
    assert est.ci_high == pytest.approx(high, abs=1e-12)


def test_accuracy_estimate_undefined_and_invalid():
    est = accuracy_estimate(0, 0)
    assert math.isnan(est.value) and est.reason == "no gold-scored annotations" and est.n == 0
    with pytest.raises(ValueError, match="correct <= n"):
        accuracy_estimate(5, 3)


# ----------------------------------------------------------------------------------------------------------------
# accuracy per stratum on a hand-made frame
# ----------------------------------------------------------------------------------------------------------------

@pytest.fixture
def tiny() -> pd.DataFrame:
    # i1 gold a: u1 a (ok), u2 a (ok), u3 b | i2 gold b: u1 b (ok), u2 a | i3 no gold | i4 gold c: u3 c (ok)
    return pd.DataFrame({
        "item_id": ["i1", "i1", "i1", "i2", "i2", "i3", "i3", "i4"],
        "annotator_id": ["u1", "u2", "u3", "u1", "u2", "u1", "u3", "u3"],
        "label": ["a", "a", "b", "b", "a", "a", "a", "c"],
        "gold_label": ["a", "a", "a", "b", "b", None, None, "c"],
        "lighting": ["day", "day", "day", "night", "night", "day", "day", None],
    })


def test_accuracy_by_known_answers(tiny):
    overall = accuracy_by(tiny).iloc[0]
    assert (overall["correct"], overall["n"], overall["n_items"]) == (4, 6, 3)
    by_ann = accuracy_by(tiny, "annotator_id").set_index("annotator_id")
    assert by_ann[["correct", "n"]].to_dict("index") == {"u1": {"correct": 2, "n": 2}, "u2": {"correct": 1, "n": 2},
                                                         "u3": {"correct": 1, "n": 2}}
    by_gold = accuracy_by(tiny, "gold_label").set_index("gold_label")
    assert by_gold["accuracy"].to_dict() == pytest.approx({"a": 2 / 3, "b": 1 / 2, "c": 1.0})
    lo, hi = wilson_interval(2, 3)
    assert (by_gold.loc["a", "ci_low"], by_gold.loc["a", "ci_high"]) == pytest.approx((lo, hi))
    assert by_gold["small_sample"].all()
    assert not accuracy_by(tiny, "annotator_id", small_n=2)["small_sample"].any()


def test_accuracy_by_attribute_keeps_missing_group_last(tiny):
    out = accuracy_by(tiny, "attr:lighting")
    assert list(out.columns[:1]) == ["lighting"]
    assert out["lighting"].iloc[:2].tolist() == ["day", "night"] and pd.isna(out["lighting"].iloc[2])
    assert out[["correct", "n"]].to_numpy().tolist() == [[2, 3], [1, 2], [1, 1]]
    pd.testing.assert_frame_equal(out, accuracy_by(tiny, "lighting"))


def test_accuracy_by_undefined_and_errors(tiny):
    no_gold = tiny.assign(gold_label=None)
    row = accuracy_by(no_gold).iloc[0]
    assert row["n"] == 0 and math.isnan(row["accuracy"]) and row["reason"] == "no gold-scored annotations"
    assert overall_accuracy(no_gold).reason == "no gold-scored annotations"
    with pytest.raises(ValueError, match="'gold_label'"):
        accuracy_by(tiny.drop(columns="gold_label"))
    with pytest.raises(ValueError, match="'week'"):
        accuracy_by(tiny, "week")


# ----------------------------------------------------------------------------------------------------------------
# post-stratified estimate
# ----------------------------------------------------------------------------------------------------------------

def test_stratified_matches_stehman_2014_numerical_example():
    # Stehman (2014) Int. J. Remote Sens. 35:4923, numerical example: 4 strata of 10 sample pixels each,
    # N_h = 40000, 30000, 20000, 10000; correct (map = reference) per stratum A 6, B 8, C 4, D 7
    # (sample data as in the example of R package mapaccuracy::stehman2014).
    strata = pd.DataFrame({"stratum": list("ABCD"), "correct": [6, 8, 4, 7], "n": 10,
                           "population": [40000, 30000, 20000, 10000]})
    res = stratified_accuracy(strata)
    assert res.stratified.value == pytest.approx(0.63, abs=1e-12)  # Stehman (2014) p. 4932: O = 0.63
    assert round(res.se, 3) == 0.085  # Stehman (2014) p. 4936: SE(O) = 0.085
    # with the fpc: 0.0846422 (the same value a Python port's test quotes for mapaccuracy::stehman2014's SEoa)
    assert res.se == pytest.approx(0.0846422, abs=1e-7)
    assert res.pooled.value == pytest.approx(25 / 40)
    assert res.uncovered_share == 0.0 and res.stratified.n == 40


def test_stratified_hand_computed_every_step():
    # stratum h1: 45/50 correct, N = 900; h2: 10/20 correct, N = 100 (QA over-samples h2)
    strata = pd.DataFrame({"stratum": ["h1", "h2"], "correct": [45, 10], "n": [50, 20], "population": [900, 100]})
    res = stratified_accuracy(strata)
    W = np.array([900, 100]) / 1000  # W_h = N_h / N = 0.9, 0.1
    p = np.array([45 / 50, 10 / 20])  # p_h = 0.9, 0.5
    assert res.stratified.value == pytest.approx(0.9 * 0.9 + 0.1 * 0.5)  # p_st = sum W_h p_h = 0.86
    v1 = 0.9 ** 2 * (1 - 50 / 900) * 0.9 * 0.1 / 49  # = 0.0014051020...
    v2 = 0.1 ** 2 * (1 - 20 / 100) * 0.5 * 0.5 / 19  # = 0.0001052631...
    assert v1 == pytest.approx(0.00140510204, rel=1e-9) and v2 == pytest.approx(0.00010526316, rel=1e-7)
    assert res.se == pytest.approx(math.sqrt(v1 + v2)) and res.se == pytest.approx(0.0388634172, rel=1e-9)
    assert res.stratified.ci_low == pytest.approx(0.86 - Z95 * 0.0388634172, abs=1e-9)  # 0.78383
    assert res.stratified.ci_high == pytest.approx(0.86 + Z95 * 0.0388634172, abs=1e-9)  # 0.93617
    assert res.pooled.value == pytest.approx(55 / 70)  # naive pooled figure: 0.7857, below the truth-weighted one
    assert res.table["weight"].tolist() == pytest.approx(W.tolist())
    assert res.table["accuracy"].tolist() == pytest.approx(p.tolist())
    assert res["pooled"] is res.pooled  # dict-style access (ARCHITECTURE contract)


@PROP
@given(st.lists(st.integers(2, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n),
                                                                st.integers(n, 5000))), min_size=1, max_size=8))
def test_stratified_matches_unit_level_textbook_computation(rows):
    strata = pd.DataFrame([(f"s{i}", c, n, N) for i, (c, n, N) in enumerate(rows)],
                          columns=["stratum", "correct", "n", "population"])
    res = stratified_accuracy(strata)
    # independent: expand each stratum to its 0/1 sample and use the sample variance s_h^2 (ddof=1)
    N = strata["population"].to_numpy(float)
    W = N / N.sum()
    est = var = 0.0
    for (c, n, Nh), w in zip(rows, W):
        y = np.r_[np.ones(c), np.zeros(n - c)]
        est += w * y.mean()
        var += w ** 2 * (1 - n / Nh) * y.var(ddof=1) / n  # Cochran (1977) ch. 5: v(ybar_st) with s_h^2
    assert res.stratified.value == pytest.approx(est, abs=1e-12)
    assert res.se == pytest.approx(math.sqrt(var), abs=1e-12)
    assert 0 <= res.stratified.ci_low <= res.stratified.value <= res.stratified.ci_high <= 1


def test_stratified_estimator_by_simulation():
    """Repeated stratified SRS without replacement from a fixed population: p_st is unbiased, the variance
    estimate matches the sampling variance (fpc included: stratum 3 is 40 % sampled), and the 95 % interval
    covers the truth about 95 % of the time; the pooled figure is biased by the over-sampling."""
    rng = np.random.default_rng(11)
    # accuracies away from 0/1 and n_h = 60: the regime where the normal interval is meant to hold (with a
    # dominant stratum near 0.95 and n_h = 40 a run gave 86 % coverage: the normal approximation's known weakness)
    sizes, accs, n = (2000, 500, 150), (0.85, 0.70, 0.50), 60
    pops = [rng.random(N) < a for N, a in zip(sizes, accs)]
    truth = sum(p.sum() for p in pops) / sum(sizes)
    reps = 400
    correct = np.column_stack([
        np.take_along_axis(np.tile(p, (reps, 1)), np.argsort(rng.random((reps, p.size)), axis=1)[:, :n], 1).sum(1)
        for p in pops])
    ests, ses, cover, pooled = [], [], 0, []
    for row in correct:
        res = stratified_accuracy(pd.DataFrame({"stratum": ["x", "y", "z"], "correct": row, "n": n,
                                                "population": sizes}))
        ests.append(res.stratified.value)
        ses.append(res.se)
        pooled.append(res.pooled.value)
        cover += res.stratified.ci_low <= truth <= res.stratified.ci_high
    ests = np.array(ests)
    assert abs(ests.mean() - truth) < 3 * ests.std() / math.sqrt(reps)
    assert np.mean(np.square(ses)) == pytest.approx(ests.var(), rel=0.2)
    assert 0.90 <= cover / reps <= 0.99
    assert np.mean(pooled) < truth - 0.05  # over-sampled weak strata drag the pooled figure down


def test_stratified_uncovered_strata_are_reported_not_dropped():
    strata = pd.DataFrame({"stratum": ["a", "b", "c", "d"], "correct": [45, 10, 1, 0], "n": [50, 20, 1, 0],
                           "population": [900, 100, 60, 40]})
    res = stratified_accuracy(strata)
    t = res.table.set_index("stratum")
    assert t.loc["c", "reason"] == "n < 2: within-stratum variance undefined"
    assert t.loc["d", "reason"] == "no gold-scored sample in this stratum"
    assert not t.loc[["c", "d"], "estimable"].any() and t.loc[["a", "b"], "estimable"].all()
    assert res.uncovered_share == pytest.approx(100 / 1100)
    ok = stratified_accuracy(strata.iloc[:2])  # the covered part, weights renormalised
    assert res.stratified.value == pytest.approx(ok.stratified.value) and res.se == pytest.approx(ok.se)
    assert any("9.09%" in note and "c, d" in note for note in res.notes)
    assert res.pooled.n == 71 and res.pooled.value == pytest.approx(56 / 71)
    none = stratified_accuracy(strata.iloc[2:])
    assert math.isnan(none.stratified.value) and "at least 2" in none.stratified.reason
    assert math.isnan(none.se) and none.uncovered_share == 1.0


def test_stratified_uses_sampled_items_for_the_fpc():
    # 3 annotations per item: 30 annotations on 10 of 20 items -> f = 10/20, not 30/20 (clipped to 1)
    base = pd.DataFrame({"stratum": ["a", "b"], "correct": [24, 20], "n": [30, 30], "population": [20, 80]})
    with_items = stratified_accuracy(base.assign(n_items=[10, 10]))
    t = with_items.table.set_index("stratum")
    assert t["fpc"].tolist() == pytest.approx([0.5, 0.875])
    assert stratified_accuracy(base).table["fpc"].tolist() == pytest.approx([0.0, 1 - 30 / 80])


def test_stratified_input_errors():
    good = pd.DataFrame({"stratum": ["a"], "correct": [1], "n": [2], "population": [5]})
    with pytest.raises(ValueError, match="'population'"):
        stratified_accuracy(good.drop(columns="population"))
    with pytest.raises(ValueError, match="repeated stratum"):
        stratified_accuracy(pd.concat([good, good]))
    with pytest.raises(ValueError, match="correct > n"):
        stratified_accuracy(good.assign(correct=3))
    with pytest.raises(ValueError, match="non-negative"):
        stratified_accuracy(good.assign(population=-1))


# ----------------------------------------------------------------------------------------------------------------
# confusion, precision / recall / F1
# ----------------------------------------------------------------------------------------------------------------

def test_confusion_matrix_counts_and_row_normalisation(tiny):
    long = confusion_counts(tiny)
    assert long.to_numpy().tolist() == [["a", "a", 2], ["a", "b", 1], ["b", "a", 1], ["b", "b", 1], ["c", "c", 1]]
    m = confusion_matrix(long)
    assert m.loc["a"].tolist() == [2, 1, 0] and m.loc["c"].tolist() == [0, 0, 1]
    norm = confusion_matrix(long, normalize="true")
    assert norm.loc["a"].tolist() == pytest.approx([2 / 3, 1 / 3, 0])
    assert norm.sum(axis=1).tolist() == pytest.approx([1, 1, 1])
    with pytest.raises(ValueError, match="normalize"):
        confusion_matrix(long, normalize="all")


@PROP
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcde")), min_size=1, max_size=80))
def test_per_class_prf_matches_sklearn(pairs):
    from sklearn.metrics import precision_recall_fscore_support

    y_true, y_pred = [p[0] for p in pairs], [p[1] for p in pairs]
    long = (pd.DataFrame({"gold_label": y_true, "label": y_pred}).groupby(["gold_label", "label"]).size()
            .rename("n").reset_index())
    ours = per_class_prf(long)
    labels = ours["label"].tolist()
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=np.nan)
    np.testing.assert_allclose(ours["precision"], p, equal_nan=True)
    np.testing.assert_allclose(ours["recall"], r, equal_nan=True)
    defined = ~np.isnan(f)
    np.testing.assert_allclose(ours["f1"].to_numpy()[defined], f[defined])
    assert ours["support"].tolist() == s.tolist()
    lo, hi = wilson_interval(ours["tp"].to_numpy(), ours["predicted"].to_numpy())
    np.testing.assert_allclose(ours["precision_ci_low"], lo, equal_nan=True)
    np.testing.assert_allclose(ours["precision_ci_high"], hi, equal_nan=True)
    assert (ours["reason"].notna() == (ours["precision"].isna() | ours["recall"].isna())).all()


# ----------------------------------------------------------------------------------------------------------------
# systematic confusions
# ----------------------------------------------------------------------------------------------------------------

def _planted(confused_per_group: dict[str, int], per_group: int = 40) -> pd.DataFrame:
    rows = []
    for g, k in confused_per_group.items():
        for j in range(per_group):
            rows.append({"item_id": f"{g}-{j}", "annotator_id": f"{g}-ann", "team": g, "gold_label": "t",
                         "label": "l" if j < k else "t"})
    return pd.DataFrame(rows)


def test_systematic_confusion_found_in_the_planted_group():
    df = _planted({"g1": 2, "g2": 2, "g3": 25})
    out = systematic_confusions(df, by=["team"])
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["true_label"], row["label"], row["n"]) == ("t", "l", 29)
    assert row["share"] == pytest.approx(29 / 120)
    assert row["concentrated_in"] == "team=g3" and row["group"] == "g3" and row["group_n"] == 40
    assert row["group_rate"] == pytest.approx(25 / 40) and row["rest_rate"] == pytest.approx(4 / 80)
    chi2, p, _, _ = stats.chi2_contingency([[2, 38], [2, 38], [25, 15]], correction=False)
    assert row["test"] == "chi2" and row["statistic"] == pytest.approx(chi2) and row["p_raw"] == pytest.approx(p)
    assert row["p_value"] == pytest.approx(p) and row["systematic"]


def test_uniform_confusion_is_not_systematic():
    out = systematic_confusions(_planted({"g1": 4, "g2": 4, "g3": 4}), by=["team"]).iloc[0]
    assert out["statistic"] == pytest.approx(0.0) and out["p_raw"] == pytest.approx(1.0)
    assert not out["systematic"]


def test_small_two_group_table_uses_fisher_and_bonferroni():
    df = pd.concat([_planted({"g1": 5, "g2": 0}, per_group=6).assign(site="s1"),
                    _planted({"h1": 1, "h2": 1}, per_group=6).assign(site="s2")])
    df["item_id"] = np.arange(len(df)).astype(str)
    out = systematic_confusions(df, by=["team", "site"], pairs=[("t", "l")])
    assert out.set_index("dimension").loc["team", "test"] == "chi2"  # four teams: a 4x2 table, chi-square
    site = out.set_index("dimension").loc["site"]
    _, p_site = stats.fisher_exact([[5, 7], [2, 10]])  # s1: 5 of 12 confused, s2: 2 of 12; expected < 5
    assert site["test"] == "fisher" and site["p_raw"] == pytest.approx(p_site)
    assert site["p_value"] == pytest.approx(min(1.0, 2 * p_site))  # Bonferroni over the 2 tests made


def test_systematic_single_group_has_a_reason():
    out = systematic_confusions(_planted({"g1": 5}), by=["team"]).iloc[0]
    assert out["reason"].startswith("fewer than 2 groups") and not out["systematic"] and math.isnan(out["p_value"])


# ----------------------------------------------------------------------------------------------------------------
# QA sample planner
# ----------------------------------------------------------------------------------------------------------------

def test_plan_known_values():
    pop = pd.DataFrame({"label": ["big", "tiny", "thirty"], "population": [1000, 7, 30]})
    plan = plan_qa_sample(pop, min_rate=0.10, half_width=0.05, expected_accuracy=0.9).set_index("label")
    # Cochran (1977) ch. 4: n0 = 1.96^2 * 0.9 * 0.1 / 0.05^2 = 138.29; n = n0 / (1 + (n0 - 1) / 1000) = 121.6
    assert plan.loc["big", "n_precision"] == 122 and plan.loc["big", "n_rate"] == 100 and plan.loc["big", "n"] == 122
    assert plan.loc["tiny", "n_precision"] == 7 and plan.loc["tiny", "n"] == 7 and not plan.loc["tiny", "capped"]
    floor = plan_qa_sample(pop, min_rate=0.10, min_count=10).set_index("label")
    assert floor["n"].to_dict() == {"big": 100, "tiny": 7, "thirty": 10}
    assert floor["capped"].tolist() == [False, True, False]
    only_rate = plan_qa_sample(pop, min_rate=0.10).set_index("label")
    assert only_rate.loc["thirty", "n"] == 3  # 0.1 * 30 is 3 items, not 4 (floating point guarded)
    assert only_rate.loc["big", "expected_half_width"] == pytest.approx(Z95 * math.sqrt(0.09 / 100 * 900 / 999))
    per_tier = plan_qa_sample(pop, min_rate={"big": 0.05, "tiny": 0.5, "thirty": 0.2}).set_index("label")
    assert per_tier["n"].to_dict() == {"big": 50, "tiny": 4, "thirty": 6}
    with pytest.raises(ValueError, match="no value for label"):
        plan_qa_sample(pop, min_rate={"big": 0.1})
    with pytest.raises(ValueError, match="half_width"):
        plan_qa_sample(pop, half_width=0)


@PROP
@given(st.lists(st.integers(0, 20000), min_size=1, max_size=6), st.floats(0, 1), st.floats(0.01, 0.3),
       st.floats(0.01, 0.3), st.integers(0, 200), st.floats(0.5, 0.99))
def test_plan_properties(pops, rate, hw1, hw2, min_count, acc):
    pop = pd.DataFrame({"label": [f"c{i}" for i in range(len(pops))], "population": pops})
    narrow, wide = sorted([hw1, hw2])
    a = plan_qa_sample(pop, min_rate=rate, half_width=narrow, expected_accuracy=acc, min_count=min_count)
    b = plan_qa_sample(pop, min_rate=rate, half_width=wide, expected_accuracy=acc, min_count=min_count)
    N = np.array(pops)
    assert (a["n"] <= N).all()  # capped at the population
    assert (a["n"] >= np.minimum(N, np.ceil(rate * N - 1e-6))).all()  # the rate is respected
    assert (a["n"] >= np.minimum(N, min_count)).all()
    assert (a["n"] >= b["n"]).all()  # monotone: a narrower interval never needs fewer items
    assert (a["capped"] == (np.maximum.reduce([a["n_rate"], a["n_precision"], a["n_min"]]) > N)).all()


# ----------------------------------------------------------------------------------------------------------------
# DataFrame path == DuckDB == PostgreSQL on a small seeded database
# ----------------------------------------------------------------------------------------------------------------

def _population_by_pandas(frame: pd.DataFrame) -> pd.Series:
    """Items per class: gold label when known, else majority label (ties -> lowest label)."""
    votes = frame.groupby(["item_id", "label"]).size().rename("v").reset_index()
    votes = votes.sort_values(["item_id", "v", "label"], ascending=[True, False, True])
    maj = votes.drop_duplicates("item_id").set_index("item_id")["label"]
    gold = frame.drop_duplicates("item_id").set_index("item_id")["gold_label"]
    return gold.reindex(maj.index).fillna(maj).value_counts().sort_index()


@pytest.mark.parametrize("by", GROUPINGS, ids=str)
def test_frame_equals_duckdb_small(by, small_frame, small_duck):
    pd.testing.assert_frame_equal(accuracy_by(small_frame, by), accuracy_from_db(small_duck, P1, by))


def test_filters_match_frame_subsets(small_frame, small_duck):
    f = P1.replace(team="t2", date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 20), split="train")
    created = pd.to_datetime(small_frame["created_at"])
    sub = small_frame[(small_frame["team"] == "t2") & (created >= "2026-06-01") & (created < "2026-06-21")
                      & (small_frame["split"] == "train")]
    assert len(sub) > 20
    pd.testing.assert_frame_equal(accuracy_by(sub, "annotator_id"), accuracy_from_db(small_duck, f, "annotator_id"))
    assert overall_accuracy_from_db(small_duck, f) == overall_accuracy(sub)


def test_strata_confusion_and_systematic_small(small_frame, small_duck):
    strata = strata_from_db(small_duck, P1).set_index("stratum")
    by_gold = accuracy_by(small_frame, "gold_label").set_index("gold_label")
    assert strata[["correct", "n", "n_items"]].to_dict("index") == by_gold[["correct", "n", "n_items"]].to_dict("index")
    assert strata["population"].to_dict() == _population_by_pandas(small_frame).to_dict()
    res = stratified_accuracy_from_db(small_duck, P1)
    assert res.pooled.value == pytest.approx(by_gold["correct"].sum() / by_gold["n"].sum())
    pd.testing.assert_frame_equal(confusion_counts(small_frame), confusion_from_db(small_duck, P1))
    only = confusion_from_db(small_duck, P1, team="t2", attr=("lighting", "night"))
    sub = small_frame[(small_frame["team"] == "t2") & (small_frame["lighting"] == "night")]
    pd.testing.assert_frame_equal(only, confusion_counts(sub))
    by_u1 = confusion_from_db(small_duck, P1, annotator_id="u1")
    pd.testing.assert_frame_equal(by_u1, confusion_counts(small_frame[small_frame["annotator_id"] == "u1"]))
    dims = ["team", "annotator_id", "attr:lighting", "team*attr:lighting"]
    s_frame = systematic_confusions(small_frame, by=dims)
    s_db = systematic_confusions(small_duck, P1, by=dims)
    pd.testing.assert_frame_equal(s_frame, s_db)
    planted = s_db[(s_db["true_label"] == "c") & (s_db["label"] == "b")].set_index("dimension")
    assert planted.loc["team", "concentrated_in"] == "team=t2" and planted.loc["team", "systematic"]
    assert planted.loc["team*attr:lighting", "concentrated_in"] == "team=t2, lighting=night"


def test_qa_draw_is_seeded_and_follows_the_plan(small_frame, small_duck):
    pop = qa_population_from_db(small_duck, P1)
    votes = small_frame.groupby(["item_id", "label"]).size().rename("v").reset_index()
    maj = votes.sort_values(["item_id", "v", "label"], ascending=[True, False, True]).drop_duplicates("item_id")
    assert pop.set_index("label")["population"].to_dict() == maj["label"].value_counts().sort_index().to_dict()
    plan = plan_qa_sample(pop, min_rate=0.2, min_count=5)
    s1 = draw_qa_sample(small_duck, P1, plan, seed=1)
    assert s1.equals(draw_qa_sample(small_duck, P1, plan, seed=1))
    assert not s1.equals(draw_qa_sample(small_duck, P1, plan, seed=2))
    assert s1.groupby("label").size().to_dict() == plan.set_index("label")["n"].loc[lambda s: s > 0].to_dict()
    assert s1["item_id"].is_unique
    assert (s1["label"].to_numpy() == s1["item_id"].map(maj.set_index("item_id")["label"]).to_numpy()).all()
    assert draw_qa_sample(small_duck, P1, plan.assign(n=0), seed=1).empty


@pytest.mark.postgres
def test_duckdb_equals_postgres_small(small_duck, small_pg):
    for by in GROUPINGS:
        pd.testing.assert_frame_equal(accuracy_from_db(small_duck, P1, by), accuracy_from_db(small_pg, P1, by))
    pd.testing.assert_frame_equal(strata_from_db(small_duck, P1), strata_from_db(small_pg, P1))
    pd.testing.assert_frame_equal(confusion_from_db(small_duck, P1), confusion_from_db(small_pg, P1))
    f = P1.replace(team="t2", date_to=dt.date(2026, 6, 20))
    pd.testing.assert_frame_equal(accuracy_from_db(small_duck, f, "week"), accuracy_from_db(small_pg, f, "week"))
    dims = ["team", "annotator_id", "attr:lighting", "team*attr:lighting"]
    pd.testing.assert_frame_equal(systematic_confusions(small_duck, P1, by=dims),
                                  systematic_confusions(small_pg, P1, by=dims))
    plan = plan_qa_sample(qa_population_from_db(small_pg, P1), min_rate=0.2)
    pd.testing.assert_frame_equal(qa_population_from_db(small_duck, P1), qa_population_from_db(small_pg, P1))
    pd.testing.assert_frame_equal(draw_qa_sample(small_duck, P1, plan, 5), draw_qa_sample(small_pg, P1, plan, 5))


def test_db_path_errors(small_duck):
    with pytest.raises(ValueError, match="cannot group by"):
        accuracy_from_db(small_duck, P1, "split")
    with pytest.raises(ValueError, match="attr:<key>"):
        accuracy_from_db(small_duck, P1, "attr:")
    with pytest.raises(ValueError, match="needs filters"):
        systematic_confusions(small_duck)
    with pytest.raises(ValueError, match="cannot group the database"):
        systematic_confusions(small_duck, P1, by=["split"])
    with pytest.raises(ValueError, match="attr_value needs attr_key"):
        confusion_from_db(small_duck, P1, attr_value="night")


# ----------------------------------------------------------------------------------------------------------------
# demo data: paths agree, injected truths are recovered
# ----------------------------------------------------------------------------------------------------------------

MAIN = Filters("streetscene")


def _demo_frame(engine) -> pd.DataFrame:
    with engine.connect() as c:
        tables = {t: pd.read_sql(text(f"SELECT * FROM {t}"), c) for t in
                  ("annotations", "items", "annotators", "gold_labels")}
        tables["item_attributes"] = pd.read_sql(text("SELECT * FROM item_attributes WHERE key = 'lighting'"), c)
    return frame_of(tables, "streetscene")


@pytest.fixture(scope="module")
def demo_frame(demo_engine):
    return _demo_frame(demo_engine)


@pytest.mark.parametrize("by", ["gold_label", "team", "week", ["annotator_id", "week"], "attr:lighting"], ids=str)
def test_demo_frame_equals_duckdb(by, demo_frame, demo_engine):
    pd.testing.assert_frame_equal(accuracy_by(demo_frame, by), accuracy_from_db(demo_engine, MAIN, by))


@pytest.mark.postgres
def test_demo_duckdb_equals_postgres(demo_engine, demo_pg_url):
    pg = make_engine(demo_pg_url, read_only=True)
    try:
        for by in (None, "gold_label", "annotator_id", "batch_id", ["annotator_id", "week"], "attr:lighting"):
            pd.testing.assert_frame_equal(accuracy_from_db(demo_engine, MAIN, by), accuracy_from_db(pg, MAIN, by))
        pd.testing.assert_frame_equal(strata_from_db(demo_engine, MAIN), strata_from_db(pg, MAIN))
        pd.testing.assert_frame_equal(confusion_from_db(demo_engine, MAIN), confusion_from_db(pg, MAIN))
        dims = ["team", "attr:lighting", "team*attr:lighting"]
        pd.testing.assert_frame_equal(systematic_confusions(demo_engine, MAIN, by=dims),
                                      systematic_confusions(pg, MAIN, by=dims))
        plan = plan_qa_sample(qa_population_from_db(pg, MAIN), min_rate=0.02, min_count=3)
        pd.testing.assert_frame_equal(draw_qa_sample(demo_engine, MAIN, plan, 3), draw_qa_sample(pg, MAIN, plan, 3))
    finally:
        pg.dispose()


def test_demo_truth_2_team_c_night_motorcycle_as_bicycle(demo_engine):
    from analytics.demo import TRUTHS

    t = TRUTHS["team_night_confusion"].params  # team_c: motorcycle -> bicycle at lighting = night
    key = f"attr:{t['attribute']}"
    out = systematic_confusions(demo_engine, MAIN, by=["team", key, f"team*{key}", "annotator_id"])
    pair = out[(out["true_label"] == t["true_label"]) & (out["label"] == t["label"])].set_index("dimension")
    assert len(pair) == 4, "the planted confusion must be among the top confused pairs"
    assert pair.loc["team", "concentrated_in"] == f"team={t['team']}" and pair.loc["team", "systematic"]
    assert pair.loc[key, "concentrated_in"] == f"{t['attribute']}={t['value']}" and pair.loc[key, "systematic"]
    combo = pair.loc[f"team*{key}"]
    assert combo["concentrated_in"] == f"team={t['team']}, {t['attribute']}={t['value']}" and combo["systematic"]
    assert combo["group_rate"] > 0.3 > 0.1 > combo["rest_rate"]
    # the other top pairs are not systematic along team x lighting
    others = out[(out["true_label"] != t["true_label"]) & (out["dimension"] == f"team*{key}")]
    assert len(others) >= 3 and not others["systematic"].any()


def test_demo_truth_3_critical_class_and_stratified_vs_pooled(demo_engine):
    from analytics.demo import TRUTHS

    critical = TRUTHS["critical_class_accuracy"].params["label"]  # emergency_vehicle
    by_gold = accuracy_from_db(demo_engine, MAIN, "gold_label").set_index("gold_label")
    overall = overall_accuracy_from_db(demo_engine, MAIN)
    assert by_gold.loc[critical, "ci_high"] < overall.ci_low  # far below the headline, intervals apart
    res = stratified_accuracy_from_db(demo_engine, MAIN)
    assert res.pooled.value == pytest.approx(overall.value) and res.pooled.n == overall.n
    # QA over-samples rare (harder) classes, so weighting by population moves the estimate up
    assert res.stratified.value > res.pooled.value + 0.01
    assert res.uncovered_share < 0.01
    t = res.table.set_index("stratum")
    crit = t.loc[critical]
    assert crit["weight"] < 0.01 and crit["n"] / t["n"].sum() > 2 * crit["weight"]  # over-sampled by QA


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory):
    """A demo database at the generator's default size (truth 1 needs the default volume of gold)."""
    from analytics.demo import build_demo

    url = f"duckdb:///{tmp_path_factory.mktemp('demo200k') / 'demo.duckdb'}"
    build_demo(url, annotations=200_000, seed=42, progress=lambda _m: None)
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


def test_demo_truth_1_annotator_drift(default_demo):
    from analytics.demo import TRUTHS

    t = TRUTHS["annotator_drift"].params  # ann_07 drifts down from week 14 (2026-08-24)
    who, start = t["annotator_id"], t["start_date"]
    weekly = accuracy_from_db(default_demo, MAIN, ["annotator_id", "week"])
    mine = weekly[weekly["annotator_id"] == who]
    before, after = mine[mine["week"] < start], mine[mine["week"] >= start]
    b = accuracy_estimate(before["correct"].sum(), before["n"].sum())
    a = accuracy_estimate(after["correct"].sum(), after["n"].sum())
    assert a.ci_high < b.ci_low  # lower from week 14, non-overlapping Wilson intervals
    # the same split through the date filters of the SQL path
    pre = accuracy_from_db(default_demo, MAIN.replace(date_to=start - dt.timedelta(days=1)), "annotator_id")
    assert pre.set_index("annotator_id").loc[who, "n"] == b.n
    peers = accuracy_from_db(default_demo, MAIN.replace(date_from=start), "annotator_id").set_index("annotator_id")
    assert (peers.drop(index=who)["accuracy"] > a.ci_high).mean() > 0.9  # peers stay above the drifting annotator


# ----------------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------------

@pytest.fixture
def cli_files(tmp_path, tiny):
    ann = tiny.drop(columns="gold_label").assign(week=["w1", "w1", "w2", "w2", "w2", "w1", "w1", "w2"])
    gold = pd.DataFrame({"item_id": ["i1", "i2", "i4"], "label": ["a", "b", "c"]})
    pop = pd.DataFrame({"stratum": ["a", "b", "c"], "population": [800, 150, 50]})
    paths = {"ann": tmp_path / "ann.csv", "gold": tmp_path / "gold.csv", "pop": tmp_path / "pop.csv",
             "ann_pq": tmp_path / "ann.parquet"}
    ann.to_csv(paths["ann"], index=False)
    ann.to_parquet(paths["ann_pq"], index=False)
    gold.to_csv(paths["gold"], index=False)
    pop.to_csv(paths["pop"], index=False)
    return {k: str(v) for k, v in paths.items()}


def _cli(capsys, *argv):
    from analytics.cli import main

    code = main(["accuracy", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_overall_and_by(capsys, cli_files, tiny):
    code, out, _ = _cli(capsys, cli_files["ann"], "--gold", cli_files["gold"], "--json")
    assert code == 0
    lo, hi = wilson_interval(4, 6)
    assert json.loads(out) == pytest.approx({"value": 4 / 6, "ci_low": lo, "ci_high": hi, "n": 6})
    code, out, _ = _cli(capsys, cli_files["ann_pq"], "--gold", cli_files["gold"], "--by", "annotator_id", "--json")
    recs = json.loads(out)
    assert code == 0 and [r["group"] for r in recs] == ["u1", "u2", "u3"]
    assert [(r["value"], r["n"]) for r in recs] == [(1.0, 2), (0.5, 2), (0.5, 2)]
    assert set(recs[0]) == {"group", "value", "ci_low", "ci_high", "n"}
    code, out, _ = _cli(capsys, cli_files["ann"], "--gold", cli_files["gold"])
    # the text format shared with labelqa agreement (analytics/commands/_text.py): title, table, method
    assert code == 0 and out.splitlines()[2].startswith("0.667  [")


def test_cli_stratified(capsys, cli_files):
    code, out, _ = _cli(capsys, cli_files["ann"], "--gold", cli_files["gold"], "--strata", "gold_label",
                        "--population", cli_files["pop"], "--json")
    assert code == 0
    got = json.loads(out)
    # strata a: 2/3 on 1 item (N 800), b: 1/2 on 1 item (N 150), c: 1/1 (N 50, n = 1: not estimable, 5 % of N)
    wa, wb = 800 / 950, 150 / 950  # weights over the covered population
    assert got["stratified"]["value"] == pytest.approx(wa * 2 / 3 + wb * 0.5)
    assert got["stratified"]["n"] == 5 and set(got["stratified"]) == {"value", "se", "ci_low", "ci_high", "n"}
    se = math.sqrt(wa ** 2 * (1 - 1 / 800) * (2 / 3) * (1 / 3) / 2 + wb ** 2 * (1 - 1 / 150) * 0.25 / 1)
    assert got["stratified"]["se"] == pytest.approx(se)
    assert got["uncovered_share"] == pytest.approx(0.05)
    assert got["pooled"]["value"] == pytest.approx(4 / 6) and got["pooled"]["n"] == 6


@pytest.mark.parametrize("args, message", [
    (["{ann}", "--gold", "{tmp}/nope.csv"], "gold file not found"),
    (["{ann}", "--gold", "{gold}", "--by", "shift"], "'shift'"),
    (["{ann}", "--gold", "{ann}"], "more than one label for item"),
    (["{ann}", "--gold", "{gold}", "--strata", "gold_label"], "go together"),
    (["{tmp}/x.xlsx", "--gold", "{gold}"], "not found"),
    (["{pop}", "--gold", "{gold}"], "'item_id'"),
])
def test_cli_errors_exit_2_with_one_line(capsys, cli_files, tmp_path, args, message):
    import re

    argv = [a.format(tmp=tmp_path, **cli_files) for a in args]
    code, out, err = _cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("labelqa accuracy: error:") and re.search(message, err)


def test_cli_unknown_format(capsys, tmp_path, cli_files):
    bad = tmp_path / "ann.xlsx"
    bad.write_text("x")
    code, _, err = _cli(capsys, str(bad), "--gold", cli_files["gold"])
    assert code == 2 and "unknown format '.xlsx'" in err
