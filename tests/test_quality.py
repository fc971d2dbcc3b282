"""The single quality layer (analytics.quality): on the seeded demo database (tests/conftest.py ``demo_url``),
for several scopes, the overview's alerts are exactly the gate's non-passing checks, and the overview's
accuracy tile shows the gate's stratified estimate (with the pooled share beside it)."""
from __future__ import annotations

import datetime as dt
import gc
import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.filters import Filters
from analytics.metrics.results import NoData, wilson_interval
from analytics.gate import evaluate_gate, render_json
from analytics.quality import ScopeRequest, evaluate, project_batches
from analytics.quality.alerts import alert_link_label, alerts
from analytics.quality.markdown import md_escape
from analytics.thresholds import load_thresholds

APP = str(Path(__file__).resolve().parent.parent / "app.py")
W47 = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))  # the demo's last week (ISO 2026-W47)


def _scopes(engine) -> dict[str, tuple[ScopeRequest, dict]]:
    batches = project_batches(engine, "streetscene")
    mid = str(batches.loc[batches["n_annotations"] > 0, "batch_id"].iloc[len(batches) // 2])
    return {
        "project": (ScopeRequest.project(), {}),
        "batch": (ScopeRequest.batch(mid), {"batch_id": mid}),
        "week": (ScopeRequest.dates(*W47), {"since": W47[0], "until": W47[1]}),
    }


@pytest.mark.parametrize("which", ["project", "batch", "week"])
def test_overview_alerts_are_the_gates_non_passing_checks(demo_engine, which):
    th = load_thresholds()
    req, gate_args = _scopes(demo_engine)[which]
    gate = evaluate_gate(demo_engine, "streetscene", thresholds=th, **gate_args)
    ev = evaluate(demo_engine, "streetscene", req, th, findings=True)
    # the gate is a view of the evaluation: the same checks, in the same order, with the same verdicts (values
    # to float precision: DuckDB's parallel float sums may differ in the last digit between two runs)
    def verdicts(r):
        return [(c.rule, c.scope, c.n, c.threshold, c.outcome, c.status, c.judged, c.tier) for c in r.checks]

    assert verdicts(ev) == verdicts(gate)
    for a, b in zip(ev.checks, gate.checks):
        assert (a.value is None) == (b.value is None)
        if a.value is not None:
            assert a.value == pytest.approx(b.value, rel=1e-12)
    assert ev.scope == gate.scope and ev.exit_code == gate.exit_code

    not_passing = [(c.rule, c.scope) for c in gate.checks if c.outcome != "pass"]
    assert not_passing, "the demo plants problems in every scope"
    listed = [k for a in alerts(ev) if not a.finding for k in a.checks]
    assert sorted(listed) == sorted(not_passing)  # each non-passing check in exactly one alert, nothing else
    # the planted critical-class problem is among them in every scope
    assert any(r in ("accuracy", "gold_items", "qa_rate") and s == "class emergency_vehicle" for r, s in listed)
    # issue 9 item 3: automation bias and systematic confusions are gate rules (were overview-only findings);
    # findings are only the signals without a rule yet (issue 14), never gate checks
    assert {f.rule for f in ev.findings} <= {"label_errors"}  # leakage is the gate rule max_split_leakage
    assert not {"automation_bias", "systematic_confusion"} & {f.rule for f in ev.findings}
    if which != "batch":  # ann_23's habit is planted in the later weeks (TRUTHS); a middle batch may predate it
        assert [c.scope for c in gate.by_rule("automation_bias") if c.outcome != "pass"] == ["annotator ann_23"]
        assert ("automation_bias", "annotator ann_23") in listed
        assert '"automation_bias"' in render_json(gate)
    if which == "week":  # too few items of the critical class in one week: still judged (interval, or window)
        crit = gate.find("accuracy", "class emergency_vehicle")
        assert crit.judged and crit.outcome == "fail"
        assert ("accuracy", "class emergency_vehicle") in listed
    # issue 9 item 4: every alert states its period, and its link sets only what the alert names
    for a in alerts(ev):
        assert a.text.rstrip().endswith("]") and " – " in a.text.rsplit("[", 1)[1], a.text
        assert set(a.params) <= {"focus", "annotator"}, a.params


def test_alerts_state_the_window_they_were_judged_over(demo_engine):
    th = load_thresholds()
    ev = evaluate(demo_engine, "streetscene", ScopeRequest.dates(*W47), th)
    by_check = {k: a for a in alerts(ev) for k in a.checks}
    week = "[16 Nov 2026 – 22 Nov 2026]"
    sysc = [c for c in ev.by_rule("systematic_confusion") if c.outcome != "pass"]
    assert sysc and all(c.window == "2026-09-28 to 2026-11-22" for c in sysc)
    for c in sysc:  # judged over the 8-week window: the alert says so, not the week
        text = by_check[(c.rule, c.scope)].text
        assert text.endswith("[28 Sep 2026 – 22 Nov 2026]") and "Systematic confusion" in text
    auto = by_check[("automation_bias", "annotator ann_23")]
    assert auto.text.endswith("[25 May 2026 – 22 Nov 2026]") and auto.params == {"annotator": "ann_23"}
    acc = by_check[("accuracy", "overall")] if ("accuracy", "overall") in by_check else None
    if acc is not None:
        assert acc.text.endswith(week)
    assert alert_link_label(auto, "Annotators") == f"Open Annotators: annotator {md_escape('ann_23')}"


def test_dashboard_filters_narrow_the_evaluation(demo_engine):
    th = load_thresholds()
    team = evaluate(demo_engine, "streetscene", ScopeRequest.dates(*W47, filters=Filters("streetscene", team="team_c")), th)
    whole = evaluate(demo_engine, "streetscene", ScopeRequest.dates(*W47), th)
    assert team.get("accuracy", "overall").n < whole.get("accuracy", "overall").n
    assert team.period == whole.period == W47


@pytest.fixture
def overview_w47(demo_url, monkeypatch):
    monkeypatch.setenv("LABELQA_DB_URL", demo_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["week"] = W47[0].isoformat()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    yield at
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()


def test_overview_w47_tile_and_alerts_match_the_gate(overview_w47, demo_engine):
    at = overview_w47
    th = load_thresholds()
    gate = evaluate_gate(demo_engine, "streetscene", since=W47[0], until=W47[1], thresholds=th)
    acc = json.loads(render_json(gate))["checks"][0]
    assert (acc["rule"], acc["scope"], acc["note"]) == ("accuracy", "overall", "stratified by gold class")
    tile = next(m for m in at.metric if m.label == "Accuracy vs gold")
    assert tile.value == f"{100 * acc['value']:.1f}%"

    ev = evaluate(demo_engine, "streetscene", ScopeRequest.dates(*W47), th, findings=True)
    pooled = ev.pooled_accuracy
    assert abs(pooled.value - acc["value"]) > 0.001  # the two figures differ on the demo: the tile shows the gate's
    captions = " ".join(c.value for c in at.caption)
    assert f"pooled share (unweighted) {100 * pooled.value:.1f}%" in captions

    page = " ".join(str(m.value) for m in at.markdown)
    for a in alerts(ev):
        assert a.text in page
    assert "Annotator drift: ann_07" in page and "Automation bias: ann_23" in page
    assert "Systematic confusion: motorcycle → bicycle" in page
    # issue 9 item 4: alert links keep the sidebar's date range (no silent widening) and name what they set
    links = [e.proto for e in at.get("page_link")]
    alert_links = [p for p in links if p.label.startswith("Open ")]
    assert alert_links
    sidebar_from = at.query_params["from"][0] if isinstance(at.query_params["from"], list) else at.query_params["from"]
    for p in alert_links:
        qs = dict(kv.split("=", 1) for kv in p.query_string.split("&") if kv)
        assert qs.get("from") == sidebar_from, (p.label, qs)
        for k in ("annotator", "focus"):
            if k in qs:  # the label names it (Markdown-escaped: a page link's label is Markdown)
                assert md_escape(qs[k]) in p.label, (p.label, qs)


def test_overview_default_week_is_the_last_with_data_under_the_filters(demo_url, monkeypatch):
    # issue 9 item 4: with schema v1 (it ends when v2 starts, week 10) the default range and week were the
    # project's last weeks, which hold no v1 annotation; they land on v1's last week now.
    from analytics.demo import TRUTHS  # noqa: F401  (the schema change is one of the planted truths)

    monkeypatch.setenv("LABELQA_DB_URL", demo_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=180)
        at.query_params["schema"] = "1"
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        week = at.selectbox(key="p_week").value
        assert week == dt.date(2026, 7, 20), week  # week 9, the last before schema v2 (2026-07-27)
        assert not any("No annotations match" in str(i.value) for i in at.info)
        tile = next(m for m in at.metric if m.label == "Throughput")
        assert tile.value != "0"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        gc.collect()


def test_prelabel_evidence_right_vs_wrong_against_peers(demo_engine):
    # issue 9 item 5: the evidence the annotators drill-down shows for an automation-bias alert
    from analytics.quality.evidence import evidence_from_counts, prelabel_evidence

    counts = pd.DataFrame({"annotator_id": ["a", "b", "c"], "n_right": [10, 20, 0], "n_right_accepted": [9, 18, 0],
                           "n_wrong": [5, 15, 0], "n_wrong_accepted": [4, 3, 0]})
    ev = evidence_from_counts(counts, "a").set_index(["suggestion", "who"])
    assert ev.loc[("wrong", "a"), ["accepted", "shown"]].tolist() == [4, 5]
    assert ev.loc[("wrong", "peers"), ["accepted", "shown"]].tolist() == [3, 15]
    assert ev.loc[("right", "peers"), "rate"] == pytest.approx(18 / 20)
    lo, hi = wilson_interval(4, 5)
    assert (ev.loc[("wrong", "a"), "ci_low"], ev.loc[("wrong", "a"), "ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
    with pytest.raises(NoData):
        evidence_from_counts(counts, "c")

    th = load_thresholds()
    gate = evaluate(demo_engine, "streetscene", ScopeRequest.dates(*W47), th)
    check = gate.find("automation_bias", "annotator ann_23")
    start, end = (dt.date.fromisoformat(x) for x in check.window.split(" to "))
    demo = prelabel_evidence(demo_engine, Filters("streetscene", date_from=start, date_to=end), "ann_23")
    d = demo.set_index(["suggestion", "who"])
    assert int(d.loc[("wrong", "ann_23"), "shown"]) == check.n  # the same wrong pre-labels the gate tested
    assert d.loc[("wrong", "ann_23"), "ci_low"] > d.loc[("wrong", "peers"), "ci_high"]


def test_class_status_reflects_systematic_findings(demo_engine):
    # issue 9 item 6: the motorcycle row was "on target" under a card flagging motorcycle -> bicycle
    from analytics.accuracy import systematic_confusions
    from analytics.quality.status import class_status, systematic_by_class

    sysc = systematic_confusions(demo_engine, Filters("streetscene"), by=("team", "attr:lighting", "team*attr:lighting"))
    flagged = systematic_by_class(sysc)
    assert "motorcycle" in flagged and "bicycle" in flagged["motorcycle"]
    status, words = class_status("green", "motorcycle", flagged)
    assert status == "amber" and "systematic confusion" in words and "team_c" in words
    assert class_status("red", "motorcycle", flagged) == ("red", None)
    assert class_status("green", "car", flagged) == ("green", None)


def _app(demo_url, monkeypatch, page: str, **params):
    monkeypatch.setenv("LABELQA_DB_URL", demo_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=240)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_annotators_drilldown_shows_prelabel_evidence(demo_url, monkeypatch):
    at = _app(demo_url, monkeypatch, "pages/annotators.py", annotator="ann_23")
    try:
        labels = [m.label for m in at.metric]
        assert "Accepts wrong (not gold) pre-labels" in labels and "Accepts right (equal to gold) pre-labels" in labels
        captions = " ".join(c.value for c in at.caption)
        assert "flagged for automation bias" in captions and "peers" in captions
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        gc.collect()


def test_accuracy_page_class_status_agrees_with_the_confusion_cards(demo_url, monkeypatch):
    at = _app(demo_url, monkeypatch, "pages/accuracy.py")
    try:
        page = " ".join(str(m.value) for m in at.markdown)
        assert "**motorcycle → bicycle**" in page  # the card flagging the planted confusion
        tbl = at.dataframe[0].value
        tbl = tbl.data if hasattr(tbl, "data") else tbl  # a Styler (status colours) or a frame
        row = tbl.loc[tbl["gold_label"] == "motorcycle", "status"].iloc[0]
        assert not row.startswith("green"), row
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        gc.collect()


def test_headline_is_never_red_from_sample_size_alone(demo_engine):
    # issue 9 item 1: with judge = "ci_low" the stratified headline was red in weeks whose estimate lay above the
    # 0.85 minimum, only because a week's interval is wide (8 of 26 weeks on the 200k demo, 11 on the test demo).
    from analytics.quality import headline_accuracy

    th = load_thresholds()
    limit = th.rule("accuracy", "overall", "streetscene").limit
    seen = 0
    for k in range(26):
        mon = dt.date(2026, 5, 25) + dt.timedelta(weeks=k)
        est, _, _ = headline_accuracy(demo_engine, Filters("streetscene", date_from=mon, date_to=mon + dt.timedelta(days=6)),
                                      th.confidence("streetscene"))
        if not est.defined:
            continue
        seen += 1
        status = th.status("accuracy", est.value, est.ci_low, est.ci_high, est.n, "overall", "streetscene")
        assert (status == "red") == (est.ci_high < limit), (mon, est)
        if est.value >= limit:
            assert status != "red", (mon, est)
    assert seen >= 20
