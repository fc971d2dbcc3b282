"""The client's delivery report (issue 9 items 7-9, issue 10 item 11): contracted targets with verdicts read from
the quality layer, the batch note, the schema-change note, dates in order, annotators aggregated by default,
static SVG charts (a small file, nothing from the network), hostile labels shown literally; and the dashboard
page drawing the same design."""
from __future__ import annotations

import dataclasses
import gc
import json
import re
from pathlib import Path

import pytest

from analytics.quality import ScopeRequest, evaluate
from analytics.quality.checks import Check
from analytics.render.report import DeliveryConfig, delivery_report, delivery_texts, load_delivery_config, render_delivery_html
from analytics.render.report.client import DeliveryConfigError, _verdict, check_verdict
from analytics.render.report.weekly import render_weekly_html, weekly_report
from analytics.thresholds import Rule, Thresholds

HOSTILE = ["<b>x</b>", "<a href=javascript:alert(1)>y</a>"]


def _without_style(html: str) -> str:
    return re.sub(r"<style>.*?</style>", "", html, flags=re.S)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "delivery.toml"
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------------------------------ settings
def test_delivery_settings_defaults_client_override_and_errors(tmp_path):
    cfg = load_delivery_config(_write(tmp_path, """
[delivery]
annotators = "aggregate"
[delivery.notes]
"p1-b1" = "Known issue: class c under-checked; two more experts from week 3."
[client.ClientOne]
annotators = "hide"
[client.ClientOne.targets.accuracy]
critical = 0.7
"""), client="ClientOne")
    assert cfg.annotators == "hide"
    assert cfg.notes == {"p1-b1": "Known issue: class c under-checked; two more experts from week 3."}
    assert cfg.contracted == {("accuracy", "critical"): 0.7}
    assert ("accuracy", "critical") in cfg.targets
    other = load_delivery_config(tmp_path / "delivery.toml", client="Someone else")
    assert other.annotators == "aggregate" and other.contracted == {}
    for bad, words in (('[delivery]\nannotators = "all"', "delivery.annotators"),
                       ('[delivery]\ntargets = ["accuracy.gold"]', "delivery.targets"),
                       ('[delivery]\ncolour = 1', "unknown key 'colour'"),
                       ('[rules]\nx = 1', "unknown top-level key")):
        with pytest.raises(DeliveryConfigError, match=re.escape(words)):
            load_delivery_config(_write(tmp_path, bad))


def test_verdict_from_a_check_and_its_rule():
    r = Rule("accuracy", "min", 0.8, judge="ci_low", severity="warn")
    mk = lambda **kw: Check("accuracy", "class a", **kw)
    assert _verdict(mk(value=0.9, ci_low=0.85, ci_high=0.95, status="green", compared=0.85), r) == "met"
    # lower bound under the target, upper bound over it: the data cannot tell
    assert _verdict(mk(value=0.82, ci_low=0.7, ci_high=0.9, status="red", outcome="warn", compared=0.7),
                    r) == "not enough evidence"
    assert _verdict(mk(value=0.6, ci_low=0.5, ci_high=0.7, status="red", outcome="warn", compared=0.5), r) == "not met"
    assert _verdict(mk(value=0.9, ci_low=0.3, ci_high=1.0, status="grey", judged=False), r) == "not enough evidence"
    # interval judging with a warn level: amber with the lower bound over the limit still meets it
    ri = Rule("accuracy", "min", 0.85, warn=0.9, judge="interval")
    assert _verdict(mk(value=0.9, ci_low=0.87, ci_high=0.93, status="amber", outcome="warn", compared=0.87), ri) == "met"
    assert _verdict(mk(value=0.87, ci_low=0.84, ci_high=0.9, status="amber", outcome="warn", compared=0.84),
                    ri) == "not enough evidence"


# ------------------------------------------------------------------------------------------ tiny
@pytest.fixture(scope="module")
def tiny_cfg(tmp_path_factory):
    d = tmp_path_factory.mktemp("cfg")
    return load_delivery_config(_write(d, """
[delivery.notes]
"p1-b1" = "Class <c> was re-checked by a second expert."
[client.ClientOne.targets.accuracy]
critical = 0.7
"""), client="ClientOne")


