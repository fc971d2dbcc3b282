"""Each judge's profile (analytics/kinds/preference/judge_profile.py) and the Annotators page's drill-down of a
preference project's judges (issue 12: "the annotator drill-down shows each judge's biases and drift"): hand-made
counts, then the demo's planted pj_03 position bias and pj_04 drift, in the analytics and on the page."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.kinds.preference.judge_profile import judge_profiles, judge_weekly

P = "assistant_prefs"


def test_hand_made_counts():
    # pair p1: u1 a, u2 a, u3 b, m (model) b; p2: u1 tie, u2 b, u3 b, m a; p3: u1 a (alone)
    j = pd.DataFrame({
        "pair_id": ["p1", "p1", "p1", "p1", "p2", "p2", "p2", "p2", "p3"],
        "annotator_id": ["u1", "u2", "u3", "m", "u1", "u2", "u3", "m", "u1"],
        "choice": ["a", "a", "b", "b", "tie", "b", "b", "a", "a"],
        "shown_first": ["a", "b", "b", "a", "a", "b", "a", "a", "a"],
        "team": ["t", "t", "t", "model", "t", "t", "t", "model", "t"]})
    pairs = pd.DataFrame({"pair_id": ["p1", "p2", "p3"], "len_a": [10.0, 30, 5], "len_b": [20.0, 30, 1]})
    gold = pd.DataFrame({"pair_id": ["p1", "p2"], "choice": ["a", "b"]})
    f = judge_profiles(j, pairs, gold, small_n=3).set_index("annotator_id")
    assert f.loc["m", "model"] and not f.loc["u1", "model"]
    # u1: others' majority on p1 = (u2 a, u3 b): none; p2: tie verdict; p3: no other -> n 0
    assert f.loc["u1", "majority_n"] == 0
    # u2: p1 others (u1 a, u3 b) none; p2 others (u1 tie, u3 b) -> b, u2 b agrees: 1 of 1
    assert (f.loc["u2", "majority"], f.loc["u2", "majority_n"]) == (1.0, 1)
    # u3: p1 others (u1 a, u2 a) -> a, u3 b disagrees; p2 others (u2 b) -> b agrees: 1 of 2
    assert (f.loc["u3", "majority"], f.loc["u3", "majority_n"]) == (0.5, 2)
    # the model: humans p1 (a, a, b) -> a, m b; p2 (b, b) -> b, m a: 0 of 2 (models are nobody's peers)
    assert (f.loc["m", "majority"], f.loc["m", "majority_n"]) == (0.0, 2)
    # gold: u1 p1 a right, p2 tie wrong (p3 no gold): 1 of 2
    assert (f.loc["u1", "gold"], f.loc["u1", "gold_n"]) == (0.5, 2)
    # ties: u1 1 of 3; position: u1 non-tie with position p1 (a, first a) yes, p3 yes -> 2 of 2
    assert (f.loc["u1", "tie"], f.loc["u1", "tie_n"]) == (pytest.approx(1 / 3), 3)
    assert (f.loc["u1", "first"], f.loc["u1", "first_n"], f.loc["u1", "first_p"]) == (1.0, 2, 0.5)
    # length: p2 has equal lengths; u1 p1 a (shorter) no, p3 a (longer) yes -> 1 of 2
    assert (f.loc["u1", "longer"], f.loc["u1", "longer_n"]) == (0.5, 2)
    lo, hi = f.loc["u3", ["majority_ci_low", "majority_ci_high"]]
    assert 0 < lo < 0.5 < hi < 1
    # tiny samples are flagged, not hidden: every n here is below 3 except the verdict counts
    assert "with others' majority" in f.loc["u3", "small"] and "with gold" in f.loc["u1", "small"]
    # no dates: drift is not tested, and says so
    assert f.loc["u1", "flags"] == [] and not f["drift_gold"].any() and f.loc["u1", "drift_gold_reason"] == "no gold verdicts"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from analytics.db import make_engine
    from analytics.io.demo import build_demo
    from analytics.kinds.preference import db as pdb

    url = f"duckdb:///{tmp_path_factory.mktemp('prefjudges') / 'demo.duckdb'}"
    build_demo(url, annotations=1_000, seed=42, progress=lambda _m: None)
    eng = make_engine(url, read_only=True)
    rows, pairs, gold = pdb.scope_rows_from_db(eng, P), pdb.pairs_from_db(eng, P), pdb.gold_from_db(eng, P)
    yield url, rows, pairs, gold
    eng.dispose()


def test_demo_pj_03_position_bias_and_pj_04_drift(demo):
    from analytics.kinds.preference import demo as D

    _, rows, pairs, gold = demo
    f = judge_profiles(rows, pairs, gold).set_index("annotator_id")
    assert set(f.index) == set(D.HUMANS) | {D.MODEL_JUDGE}
    # pj_03: planted p_first 0.7 -> share first ~0.85; the only judge flagged for position
    assert f.loc["pj_03", "first"] > 0.8 and f.loc["pj_03", "first_ci_low"] > 0.75
    assert f.loc["pj_03", "first_p_holm"] < 1e-20 and "position bias" in f.loc["pj_03", "flags"]
    assert [w for w in f.index if "position bias" in f.loc[w, "flags"] and f.loc[w, "first_p_holm"] < 1e-3] == ["pj_03"]
    # pj_04: drifts vs gold from week 8 (2026-07-20, the demo's 9th Monday); nobody else drifts vs gold
    assert f.loc["pj_04", "drift_gold"] and "drift vs gold" in f.loc["pj_04", "flags"]
    assert pd.Timestamp(f.loc["pj_04", "drift_gold_start"]) == pd.Timestamp("2026-07-20")
    assert f.loc["pj_04", "drift_gold_baseline"] - f.loc["pj_04", "drift_gold_recent"] > 0.2
    assert f.index[f["drift_gold"]].tolist() == ["pj_04"]
    # team_p2's length bias shows per judge (share and logistic slope), team_p1's does not
    p2 = [h for h in D.HUMANS if D.TEAMS[h] == "team_p2"]
    assert (f.loc[p2, "longer_p_holm"] < 0.01).all() and (f.loc[p2, "length_slope_ci_low"] > 0).all()
    assert (f.loc[[h for h in D.HUMANS if h not in p2], "longer_p_holm"] > 0.05).all()
    # agreement with the others' majority and with gold, ties: every judge has an n and an interval
    for m in ("majority", "gold", "tie"):
        assert (f[f"{m}_n"] > 0).all() and (f[f"{m}_ci_low"] <= f[m]).all() and (f[m] <= f[f"{m}_ci_high"]).all()
    assert f.loc["pj_04", "tie"] > f.drop("pj_04")["tie"].max()  # planted ties 0.25 after week 8
    # pj_04's weekly series vs gold: higher before week 8 than after
    w = judge_weekly(rows, gold, "pj_04")
    g = w[w["against"] == "gold"]
    before, after = g[g["week"] < "2026-07-20"], g[g["week"] >= "2026-07-20"]
    assert (before["value"] * before["n"]).sum() / before["n"].sum() > 0.7 > \
        (after["value"] * after["n"]).sum() / after["n"].sum()


def test_annotators_page_of_a_preference_project(demo, monkeypatch):
    from dbutil import open_dashboard_page

    url = demo[0]
    at = open_dashboard_page(url, P, "annotators", monkeypatch)
    tab = at.dataframe[0].value
    st_ = tab.set_index("judge")["status"]
    assert "position bias" in st_["pj_03"] and "drift vs gold" in st_["pj_04"]
    assert tab["judge"].tolist()[: int(st_.str.startswith("red").sum())] == \
        [j for j in tab["judge"] if st_[j].startswith("red")]  # flagged first
    assert "DRIFT from 2026-07-20" in tab.set_index("judge").loc["pj_04", "drift vs gold"]
    assert "n=" in tab.set_index("judge").loc["pj_03", "chose first-shown"]
    at.selectbox[0].set_value("pj_04").run()
    assert not at.exception, [e.message for e in at.exception]
    said = " ".join(str(e.value) for e in at.error)
    assert "Drift vs gold: DRIFT from 2026-07-20" in said
    assert len(at.metric) == 5 and at.header[-1].value == "pj_04"
