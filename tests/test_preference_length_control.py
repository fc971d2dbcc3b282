"""The length-controlled logistic preference (analytics/kinds/preference/length_control.py, issue 12 metric 2):
the IRLS fit on grouped pair counts equals statsmodels' Logit on one row a verdict; a planted length-driven
preference loses its effect once length is controlled; the demo's team_p2 length bias, the report's slope and the
database path."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.kinds.preference.length_control import (
    length_controlled, length_controlled_from_units, length_slope, length_units,
)

sm = pytest.importorskip("statsmodels.api")


def _planted(seed=3, n_pairs=1500, beta=1.5):
    """Four equally good models; 'verbose' writes responses three times as long; judges pick a with probability
    sigmoid(beta log(len_a / len_b)): the raw preference for 'verbose' is all length."""
    rng = np.random.default_rng(seed)
    models = np.array(["m1", "m2", "m3", "verbose"])
    ia = rng.integers(0, 4, n_pairs)
    ib = (ia + rng.integers(1, 4, n_pairs)) % 4
    base = rng.uniform(200, 400, (n_pairs, 2))
    la = base[:, 0] * np.where(models[ia] == "verbose", 3, 1)
    lb = base[:, 1] * np.where(models[ib] == "verbose", 3, 1)
    pairs = pd.DataFrame({"pair_id": [f"p{i}" for i in range(n_pairs)], "response_a": models[ia],
                          "response_b": models[ib], "len_a": la, "len_b": lb})
    p_a = 1 / (1 + np.exp(-beta * np.log(la / lb)))
    rows = []
    for i in range(n_pairs):
        for judge in ("j1", "j2", "j3"):
            rows.append((f"p{i}", judge, "a" if rng.random() < p_a[i] else "b"))
    return pd.DataFrame(rows, columns=["pair_id", "annotator_id", "choice"]), pairs


def test_slope_equals_statsmodels_logit_on_rows():
    j, p = _planted()
    j.loc[j.index[::17], "choice"] = "tie"  # ties are left out of the fit
    got = length_slope(j, p).iloc[0]
    m = j[j["choice"] != "tie"].merge(p, on="pair_id")
    X = sm.add_constant(np.log(m["len_a"] / m["len_b"]).to_numpy())
    ref = sm.Logit((m["choice"] == "a").astype(float).to_numpy(), X).fit(disp=0)
    assert got["logistic_slope"] == pytest.approx(ref.params[1], rel=1e-8)
    lo, hi = ref.conf_int()[1]
    assert (got["slope_ci_low"], got["slope_ci_high"]) == (pytest.approx(lo, rel=1e-6), pytest.approx(hi, rel=1e-6))
    assert got["slope_p_value"] == pytest.approx(ref.pvalues[1], rel=1e-6) and got["slope_n"] == len(m)


def test_controlled_model_equals_statsmodels_logit_on_rows():
    j, p = _planted()
    lc = length_controlled(j, p).set_index("object")
    m = j.merge(p, on="pair_id")
    objs = sorted(set(p["response_a"]) | set(p["response_b"]))
    D = np.zeros((len(m), len(objs)))
    for k, o in enumerate(objs):
        D[:, k] = (m["response_a"] == o).astype(float) - (m["response_b"] == o).astype(float)
    X = np.column_stack([D[:, 1:], np.log(m["len_a"] / m["len_b"])])
    ref = sm.Logit((m["choice"] == "a").astype(float).to_numpy(), X).fit(disp=0)
    theta = np.concatenate([[0.0], ref.params[:-1]])
    assert lc["length_beta"].iloc[0] == pytest.approx(ref.params[-1], rel=1e-7)
    assert lc["length_beta_p_value"].iloc[0] == pytest.approx(ref.pvalues[-1], rel=1e-5, abs=1e-300)
    np.testing.assert_allclose(lc.loc[objs, "lc_score"], theta - theta.mean(), atol=1e-8)
    sig = 1 / (1 + np.exp(-(theta[:, None] - theta[None, :])))
    np.testing.assert_allclose(lc.loc[objs, "lc_win_rate"], (sig.sum(1) - 0.5) / (len(objs) - 1), atol=1e-10)
    # the score interval from the fit's covariance: objects[1:] vs the reference, centred
    cov = np.zeros((4, 4))
    cov[1:, 1:] = ref.cov_params()[:-1, :-1]
    C = np.eye(4) - 0.25
    se = np.sqrt(np.diag(C @ cov @ C.T))
    np.testing.assert_allclose(lc.loc[objs, "lc_score_ci_high"] - lc.loc[objs, "lc_score"], 1.959964 * se, rtol=1e-5)


def test_planted_length_driven_preference_loses_its_effect_when_controlled():
    j, p = _planted()
    lc = length_controlled(j, p).set_index("object")
    v = lc.loc["verbose"]
    # raw: 'verbose' wins about sigmoid(1.5 log 3) = 0.84 of its verdicts (less: lengths vary) only by length
    assert v["raw_win_rate"] > 0.65 and v["raw_ci_low"] > 0.6
    # controlled: its win rate is back to an equal model's 0.5, inside the interval; length takes the effect
    assert v["lc_ci_low"] < 0.5 < v["lc_ci_high"] and abs(v["lc_win_rate"] - 0.5) < 0.05
    assert v["length_beta_ci_low"] < 1.5 < v["length_beta_ci_high"] and v["length_beta_p_value"] < 1e-20
    for o in ("m1", "m2", "m3"):
        assert lc.loc[o, "raw_win_rate"] < 0.45 and lc.loc[o, "lc_ci_low"] < 0.5 < lc.loc[o, "lc_ci_high"]
    # without the length bias the raw and the controlled preference agree
    j0, p0 = _planted(beta=0.0)
    lc0 = length_controlled(j0, p0).set_index("object")
    assert lc0.loc["verbose", "length_beta_ci_low"] < 0 < lc0.loc["verbose", "length_beta_ci_high"]
    assert abs(lc0.loc["verbose", "raw_win_rate"] - 0.5) < 0.05


def test_report_carries_the_slope():
    from analytics.kinds.preference.report import preference_report

    j, p = _planted()
    doc = preference_report(j, p, n_boot=0)
    s, ref = doc["length_bias"]["logistic_slope"], length_slope(j, p).iloc[0]
    assert s["value"] == pytest.approx(ref["logistic_slope"]) and s["ci_low"] > 1.0 and s["n"] == len(j)
    by = preference_report(j.assign(dimension=np.where(j.index % 2, "x", "y")), p, by="dimension", n_boot=0)
    assert [d["length_bias"]["logistic_slope"]["n"] for d in by] == [len(j) // 2, len(j) // 2]


def test_separation_and_missing_objects_are_said_not_fitted():
    pairs = pd.DataFrame({"pair_id": ["p1", "p2", "p3"], "response_a": ["x", "x", "y"],
                          "response_b": ["y", "y", "x"], "len_a": [10.0, 20, 30], "len_b": [12.0, 25, 20]})
    j = pd.DataFrame({"pair_id": ["p1", "p2", "p3"], "annotator_id": "u", "choice": ["a", "a", "b"]})  # x always wins
    lc = length_controlled(j, pairs)
    assert lc["lc_win_rate"].isna().all() and "did not converge" in lc["reason"].iloc[0]
    assert lc.set_index("object").loc["x", "raw_win_rate"] == 1.0
    sl = length_slope(j, pairs.assign(len_a=[10.0, 10, 10], len_b=[10.0, 10, 10])).iloc[0]
    assert np.isnan(sl["logistic_slope"]) and "different lengths" in sl["slope_reason"]


def test_demo_team_p2_length_bias_and_the_database_path(tmp_path_factory):
    from analytics.db import make_engine
    from analytics.io.demo import build_demo
    from analytics.kinds.preference import db as pdb
    from analytics.kinds.preference.report import preference_report_from_db

    url = f"duckdb:///{tmp_path_factory.mktemp('preflc') / 'demo.duckdb'}"
    build_demo(url, annotations=1_000, seed=42, progress=lambda _m: None)
    eng = make_engine(url, read_only=True)
    rows, pairs = pdb.scope_rows_from_db(eng, "assistant_prefs"), pdb.pairs_from_db(eng, "assistant_prefs")
    # the database's grouped counts are the file path's
    db_u = pdb.length_units_from_db(eng, "assistant_prefs", by="annotator")
    file_u = length_units(rows, pairs, by="annotator_id")
    pd.testing.assert_frame_equal(db_u.sort_values(["group", "pair_id"]).reset_index(drop=True)[file_u.columns],
                                  file_u.sort_values(["group", "pair_id"]).reset_index(drop=True),
                                  check_dtype=False)
    sl = {t: pdb.length_slope_from_db(eng, "assistant_prefs", team=t).iloc[0] for t in ("team_p1", "team_p2")}
    assert sl["team_p2"]["slope_ci_low"] > 0.5 and sl["team_p2"]["slope_p_value"] < 1e-10  # planted p_longer 0.35
    assert sl["team_p1"]["slope_ci_low"] < 0 < sl["team_p1"]["slope_ci_high"]
    # lengths are independent of the policies in the demo: controlling length leaves team_p2's ranking as it was
    lc = pdb.length_controlled_from_db(eng, "assistant_prefs", team="team_p2", dimension="helpfulness")
    assert lc["length_beta_ci_low"].iloc[0] > 0
    assert lc.sort_values("lc_score")["object"].tolist() == lc.sort_values("raw_win_rate")["object"].tolist()
    doc = preference_report_from_db(eng, "assistant_prefs", by="dimension", n_boot=0, team="team_p2")
    for d in doc:
        s = d["length_bias"]["logistic_slope"]
        assert s["ci_low"] > 0 and s["n"] >= d["length_bias"]["n"] > 0 and s["reason"] is None
    eng.dispose()


def test_preference_page_shows_the_length_controlled_table(tmp_path_factory, monkeypatch):
    from dbutil import open_dashboard_page

    from analytics.db import make_engine
    from analytics.io.demo import build_demo
    from analytics.kinds.preference import db as pdb

    url = f"duckdb:///{tmp_path_factory.mktemp('preflcpage') / 'demo.duckdb'}"
    build_demo(url, annotations=1_000, seed=42, progress=lambda _m: None)
    at = open_dashboard_page(url, "assistant_prefs", "preference", monkeypatch)
    subs = [h.value for h in at.subheader]
    assert "Length-controlled preference" in subs
    tab = next(d.value for d in at.dataframe if "length-controlled win rate" in d.value.columns)
    eng = make_engine(url, read_only=True)
    lc = pdb.length_controlled_from_db(eng, "assistant_prefs", dimension="helpfulness").set_index("object")
    eng.dispose()
    assert tab["object"].tolist() == lc.sort_values("lc_win_rate", ascending=False).index.tolist()
    top = tab.iloc[0]
    assert top["length-controlled win rate"].startswith(f"{100 * lc.loc[top['object'], 'lc_win_rate']:.1f}%")
    said = " ".join(str(x.value) for x in at.caption)
    assert "Length effect once identity is controlled: beta = +" in said and "Without the objects: slope" in said


def test_llmfao_length_controlled_equals_statsmodels_and_the_readme():
    """Real data (LLMFAO crowd, CC BY 4.0): the controlled fit over 59 models equals statsmodels' Logit on one row
    a verdict; the figures the README quotes."""
    from conftest import dataset

    from analytics.kinds.preference.readers import read_pairs

    root = dataset("llmfao")
    raw = pd.read_csv(root / "crowd-comparisons.csv", dtype=str)
    j = pd.DataFrame({"pair_id": raw["id"], "annotator_id": raw["worker"],
                      "choice": raw["winner"].map({"left": "a", "right": "b", "tie": "tie"})})
    pairs = read_pairs(root / "pairs-crowd.jsonl", columns={"id": "pair_id", "result_x": "text_a",
                       "result_y": "text_b", "model_x": "response_a", "model_y": "response_b"}, allow_identical=True)
    lc = length_controlled(j, pairs).set_index("object")
    sl = length_slope(j, pairs).iloc[0]
    m = j[j["choice"] != "tie"].merge(pairs, on="pair_id")
    m = m[(m["len_a"] > 0) & (m["len_b"] > 0)]
    objs = sorted(set(m["response_a"]) | set(m["response_b"]))
    D = np.column_stack([(m["response_a"] == o).to_numpy(float) - (m["response_b"] == o).to_numpy(float)
                         for o in objs])
    X = np.column_stack([D[:, 1:], np.log(m["len_a"] / m["len_b"])])
    ref = sm.Logit((m["choice"] == "a").to_numpy(float), X).fit(disp=0, maxiter=200)
    theta = np.concatenate([[0.0], ref.params[:-1]])
    assert len(objs) == len(lc) == 59 and lc["n_verdicts"].iloc[0] == len(m) == 5371
    np.testing.assert_allclose(lc.loc[objs, "lc_score"], theta - theta.mean(), atol=1e-6)
    assert lc["length_beta"].iloc[0] == pytest.approx(ref.params[-1], rel=1e-6)
    lo, hi = ref.conf_int()[-1]
    assert (lc["length_beta_ci_low"].iloc[0], lc["length_beta_ci_high"].iloc[0]) == (pytest.approx(lo, rel=1e-5),
                                                                                     pytest.approx(hi, rel=1e-5))
    # README: slope -0.032 (-0.049 to -0.015) without the models, beta +0.052 (0.016 to 0.087) with them
    assert round(sl["logistic_slope"], 3) == -0.032 and round(sl["slope_ci_high"], 3) == -0.015
    assert round(lc["length_beta"].iloc[0], 3) == 0.052 and round(lo, 3) == 0.016
    assert round((lc["lc_win_rate"] - lc["raw_win_rate"]).abs().max(), 3) == 0.159