def test_targets_are_the_quality_layers_verdicts(tiny_db, tiny_cfg):
    _, eng, _ = tiny_db
    th = Thresholds({})
    rep = delivery_report(eng, "p1", "p1-b1", thresholds=th, config=tiny_cfg)
    crit = next(t for t in rep.targets if (t.rule, t.tier) == ("accuracy", "critical"))
    assert crit.limit == 0.7 and crit.contracted  # the client's contract, not labelqa.toml's 0.95
    # the same check the quality layer gives when the contract is the project's limit
    cth = Thresholds({"project": {"p1": {"rules": {"accuracy": {"critical": {"min": 0.7}}}}}})
    ev = evaluate(eng, "p1", ScopeRequest.batch("p1-b1"), cth)
    c = ev.find("accuracy", "class c")
    assert [(k.scope, k.outcome, k.status) for k in crit.checks] == [(c.scope, c.outcome, c.status)]
    assert crit.verdict == check_verdict(c, cth, "p1")
    assert rep.classes.set_index("label").loc["c", "verdict"] == crit.verdict
    overall = next(t for t in rep.targets if (t.rule, t.tier) == ("accuracy", "overall"))
    assert overall.checks[0].value == pytest.approx(rep.accuracy.value)
    # without a contract the threshold file's limit is the target
    plain = delivery_report(eng, "p1", "p1-b1", thresholds=th, config=dataclasses.replace(tiny_cfg, contracted={}))
    assert next(t for t in plain.targets if (t.rule, t.tier) == ("accuracy", "critical")).limit == 0.95


def test_tiny_html_note_views_and_no_script(tiny_db, tiny_cfg):
    _, eng, _ = tiny_db
    rep = delivery_report(eng, "p1", "p1-b1", thresholds=Thresholds({}), config=tiny_cfg)
    html = render_delivery_html(rep)
    assert "Class &lt;c&gt; was re-checked by a second expert." in html
    assert "<script" not in html and html.count("<svg") == 2
    assert "Contracted targets" in html and "at least 70% (contracted)" in html
    # client view: aggregated, no pseudonym; vendor view: pseudonyms
    assert rep.annotator_view == "aggregate" and "Annotator A" not in html
    assert "4 annotators labelled this batch" in html
    vendor = render_delivery_html(rep, annotators="pseudonyms")
    assert "Annotator A" in vendor and "Annotator D" in vendor
    hidden = render_delivery_html(rep, annotators="hide")
    assert "<h2>Annotators</h2>" not in hidden and "Annotator A" not in hidden
    # every colour of the chart has its words in a legend
    for words in ("meets its target", "below its target", "not enough evidence to judge", "critical class"):
        assert words in html


