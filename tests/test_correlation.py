"""Label quality vs model metrics, dataset versions, pre-label acceptance and calibration (analytics.correlation)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sqlalchemy import text

from analytics.db import make_engine
from analytics.correlation import (
    SMALL_N_CLASSES,
    calibration,
    calibration_from_db,
    label_model_regression,
    label_vs_model,
    label_vs_model_from_db,
    partial_correlation,
    pearson,
    prelabel_acceptance,
    prelabel_acceptance_counts,
    prelabel_acceptance_from_db,
    spearman,
    version_correlation,
    versions_from_db,
)
from analytics.filters import Filters
from analytics.metrics.results import wilson_interval

Z = stats.norm.ppf(0.975)


def _residual_partial(x, y, z):
    """Partial correlation by the residual method: correlate the residuals of x and y on [1, z]."""
    design = np.column_stack([np.ones(len(x)), z])
    rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
    ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return float(np.corrcoef(rx, ry)[0, 1])


# ----------------------------------------------------------------------------------------------------------------
# Correlations
# ----------------------------------------------------------------------------------------------------------------
def test_pearson_and_spearman_match_scipy_with_fisher_intervals():
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = 0.6 * x + rng.normal(size=40)
    p, s = pearson(x, y), spearman(x, y)
    ref_p, ref_s = stats.pearsonr(x, y), stats.spearmanr(x, y)
    assert p.value == pytest.approx(ref_p.statistic) and p.p_value == pytest.approx(ref_p.pvalue)
    assert s.value == pytest.approx(ref_s.statistic) and s.p_value == pytest.approx(ref_s.pvalue)
    # Fisher z: tanh(atanh r +- 1.96 / sqrt(n - 3)); Spearman se sqrt(1.06 / (n - 3)) (Fieller, Hartley & Pearson 1957)
    assert (p.ci_low, p.ci_high) == pytest.approx(tuple(np.tanh(np.arctanh(p.value) + np.array([-1, 1]) * Z / np.sqrt(37))))
    assert (s.ci_low, s.ci_high) == pytest.approx(
        tuple(np.tanh(np.arctanh(s.value) + np.array([-1, 1]) * Z * np.sqrt(1.06 / 37))))
    assert p.n == 40 and p.defined
    # pearson's r has a closed form: check one value against the textbook formula too
    assert p.value == pytest.approx(((x - x.mean()) * (y - y.mean())).sum()
                                    / np.sqrt(((x - x.mean()) ** 2).sum() * ((y - y.mean()) ** 2).sum()))


def test_correlations_undefined_with_reasons():
    assert "fewer than 4" in pearson([1, 2, 3], [1, 2, 4]).reason
    assert math.isnan(spearman([1, 2, 3, 4], [5, 5, 5, 5]).value)
    assert "constant" in spearman([1, 2, 3, 4], [5, 5, 5, 5]).reason
    nan_pairs = pearson([1, 2, np.nan, 4, 5, 6], [2, 1, 3, np.nan, 5, 7])
    assert nan_pairs.n == 4                                      # rows with a missing value dropped
    with pytest.raises(ValueError, match="same length"):
        pearson([1, 2, 3, 4], [1, 2, 3])


@settings(max_examples=40, deadline=None)
@given(st.integers(8, 60), st.integers(1, 3), st.integers(0, 10_000))
def test_partial_correlation_equals_residual_method(n, k, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, k))
    x = z @ rng.normal(size=k) + rng.normal(size=n)
    y = 0.5 * x + z @ rng.normal(size=k) + rng.normal(size=n)
    got = partial_correlation(x, y, z)
    assert got.value == pytest.approx(_residual_partial(x, y, z), abs=1e-9)
    # p-value: t test on n - 2 - k degrees of freedom
    t = got.value * np.sqrt((n - 2 - k) / (1 - got.value ** 2))
    assert got.p_value == pytest.approx(2 * stats.t.sf(abs(t), n - 2 - k), rel=1e-6)
    assert got.ci_low <= got.value <= got.ci_high


# ----------------------------------------------------------------------------------------------------------------
# Regression of model metric on label quality
# ----------------------------------------------------------------------------------------------------------------
def _classes(n=20, seed=0, effect=1.2):
    rng = np.random.default_rng(seed)
    support = np.exp(rng.uniform(np.log(10), np.log(2000), n)).round()
    quality = 0.75 + 0.03 * np.log(support) + rng.normal(0, 0.03, n)        # frequent classes: better labels
    metric = 0.1 + effect * (quality - 0.85) + 0.04 * np.log(support) + rng.normal(0, 0.03, n)
    return pd.DataFrame({"label": [f"c{i}" for i in range(n)], "label_accuracy": quality, "model_metric": metric,
                         "support": support})


def test_regression_matches_numpy_lstsq_and_residual_partial():
    frame = _classes()
    res = label_model_regression(frame)
    X = np.column_stack([np.ones(len(frame)), frame["label_accuracy"], np.log(frame["support"])])
    y = frame["model_metric"].to_numpy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    sigma2 = resid @ resid / (len(y) - 3)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    np.testing.assert_allclose(res.coefficients["coef"].to_numpy(), beta, rtol=1e-9)
    np.testing.assert_allclose(res.coefficients["se"].to_numpy(), se, rtol=1e-9)
    tq = stats.t.ppf(0.975, len(y) - 3)
    np.testing.assert_allclose(res.coefficients["ci_low"].to_numpy(), beta - tq * se, rtol=1e-9)
    assert res.r2 == pytest.approx(1 - resid @ resid / ((y - y.mean()) @ (y - y.mean())))
    assert res.partial.value == pytest.approx(_residual_partial(y, frame["label_accuracy"].to_numpy(),
                                                                np.log(frame["support"].to_numpy())), abs=1e-9)
    assert res.pearson.value == pytest.approx(stats.pearsonr(frame["label_accuracy"], y).statistic)
    assert list(res.coefficients.index) == ["Intercept", "label_quality", "np.log(support)"]
    assert res.n == 20 and not res.small_n and res.reason is None
    per10 = 10 * beta[1]
    assert f"{per10:+.1f} F1 points" in res.summary and "controlling for class frequency" in res.summary


def test_regression_small_n_and_undefined():
    small = label_model_regression(_classes(n=6))
    assert small.small_n and small.summary.startswith("Only 6 classes") and small.reason is None
    assert SMALL_N_CLASSES == 8
    tiny = label_model_regression(_classes(n=3))
    assert tiny.reason and "fewer than 4" in tiny.reason and np.isnan(tiny.r2)
    flat = _classes(n=10).assign(label_accuracy=0.9)
    assert "not identified" in label_model_regression(flat).reason
    # rows with a missing value or zero support are dropped, not silently used
    frame = _classes(n=12)
    frame.loc[0, "model_metric"] = np.nan
    frame.loc[1, "support"] = 0
    assert label_model_regression(frame).n == 10
    with pytest.raises(ValueError, match="missing column"):
        label_model_regression(frame.drop(columns="support"))


def test_regression_fit_line_at_median_support_with_band():
    frame = _classes()
    res = label_model_regression(frame)
    fit = res.fit
    assert list(fit.columns) == ["label_quality", "fit", "ci_low", "ci_high"] and len(fit) == 50
    q = frame["label_accuracy"].to_numpy()
    assert fit["label_quality"].iloc[0] == pytest.approx(q.min()) and fit["label_quality"].iloc[-1] == pytest.approx(q.max())
    # the line is params . [1, q, median log support]; the band is fit +- t(0.975, n - 3) * sqrt(x' Cov x)
    X = np.column_stack([np.ones(len(frame)), q, np.log(frame["support"])])
    y = frame["model_metric"].to_numpy()
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    cov = (y - X @ beta) @ (y - X @ beta) / (len(y) - 3) * np.linalg.inv(X.T @ X)
    G = np.column_stack([np.ones(50), fit["label_quality"], np.full(50, np.median(np.log(frame["support"])))])
    np.testing.assert_allclose(fit["fit"], G @ res.coefficients["coef"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(fit["fit"], G @ beta, rtol=1e-9)
    half = stats.t.ppf(0.975, len(y) - 3) * np.sqrt(np.einsum("ij,jk,ik->i", G, cov, G))
    np.testing.assert_allclose(fit["ci_high"] - fit["fit"], half, rtol=1e-7)
    assert (fit["ci_low"] < fit["fit"]).all() and (fit["fit"] < fit["ci_high"]).all()
    # undefined regression: an empty line with the same columns, nothing to draw
    tiny = label_model_regression(_classes(n=3))
    assert tiny.fit.empty and list(tiny.fit.columns) == ["label_quality", "fit", "ci_low", "ci_high"]


def test_label_vs_model_finishing():
    counts = pd.DataFrame({"label": ["b", "a", "c", "d"], "correct": [9, 45, 0, 3], "n_gold": [10, 50, 0, 4],
                           "model_metric": [0.8, 0.9, 0.5, None], "support": [20, 100, 5, 7]})
    out = label_vs_model(counts).set_index("label")
    assert list(out.index) == ["a", "b", "c", "d"]
    assert out.loc["a", "label_accuracy"] == 0.9
    assert (out.loc["a", "acc_ci_low"], out.loc["a", "acc_ci_high"]) == pytest.approx(wilson_interval(45, 50))
    assert np.isnan(out.loc["c", "label_accuracy"]) and out.loc["c", "reason"] == "no gold-scored annotations of this class"
    assert out.loc["d", "reason"] == "no model metric for this class" and out.loc["a", "reason"] is None


# ----------------------------------------------------------------------------------------------------------------
# Pre-label acceptance
# ----------------------------------------------------------------------------------------------------------------
def test_prelabel_acceptance_known_answer():
    counts = pd.DataFrame({"annotator_id": ["a", "b", "c", "d"], "n_prelabelled": [100, 100, 100, 5],
                           "n_accepted": [90, 60, 62, 5], "n_wrong_suggestions": [40, 40, 40, 2],
                           "n_wrong_accepted": [30, 6, 6, 2]})
    out = prelabel_acceptance(counts, min_n=10).set_index("annotator_id")
    assert out.loc["a", "wrong_acceptance_rate"] == 0.75
    assert out.loc["a", "peer_rate"] == pytest.approx(14 / 82)           # b + c + d pooled: (6+6+2)/(40+40+2)
    # one-sided pooled two-proportion z-test by hand
    p1, p2, pooled = 30 / 40, 14 / 82, 44 / 122
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 82))
    assert out.loc["a", "p_value"] == pytest.approx(stats.norm.sf(z))
    assert out.loc["a", "p_adjusted"] == pytest.approx(min(1.0, 3 * stats.norm.sf(z)))   # Bonferroni over a, b, c
    assert out["automation_bias"].tolist() == [True, False, False, False]
    assert np.isnan(out.loc["d", "p_value"]) and "fewer than 10" in out.loc["d", "reason"]
    assert (out.loc["a", "ci_low"], out.loc["a", "ci_high"]) == pytest.approx(wilson_interval(30, 40))
    assert out.loc["b", "acceptance_rate"] == 0.6


def test_prelabel_acceptance_counts_from_frame():
    df = pd.DataFrame({
        "item_id": ["i1", "i2", "i3", "i4", "i5", "i1"],
        "annotator_id": ["a", "a", "a", "a", "a", "b"],
        "label": ["x", "y", "y", "z", "x", "x"],
        "model_suggestion": ["x", "x", "y", "z", None, "x"],
        "source": ["prelabel_accepted", "prelabel_edited", "prelabel_accepted", "model_auto", "human",
                   "prelabel_accepted"],
    })
    gold = pd.DataFrame({"item_id": ["i1", "i2", "i3"], "label": ["y", "y", "y"]})
    out = prelabel_acceptance_counts(df, gold).set_index("annotator_id")
    # a: i1 (sugg x wrong, accepted), i2 (sugg x wrong, edited), i3 (sugg y right, accepted); i4 model_auto and i5
    # without a suggestion are left out
    assert out.loc["a", ["n_prelabelled", "n_accepted", "n_wrong_suggestions", "n_wrong_accepted"]].tolist() == [3, 2, 2, 1]
    assert out.loc["b", ["n_prelabelled", "n_accepted", "n_wrong_suggestions", "n_wrong_accepted"]].tolist() == [1, 1, 1, 1]


# ----------------------------------------------------------------------------------------------------------------
# Calibration
# ----------------------------------------------------------------------------------------------------------------
def test_calibration_known_answer():
    frame = pd.DataFrame({"confidence": [0.05, 0.15, 0.15, 0.95, 0.95, 0.95, 0.95, 1.0],
                          "correct": [0, 0, 1, 1, 1, 1, 0, 1]})
    res = calibration(frame, bins=10)
    b = res.bins.set_index("bin")
    assert list(b.index) == [0, 1, 9]                      # empty bins omitted; confidence 1.0 in the last bin
    assert b.loc[9, "n"] == 5 and b.loc[9, "accuracy"] == 0.8 and b.loc[9, "mean_confidence"] == pytest.approx(0.96)
    # ECE by hand: (1/8)|0 - 0.05| + (2/8)|0.5 - 0.15| + (5/8)|0.8 - 0.96| = 0.00625 + 0.0875 + 0.1 = 0.19375
    assert res.ece.value == pytest.approx(0.19375)
    assert res.mce == pytest.approx(0.35)
    assert res.ece.n == 8 and res.ece.ci_low <= res.ece.value <= res.ece.ci_high
    assert (b.loc[1, "ci_low"], b.loc[1, "ci_high"]) == pytest.approx(wilson_interval(1, 2))
    perfect = calibration(pd.DataFrame({"confidence": [0.5] * 4, "correct": [1, 0, 1, 0]}), bins=4)
    assert perfect.ece.value == 0.0
    with pytest.raises(ValueError, match="bins"):
        calibration(frame, bins=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        calibration(frame.assign(confidence=frame["confidence"] + 0.5))


# ----------------------------------------------------------------------------------------------------------------
# Demo data
# ----------------------------------------------------------------------------------------------------------------
LATEST = "streetscene-r6"      # ARCHITECTURE.md: model runs streetscene-r1 .. streetscene-r6


def test_truth_5_label_quality_drives_model_f1(demo_engine):
    frame = label_vs_model_from_db(demo_engine, "streetscene", LATEST, metric="f1")
    assert len(frame) == 30                                  # ARCHITECTURE.md: 30 classes in the main project
    res = label_model_regression(frame)
    q = res.quality_effect
    assert q["coef"] > 0 and q["ci_low"] > 0                 # positive after controlling for log(support)
    assert res.partial.value > 0 and res.partial.ci_low > 0
    assert res.n == 30 and not res.small_n
    ev = frame.set_index("label").loc["emergency_vehicle"]
    assert ev["label_accuracy"] < frame["label_accuracy"].median()   # truth 3: the critical class is worst labelled


def test_label_vs_model_db_equals_frame_for_an_early_run(demo_engine):
    run = "streetscene-r3"
    db = label_vs_model_from_db(demo_engine, "streetscene", run).set_index("label")
    with demo_engine.connect() as c:
        cutoff = c.execute(text("SELECT b.delivered_at FROM model_runs r JOIN batches b "
                                "ON b.batch_id = r.trained_on_batch WHERE r.run_id = :r"), {"r": run}).scalar_one()
        raw = pd.read_sql(text(
            "SELECT a.label, g.label AS gold, b.delivered_at FROM annotations a JOIN items i ON i.item_id = a.item_id "
            "JOIN gold_labels g ON g.item_id = a.item_id LEFT JOIN batches b ON b.batch_id = a.batch_id "
            "WHERE i.project_id = 'streetscene'"), c)
    train = raw[raw["delivered_at"] <= cutoff]
    assert len(train) < len(raw)                             # r3 saw only part of the data
    acc = train.assign(ok=train["label"] == train["gold"]).groupby("gold")["ok"].agg(["sum", "size"])
    assert (db.loc[acc.index, "n_gold"] == acc["size"]).all()
    np.testing.assert_allclose(db.loc[acc.index, "label_accuracy"], acc["sum"] / acc["size"])
    with pytest.raises(ValueError, match="no model run"):
        label_vs_model_from_db(demo_engine, "streetscene", "no-such-run")
    with pytest.raises(ValueError, match="belongs to project"):
        label_vs_model_from_db(demo_engine, "retail", run)


def test_versions_on_demo(demo_engine):
    v = versions_from_db(demo_engine, "streetscene")
    assert v["run_id"].tolist() == [f"streetscene-r{j}" for j in range(1, 7)]
    assert v["trained_until"].is_monotonic_increasing and v["n"].is_monotonic_increasing   # cumulative training data
    assert v["model_metric"].notna().all() and v["reason"].isna().all()
    assert ((v["ci_low"] <= v["label_accuracy"]) & (v["label_accuracy"] <= v["ci_high"])).all()
    corr = version_correlation(v)
    assert corr["pearson"].n == 6 and corr["spearman"].n == 6
    assert corr["pearson"].ci_low < corr["pearson"].value < corr["pearson"].ci_high


def test_truth_6_automation_bias(demo_engine):
    out = prelabel_acceptance_from_db(demo_engine, Filters("streetscene")).set_index("annotator_id")
    assert out.loc["ann_23", "automation_bias"]
    assert out["automation_bias"].sum() == 1                 # measured: only ann_23 among 40
    assert out.loc["ann_23", "wrong_acceptance_rate"] > 2 * out.loc["ann_23", "peer_rate"]
    # DataFrame path == SQL path
    with demo_engine.connect() as c:
        raw = pd.read_sql(text(
            "SELECT a.item_id, a.annotator_id, a.label, a.model_suggestion, a.source, an.team FROM annotations a "
            "JOIN items i ON i.item_id = a.item_id LEFT JOIN annotators an ON an.annotator_id = a.annotator_id "
            "WHERE i.project_id = 'streetscene'"), c)
        gold = pd.read_sql(text("SELECT item_id, label FROM gold_labels"), c)
    fr = prelabel_acceptance(prelabel_acceptance_counts(raw, gold)).set_index("annotator_id")
    pd.testing.assert_frame_equal(out, fr, check_dtype=False)


def test_calibration_on_demo(demo_engine):
    res = calibration_from_db(demo_engine, "streetscene", LATEST)
    b = res.bins
    assert b["n"].sum() == res.n == res.n_gold + res.n_consensus
    assert res.n_gold > 0 and res.n_consensus > 0
    assert b["mean_confidence"].between(b["conf_low"], b["conf_high"]).all()
    assert 0 <= res.ece.value <= 1 and res.ece.ci_low <= res.ece.value <= res.ece.ci_high
    gold_only = calibration_from_db(demo_engine, "streetscene", LATEST, reference="gold")
    assert gold_only.n_consensus == 0 and gold_only.n == res.n_gold
    # SQL == DataFrame path (gold reference)
    with demo_engine.connect() as c:
        raw = pd.read_sql(text(
            "SELECT p.confidence, CASE WHEN p.predicted_label = g.label THEN 1 ELSE 0 END AS correct "
            "FROM predictions p JOIN gold_labels g ON g.item_id = p.item_id JOIN items i ON i.item_id = p.item_id "
            "WHERE p.run_id = :r AND i.project_id = 'streetscene' AND p.confidence IS NOT NULL"), c, params={"r": LATEST})
    fr = calibration(raw)
    pd.testing.assert_frame_equal(gold_only.bins.drop(columns=["n_gold", "n_consensus"]),
                                  fr.bins.drop(columns=["n_gold", "n_consensus"]), check_dtype=False)
    assert gold_only.ece.value == pytest.approx(fr.ece.value)
    with pytest.raises(ValueError, match="reference"):
        calibration_from_db(demo_engine, "streetscene", LATEST, reference="model")


@pytest.mark.postgres
def test_correlation_queries_same_on_postgres(demo_engine, demo_pg_url):
    pg = make_engine(demo_pg_url, read_only=True)
    try:
        pd.testing.assert_frame_equal(label_vs_model_from_db(demo_engine, "streetscene", LATEST),
                                      label_vs_model_from_db(pg, "streetscene", LATEST), check_dtype=False)
        pd.testing.assert_frame_equal(versions_from_db(demo_engine, "streetscene"),
                                      versions_from_db(pg, "streetscene"), check_dtype=False)
        f = Filters("streetscene", team="team_b")
        pd.testing.assert_frame_equal(prelabel_acceptance_from_db(demo_engine, f),
                                      prelabel_acceptance_from_db(pg, f), check_dtype=False)
        a, b = calibration_from_db(demo_engine, "streetscene", LATEST), calibration_from_db(pg, "streetscene", LATEST)
        pd.testing.assert_frame_equal(a.bins, b.bins, check_dtype=False)
        # the engines sum confidences in different orders: equal to rounding
        assert (a.ece.value, a.ece.ci_low, a.ece.ci_high) == pytest.approx((b.ece.value, b.ece.ci_low, b.ece.ci_high))
        assert a.ece.n == b.ece.n
    finally:
        pg.dispose()
