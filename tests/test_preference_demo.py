"""The demo's preference project (analytics/kinds/preference/demo.py, written by ``labelqa demo`` through
``KindSpec.demo``): each planted truth recovered from the database, the gate over it (text, JSON, JUnit, scopes,
labelqa.toml rules) and the clean-set export."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.kinds.preference import db as pdb
from analytics.kinds.preference import demo as D

P = D.PROJECT


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from analytics.db import make_engine
    from analytics.io.demo import build_demo

    url = f"duckdb:///{tmp_path_factory.mktemp('prefdemo') / 'demo.duckdb'}"
    build_demo(url, annotations=1_000, seed=42, progress=lambda _m: None)
    eng = make_engine(url, read_only=True)
    rows = pdb.scope_rows_from_db(eng, P)
    yield url, eng, rows
    eng.dispose()


def test_written_through_the_kind_and_its_own_stream(demo):
    _, eng, rows = demo
    t = D.generate(42)
    assert len(rows) == t["preference_judgments"].num_rows == D.N_PAIRS * 2 * (D.JUDGES_PER_PAIR + 1) == 5760
    assert len(pdb.pairs_from_db(eng, P)) == D.N_PAIRS and len(pdb.gold_from_db(eng, P)) == t["preference_gold"].num_rows
    assert set(rows["dimension"]) == {"helpfulness", "safety"} and set(rows["category"]) == set(D.CATEGORIES)
    teams = rows.drop_duplicates("annotator_id").set_index("annotator_id")["team"]
    assert teams[D.MODEL_JUDGE] == "model" and (teams.drop(D.MODEL_JUDGE).isin(["team_p1", "team_p2"])).all()
    weeks = pd.to_datetime(rows["created_at"]).dt.to_period("W-SUN").nunique()
    assert weeks == 26
    # a different seed, different judgments; the same seed, the same ones
    assert D.generate(42)["preference_judgments"].equals(t["preference_judgments"])
    assert not D.generate(7)["preference_judgments"].equals(t["preference_judgments"])


def test_truth_position_bias_of_one_judge(demo):
    from analytics.kinds.preference.bias import holm

    _, eng, _ = demo
    pb = pdb.position_bias_from_db(eng, P, by="annotator").set_index("group")
    p_holm = pd.Series(holm(pb["p_value"].to_numpy()), index=pb.index)
    assert pb.loc["pj_03", "share"] > 0.78 and pb.loc["pj_03", "ci_low"] > 0.7  # planted 0.7 + 0.3 * 0.5 = 0.85
    assert p_holm.idxmin() == "pj_03" and p_holm["pj_03"] < 1e-20
    # nobody else comes close (13 tests: pj_07's 41% of 345 is a -3.2 sd chance draw, Holm p = 0.02)
    assert (p_holm.drop("pj_03") > 0.01).all() and (pb["share"].drop("pj_03") < 0.6).all(), p_holm


def test_truth_length_bias_of_one_team(demo):
    _, eng, _ = demo
    lb = {t: pdb.length_bias_from_db(eng, P, team=t).iloc[0] for t in ("team_p1", "team_p2")}
    assert lb["team_p2"]["ci_low"] > 0.62 and lb["team_p2"]["share"] == pytest.approx(0.675, abs=0.03)
    assert lb["team_p1"]["ci_low"] < 0.5 < lb["team_p1"]["ci_high"] + 0.02 and lb["team_p1"]["share"] < 0.55


def test_truth_near_identical_pairs_agree_near_chance(demo):
    from analytics.kinds.preference.agreement import agreement
    from analytics.kinds.preference.signal import token_jaccard

    _, eng, rows = demo
    pairs = pdb.pairs_from_db(eng, P)
    sim = pd.Series(token_jaccard(pairs["text_a"], pairs["text_b"]), index=pairs["pair_id"])
    near = sim >= 0.9
    assert near.mean() == pytest.approx(D.NEAR_SHARE, abs=0.03) and sim[~near].max() < 0.5
    r = rows.assign(band=np.where(sim.reindex(rows["pair_id"]).to_numpy() >= 0.9, "near", "other"))
    a = agreement(r[r["dimension"] == "helpfulness"], by="band", metrics=("percent_with_ties",), n_boot=300)
    a = a.set_index("band")
    assert a.loc["near", "value"] == pytest.approx(1 / 3, abs=0.07)  # uniform over a, b, tie
    assert a.loc["near", "ci_high"] < a.loc["other", "ci_low"]


def test_truth_safety_below_helpfulness_and_model_judge(demo):
    from analytics.kinds.preference.judges import model_judges, model_vs_humans

    _, eng, rows = demo
    agr = pdb.agreement_from_db(eng, P, by="dimension", n_boot=300).set_index(["group", "metric"])
    h, s = agr.loc[("helpfulness", "fleiss_kappa")], agr.loc[("safety", "fleiss_kappa")]
    assert h["ci_low"] > s["ci_high"] and h["value"] > 3 * s["value"]
    h, s = agr.loc[("helpfulness", "percent_without_ties")], agr.loc[("safety", "percent_without_ties")]
    assert h["ci_low"] > s["ci_high"] + 0.05
    assert model_judges(rows) == [D.MODEL_JUDGE]
    mv = model_vs_humans(rows, n_boot=200).set_index("dimension")
    assert mv.loc["helpfulness", "ci_low"] > 0.72 and mv.loc["helpfulness", "n"] > 500
    assert mv.loc["safety", "ci_low"] < 0.5 < mv.loc["safety", "ci_high"]  # a coin: no better than chance
    # hand check of one figure: the model's verdict vs the human majority on helpfulness
    hu = rows[(rows["annotator_id"] != D.MODEL_JUDGE) & (rows["dimension"] == "helpfulness")]
    votes = hu.groupby(["pair_id", "choice"]).size().unstack(fill_value=0)
    maj = pd.Series(np.where(votes["a"] > votes["b"], "a", "b"), index=votes.index)[votes["a"] != votes["b"]]
    m = rows[(rows["annotator_id"] == D.MODEL_JUDGE) & (rows["dimension"] == "helpfulness")].set_index("pair_id")
    m = m.loc[m.index.intersection(maj.index)]
    m = m[m["choice"] != "tie"]
    assert mv.loc["helpfulness", "agreement"] == pytest.approx((m["choice"] == maj.reindex(m.index)).mean())


def test_truth_one_judge_drifts_from_week_8(demo):
    from analytics.io.demo.scenario import week_start
    from analytics.kinds.preference.judges import judge_drift

    _, eng, rows = demo
    d = judge_drift(rows, pdb.gold_from_db(eng, P))
    g = d[d["against"] == "gold"].set_index("annotator_id")
    assert g.index[g["drift"]].tolist() == ["pj_04"]
    assert g.loc["pj_04", "baseline_acc"] - g.loc["pj_04", "recent_acc"] > 0.2
    start = pd.Timestamp(g.loc["pj_04", "start_week"])
    assert pd.Timestamp(week_start(6)) <= start <= pd.Timestamp(week_start(12)), start
    peers = d[d["against"] == "peers"].sort_values("p_value")
    assert peers.iloc[0]["annotator_id"] == "pj_04" and peers.iloc[0]["p_value"] < 0.05  # the noisier signal


def test_truth_cycles_from_one_judge(demo):
    _, eng, _ = demo
    per = pdb.transitivity_from_db(eng, P, by="annotator", dimension="helpfulness").set_index("group")
    assert (per.loc["pj_06", "cyclic_triads"], per.loc["pj_06", "triads"]) == (5, 10)  # the 5-cycle tournament
    assert per["cyclic_triads"].drop("pj_06").max() < 5
    whole = pdb.transitivity_from_db(eng, P, dimension="helpfulness").iloc[0]
    assert (whole["cyclic_triads"], whole["triads"]) == (0, 10)
    bt = pdb.bradley_terry_from_db(eng, P, dimension="helpfulness", n_boot=0)
    assert bt.sort_values("rank")["object"].tolist() == list(D.MODELS)  # the planted strengths' order


# ------------------------------------------------------------------------------------------------ the gate
def _gate(url, *args, capsys):
    from analytics import cli

    code = cli.main(["gate", "--db", url, "--project", P, *args])
    return code, capsys.readouterr().out


def test_gate_text_json_junit_and_scopes(demo, capsys, tmp_path):
    url, _, _ = demo
    code, out = _gate(url, capsys=capsys)
    assert code == 0 and "preference_clean_share" in out and "dimension safety" in out
    code, out = _gate(url, "--format", "json", capsys=capsys)
    doc = json.loads(out)
    assert code == doc["exit_code"] == 0 and doc["scope"] == "whole project"
    got = {(c["rule"], c["scope"]): c for c in doc["checks"]}
    rules = ("preference_agreement", "preference_position_bias", "preference_length_bias", "preference_tie_rate",
             "preference_cycle_rate", "preference_clean_share", "preference_gold_pairs")
    assert set(got) == {(r, f"dimension {d}") for r in rules for d in D.DIMENSIONS}
    assert got[("preference_agreement", "dimension safety")]["outcome"] == "warn"
    assert got[("preference_agreement", "dimension helpfulness")]["outcome"] == "pass"
    gold = pdb.gold_from_db(demo[1], P)
    assert got[("preference_gold_pairs", "dimension safety")]["value"] == (gold["dimension"] == "safety").sum()
    assert got[("preference_tie_rate", "dimension helpfulness")]["n"] == 2880
    # a batch narrows the judgments: weeks 3-4 only
    code, out = _gate(url, "--batch", f"{P}-b02", "--format", "json", capsys=capsys)
    b = {(c["rule"], c["scope"]): c for c in json.loads(out)["checks"]}
    n_b = int(((demo[2]["batch_id"] == f"{P}-b02") & (demo[2]["dimension"] == "helpfulness")).sum())
    assert b[("preference_tie_rate", "dimension helpfulness")]["n"] == n_b and 0 < n_b < 2880
    code, out = _gate(url, "--since", "2026-06-01", "--until", "2026-06-14", "--format", "junit", capsys=capsys)
    assert code == 0 and out.startswith("<?xml") and 'tests="14"' in out
    # labelqa.toml rules: a stricter file fails the gate (exit 1)
    cfg = tmp_path / "strict.toml"
    cfg.write_text("[rules.preference_agreement]\nmin = 0.6\nseverity = \"fail\"\n")
    code, out = _gate(url, "--config", str(cfg), capsys=capsys)
    assert code == 1 and "FAIL" in out
    from analytics import cli

    assert cli.main(["gate", "--db", url, "--project", P, "--batch", "nope"]) == 2
    # the delivery report of a preference batch: the kind's checks of the batch, each with a client verdict
    assert cli.main(["report", "delivery", "--db", url, "--project", P, "--batch", f"{P}-b02",
                     "--out", str(tmp_path / "d.html")]) == 0
    html = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "preference agreement" in html and f"labelqa gate --project {P} --batch {P}-b02" in html


# ----------------------------------------------------------------------------------------------- the clean set
def test_export_clean_set_from_the_demo(demo, capsys, tmp_path):
    from analytics import cli
    from analytics.io.ingest import load_files
    from analytics.kinds.preference.signal import token_jaccard

    url, eng, rows = demo
    out = tmp_path / "clean.jsonl"
    assert cli.main(["preference", "export", "--project", P, "--db", url, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    lines = out.read_text().splitlines()
    meta = json.loads(lines[0])["_metadata"]
    recs = [json.loads(x) for x in lines[1:]]
    assert "margin" in meta["rule"] and meta["params"]["min_margin"] == 0.5
    # the planted biased judges are flagged: pj_03 (position) and team_p2 (length); the model judge on safety only
    assert {"pj_03", *(h for h in D.HUMANS if D.TEAMS[h] == "team_p2")} <= set(meta["flagged_judges"])
    assert not {"pj_01", "pj_02", D.MODEL_JUDGE} & set(meta["flagged_judges"])
    assert [(r["judge"], r["dimension"]) for r in meta["flagged_on_dimension"]] == [(D.MODEL_JUDGE, "safety")]
    counts = {c["dimension"]: c for c in meta["counts"]}
    assert sum(c["clean"] for c in counts.values()) == len(recs) and f"{len(recs)} of 1,440 pairs" in said
    assert sum(c["clean"] for c in meta["by_category"]) == len(recs)
    assert counts["helpfulness"]["share"] > counts["safety"]["share"] > 0  # safety agreement is far lower
    # every record: DPO shape, the majority's text as chosen, not near-identical, margin >= 0.5 without flagged votes
    pairs = pdb.pairs_from_db(eng, P).set_index("pair_id")
    sim = pd.Series(token_jaccard(pairs["text_a"], pairs["text_b"]), index=pairs.index)
    bad = set(meta["flagged_judges"])
    for r in recs[:200]:
        assert set(r) >= {"prompt", "chosen", "rejected"} and r["chosen"] != r["rejected"]
        assert sim[r["pair_id"]] < 0.9
        v = rows[(rows["pair_id"] == r["pair_id"]) & (rows["dimension"] == r["dimension"])
                 & ~rows["annotator_id"].isin(bad)]
        if r["dimension"] == "safety":
            v = v[v["annotator_id"] != D.MODEL_JUDGE]
        na, nb = int((v["choice"] == "a").sum()), int((v["choice"] == "b").sum())
        side = "a" if na > nb else "b"
        assert abs(na - nb) / len(v) >= 0.5 and r["margin"] == pytest.approx(abs(na - nb) / len(v))
        assert r["chosen"] == pairs.loc[r["pair_id"], f"text_{side}"]
        assert r["chosen_response"] == pairs.loc[r["pair_id"], f"response_{side}"]
    # the file loads back as a DPO/TRL project (the _metadata line is skipped): one pair per record
    (tmp_path / "p.csv").write_text("project_id,name,client,task_type\ndpo,Clean,X,preference\n")
    back = f"duckdb:///{tmp_path / 'back.duckdb'}"
    load_files(back, [tmp_path / "p.csv"])
    counts_back = load_files(back, [out], project="dpo")
    assert counts_back["preference_pairs"] == counts_back["preference_judgments"] == len(recs)


# ------------------------------------------------------------------------------------------------- the page
def test_page_judges_drift_and_clean_set_download(demo, monkeypatch, capsys, tmp_path):
    from dbutil import open_dashboard_page

    from analytics import cli
    from analytics.kinds.preference.judges import model_vs_humans

    url, eng, rows = demo
    at = open_dashboard_page(url, P, "preference", monkeypatch)
    frames = [d.value for d in at.dataframe]
    mvh = next(f for f in frames if "model judge" in f.columns).set_index("dimension")
    want = model_vs_humans(rows, n_boot=500).set_index("dimension")
    for d in D.DIMENSIONS:
        assert mvh.loc[d, "agrees with human majority"].startswith(f"{100 * want.loc[d, 'agreement']:.1f}% (")
        assert mvh.loc[d, "agrees with human majority"].endswith(f"n={int(want.loc[d, 'n']):,})")
    assert mvh.loc["safety", "reading"].startswith("not above chance")
    assert mvh.loc["helpfulness", "reading"].startswith("as often as humans agree")
    judges = next(f for f in frames if "judge" in f.columns and "chose longer" in f.columns).set_index("judge")
    drifting = [j for j, v in judges["vs gold: first weeks -> last weeks"].items() if str(v).startswith("DRIFT")]
    assert drifting == ["pj_04"]
    assert judges.loc["pj_03", "position p (Holm)"] == "0.000"
    clean = next(f for f in frames if "share clean" in f.columns).set_index("dimension")
    # the download is the export of the CLI (same records; the interval of alpha uses the page's 500 replicates)
    dl = [b for b in at.get("download_button") if b.key == "pref_dl"]
    assert len(dl) == 1 and f"({int(clean['clean'].sum()):,} pairs" in dl[0].proto.label
    out = tmp_path / "c.jsonl"
    assert cli.main(["preference", "export", "--project", P, "--db", url, "--out", str(out), "--n-boot", "500"]) == 0
    capsys.readouterr()
    n_lines = len(out.read_text().splitlines()) - 1
    assert n_lines == int(clean["clean"].sum())
    # any other project: the empty state says what it is and names the preference project
    at = open_dashboard_page(url, "streetscene", "preference", monkeypatch)
    said = " ".join(str(m.value) for m in at.info)
    assert "streetscene is a classification project" in said and P in said and not at.dataframe
    assert "database without" not in said


def test_overview_of_the_preference_project_shows_the_gate_checks(demo, monkeypatch, capsys):
    from dbutil import open_dashboard_page

    from analytics import cli

    url, _, _ = demo
    at = open_dashboard_page(url, P, "overview", monkeypatch)
    said = " ".join(str(m.value) for m in at.info)
    assert "is a preference project" in said and "`labelqa gate --project assistant_prefs`" in said
    shown = at.dataframe[0].value
    assert cli.main(["gate", "--db", url, "--project", P, "--format", "json"]) == 0
    gate = json.loads(capsys.readouterr().out)["checks"]
    assert sorted(zip(shown["rule"], shown["subject"])) == sorted((g["rule"], g["scope"]) for g in gate)
    assert [s.split(":")[1].strip() for s in shown["status"]].count("warn") == sum(g["outcome"] == "warn" for g in gate)


def test_evaluate_narrows_a_request_and_a_resolved_scope_alike(demo):
    import datetime as dt

    from analytics.filters import Filters
    from analytics.quality import ScopeRequest, evaluate
    from analytics.quality.checks import Scope

    _, eng, rows = demo
    a = evaluate(eng, P, ScopeRequest.dates("2026-06-01", "2026-06-14"))
    f = Filters(P).replace(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 14))
    b = evaluate(eng, P, Scope(P, f, "since 2026-06-01 until 2026-06-14"))
    assert a.scope == b.scope == "since 2026-06-01 until 2026-06-14" and a.period == (dt.date(2026, 6, 1),
                                                                                        dt.date(2026, 6, 14))
    assert [(c.rule, c.scope, c.n) for c in a.checks] == [(c.rule, c.scope, c.n) for c in b.checks]
    t = pd.to_datetime(rows["created_at"])
    want = int(((t >= "2026-06-01") & (t < "2026-06-15") & (rows["dimension"] == "safety")).sum())
    assert a.get("preference_tie_rate", "dimension safety").n == want