def test_hostile_labels_are_literal_in_the_svg_and_the_weekly_plotly(tiny_db):
    _, eng, _ = tiny_db
    rep = delivery_report(eng, "p1", "p1-b1", thresholds=Thresholds({}))
    labels = rep.classes["label"].tolist()
    swap = {labels[0]: HOSTILE[0], labels[1]: HOSTILE[1]}
    bad = dataclasses.replace(rep, classes=rep.classes.assign(label=rep.classes["label"].replace(swap)))
    html = _without_style(render_delivery_html(bad))
    for raw in HOSTILE:
        assert raw not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;a href=javascript:alert(1)&gt;y&lt;/a&gt;" in html
    w = weekly_report(eng, "p1", "2026-W02", thresholds=Thresholds({}))
    wl = w.classes["label"].tolist()
    wbad = dataclasses.replace(w, classes=w.classes.assign(label=w.classes["label"].replace(
        {wl[0]: HOSTILE[0], wl[1]: HOSTILE[1]})))
    whtml = re.sub(r'<script id="plotly-js"[^>]*>.*?</script>', "", render_weekly_html(wbad), flags=re.S)
    figs = [json.loads(m) for m in re.findall(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", whtml, re.S)]
    ys = [y for data in figs for t in data for y in (t.get("y") or []) if isinstance(y, str)]
    assert "&lt;b&gt;x&lt;/b&gt;" in ys and HOSTILE[0] not in ys  # plotly shows the entity as the characters


# ------------------------------------------------------------------------------------------ demo
@pytest.fixture(scope="module")
def b05(demo_engine):
    return delivery_report(demo_engine, "streetscene", "streetscene-b05", thresholds=Thresholds({}),
                           config=DeliveryConfig())


def test_demo_b05_schema_change_dates_and_size(b05):
    tx = delivery_texts(b05)
    assert len(b05.schema_versions) == 2
    assert "spans a change of the labelling guideline" in tx["schema"] and "version 1" in tx["schema"]
    # the demo delivers b05 on 1 Aug while its last label is from 2 Aug: said in the order it happened
    assert b05.delivered_at < b05.last_at
    d = tx["dates"]
    assert d.index("started") < d.index("delivered") < d.index("last label") and "after the delivery date" in d
    # the project's name is not repeated in the title line
    assert tx["subtitle"].count(b05.project_name) == 0 and tx["title"].count(b05.project_name) == 1
    html = render_delivery_html(b05)
    assert len(html.encode("utf-8")) < 150_000  # was 4.86 MB with plotly.js inlined
    assert "plotly" not in html.lower() and not re.search(r"\b(src|href)\s*=", html)
    assert [t.verdict for t in b05.targets] and set(t.verdict for t in b05.targets) <= {"met", "not met",
                                                                                        "not enough evidence"}


def test_demo_b05_critical_target_matches_the_gate(demo_engine, b05):
    from analytics.demo import CRITICAL_CLASS

    ev = evaluate(demo_engine, "streetscene", ScopeRequest.batch("streetscene-b05"), Thresholds({}))
    c = ev.find("accuracy", f"class {CRITICAL_CLASS}")
    crit = next(t for t in b05.targets if (t.rule, t.tier) == ("accuracy", "critical"))
    assert crit.checks[0].value == pytest.approx(c.value) and crit.checks[0].outcome == c.outcome
    assert b05.classes.set_index("label").loc[CRITICAL_CLASS, "verdict"] == crit.verdict


def test_demo_b05_leakage_section_is_the_gate_check(demo_engine):
    """Issue 14: the demo plants exact duplicates across train/test and one source group across folds; the report's
    leakage section states the batch's max_split_leakage checks (same numbers as the gate), escaped, and a project
    without fingerprints gets no section (leakage not checked, nothing claimed)."""
    from analytics.render.report import leakage_text

    rep = delivery_report(demo_engine, "streetscene", "streetscene-b05", config=DeliveryConfig())
    ev = evaluate(demo_engine, "streetscene", ScopeRequest.batch("streetscene-b05"))
    gate = {c.scope.removeprefix("key "): (int(c.value), c.n, c.outcome) for c in ev.by_rule("max_split_leakage")}
    assert set(gate) == {"content_hash", "group_id"} and gate["content_hash"][0] > 0
    assert {r.key: (r.n_leaked, r.n_items, r.outcome) for r in rep.leakage.itertuples()} == gate
    assert gate["content_hash"][2] == "fail"
    txt = leakage_text(rep)
    n, m = gate["content_hash"][0], gate["content_hash"][1]
    assert f"{n:,} of {m:,} items with a content_hash have an exact copy (same content fingerprint) in another split" in txt
    html = _without_style(render_delivery_html(rep))
    assert "<h2>Leakage between splits</h2>" in html and "an exact copy (same content fingerprint)" in html
    other = delivery_report(demo_engine, "retail", "retail-b05", config=DeliveryConfig())
    assert other.leakage.empty and leakage_text(other) == ""
    assert "Leakage between splits" not in render_delivery_html(other)


def test_method_notes_give_provenance_and_the_history_digest(demo_engine, tmp_path):
    """Issue 14 sec. 4: the method notes say where the batch's labels come from (sources, schema versions) and, for
    data loaded with labelqa load, the ingest log's newest digest (the one labelqa verify checks against); the demo
    (written directly) says no log can vouch for it."""
    import pandas as pd

    from analytics.db import make_engine
    from analytics.io.history import verify_db
    from analytics.io.ingest import load_files
    from analytics.render.report import provenance_text

    rep = delivery_report(demo_engine, "streetscene", "streetscene-b05", config=DeliveryConfig())
    src = rep.provenance.groupby("source")["n"].sum()
    assert int(src.sum()) == rep.n_annotations and set(rep.provenance["schema_version"]) == {1, 2}
    txt = provenance_text(rep)
    assert f"of the {rep.n_annotations:,} labels, {int(src['human']):,}" in txt and "labelled by hand" in txt
    assert "not loaded with labelqa load" in txt and rep.history is None
    assert txt.replace("&", "&amp;") in render_delivery_html(rep)

    d = tmp_path
    pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]}).to_csv(d / "projects.csv", index=False)
    pd.DataFrame({"project_id": "p", "label": ["car", "van"]}).to_csv(d / "label_classes.csv", index=False)
    pd.DataFrame({"batch_id": ["b1"], "project_id": ["p"], "name": ["first"]}).to_csv(d / "batches.csv", index=False)
    ids = [f"i{k}" for k in range(40)]
    pd.DataFrame({"item_id": ids, "project_id": "p"}).to_csv(d / "items.csv", index=False)
    pd.DataFrame({"annotation_id": [f"a{k}" for k in range(40)], "item_id": ids, "annotator_id": "x", "label": "car",
                  "created_at": "2026-06-01 10:00:00", "batch_id": "b1",
                  "source": ["human"] * 30 + ["prelabel_accepted"] * 10}).to_csv(d / "annotations.csv", index=False)
    url = f"duckdb:///{d / 'h.duckdb'}"
    load_files(url, [d / f for f in ("projects.csv", "label_classes.csv", "batches.csv", "items.csv")])
    load_files(url, [d / "annotations.csv"])
    eng = make_engine(url, read_only=True)
    try:
        rep = delivery_report(eng, "p", "b1", config=DeliveryConfig())
        newest = verify_db(eng)["loads"]["digest"].iloc[-1]
    finally:
        eng.dispose()
    txt = provenance_text(rep)
    assert "30 (75.0%) labelled by hand; 10 (25.0%) a model pre-label accepted unchanged" in txt
    assert f"loaded in 2 recorded load(s)" in txt and f"its digest {newest} pins every load" in txt


# ------------------------------------------------------------------------------------------ page
def test_delivery_page_is_the_reports_design(demo_url, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LABELQA_DB_URL", demo_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=240)
        at.query_params["batch"] = "streetscene-b05"
        at.run()
        at.switch_page("pages/delivery.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        title = at.title[0].value
        # Markdown source with the data escaped (renders as the plain title)
        from analytics.quality.markdown import md_escape
        assert title == md_escape("Delivery report: Street scene objects, batch streetscene-b05")
        caps = " ".join(c.value for c in at.caption)
        assert "weeks 9-10" in caps and "Street scene objects, weeks" not in caps  # no duplicated title
        assert "do not apply" in caps and " – " not in caps.split("do not apply")[0]  # no sidebar date range
        assert not at.get("badge")  # no internal "watch" / "below target" badges
        frames = [df.value for df in at.dataframe]
        targets = next(f for f in frames if "Verdict" in f.columns)
        assert set(targets["Verdict"]) <= {"met", "not met", "not enough evidence"} and len(targets) >= 3
        assert not any("pseudonym" in f.columns for f in frames)  # client view: aggregated by default
        text = " ".join(str(m.value) for m in at.markdown)
        for words in ("meets its target", "below its target", "not enough evidence to judge"):
            assert words in text
        assert any("spans a change of the labelling guideline" in w.value for w in at.warning)
        assert any(w.value.startswith("Leakage between splits in batch") for w in at.warning)  # issue 14 plants
        assert len(at.get("plotly_chart")) == 2
        at.toggle(key="vendor_view").set_value(True).run()
        frames = [df.value for df in at.dataframe]
        ann = next(f for f in frames if "pseudonym" in f.columns)
        assert ann["pseudonym"].str.startswith("Annotator ").all()
        assert any("vendor copy" in b.label for b in at.get("download_button"))
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        gc.collect()
