"""The weekly report of region projects (issue 13): ``labelqa report weekly`` on a boxes, spans or multilabel
project is judged by the kind's rules (the same checks as ``labelqa gate --since MON --until SUN``), shows each
check with n and its interval, the weekly per-label F1 / agreement trend and F1 against the reference, and the
kind's findings (bx_02's undersized boxes, sp_03's merged spans); escaped, self-contained HTML."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analytics.cli import main
from analytics.db import make_engine
from analytics.filters import Filters
from analytics.io.ingest import load_files
from analytics.render.report.kind_weekly import kind_weekly_report, render_kind_weekly_html
from dbutil import write_table

WEEK, MON, SUN = "2026-W25", "2026-06-15", "2026-06-21"


def _gate(demo_url, project, capsys):
    capsys.readouterr()
    main(["gate", "--db", demo_url, "--project", project, "--since", MON, "--until", SUN, "--format", "json"])
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def reports(demo_engine):
    return {p: kind_weekly_report(demo_engine, p, WEEK) for p in ("roadcam", "newswire")}


@pytest.mark.parametrize("project", ["roadcam", "newswire"])
def test_cli_weekly_of_a_region_project_is_judged_by_the_kind(project, demo_url, reports, tmp_path, capsys):
    out = tmp_path / "w.html"
    assert main(["report", "weekly", "--db", demo_url, "--project", project, "--week", WEEK, "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    gate = _gate(demo_url, project, capsys)
    rep = reports[project]
    assert [(c.rule, c.scope, c.value, c.n) for c in rep.gate.checks] == [
        (c["rule"], c["scope"], c["value"], c["n"]) for c in gate["checks"]]
    assert {c.rule for c in rep.gate.checks} >= {"region_f1", "region_miss_rate"}
    section = html.split("<h2>Quality gate</h2>", 1)[1].split("<h2>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)
    assert len(rows) == 1 + len(gate["checks"])  # header + every check, passing ones included
    for c in rep.gate.checks:  # value, interval and n of each check
        assert f"{c.value:.3f} ({c.ci_low:.3f}-{c.ci_high:.3f}) n={c.n:,}" in section
    # self-contained: plotly inlined once, nothing fetched from the network
    assert html.count('<script id="plotly-js"') == 1
    page = re.sub(r'<script id="plotly-js".*?</script>', "", html, flags=re.S)  # the library's own strings aside
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page) and "<link" not in page
    def same(h):  # the generation time and plotly's random div ids aside
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "id",
                      re.sub(r"Generated [^<]*", "", h))

    assert same(html) == same(render_kind_weekly_html(rep))  # the CLI writes exactly this report


def test_trend_per_label_and_f1_against_the_reference(demo_engine, reports):
    from analytics.kinds.boxes import db as bdb

    r = reports["roadcam"]
    wk = pd.Timestamp(MON)
    assert r.agreement["week"].max() == wk and r.agreement["week"].nunique() == 4  # weeks W22..W25
    assert set(r.agreement["label"]) == {"", "car", "truck", "pedestrian", "bicycle", "motorcycle"}
    a = r.agreement[r.agreement["label"] != ""]
    assert ((a["ci_low"] <= a["mean"]) & (a["mean"] <= a["ci_high"])).all() and (a["n_items"] > 0).all()
    # the week's F1 against the reference is the accuracy JSON of that week's boxes
    acc = r.accuracy.set_index("week").loc[wk]
    o = bdb.box_accuracy_from_db(demo_engine, Filters("roadcam", date_from=pd.Timestamp(MON).date(),
                                                      date_to=pd.Timestamp(SUN).date()))["overall"]
    assert acc["f1"] == pytest.approx(o["f1"]) and acc["n_gold"] == o["n_gold"]
    assert acc["f1_ci_low"] < acc["f1"] < acc["f1_ci_high"]
    # the week's per-label agreement is in the labels table, next to the week's counts (from SQL)
    lab = r.labels.set_index("label")
    this = r.agreement[(r.agreement["week"] == wk)].set_index("label")
    assert lab.loc["car", "mean"] == pytest.approx(this.loc["car", "mean"])
    assert int(lab["n_annotated"].sum()) == r.n_regions


def test_box_findings_find_the_undersized_annotator(reports):
    r = reports["roadcam"]
    bias = r.findings["size_bias"]
    assert bias.iloc[0]["annotator_id"] == "bx_02" and bias.iloc[0]["outcome"] == "fail"
    assert 0.80 < bias.iloc[0]["area_ratio"] < 0.90 and (bias.iloc[1:]["outcome"] == "pass").all()
    top = r.findings["confusions"].iloc[0]
    assert (top["gold_label"], top["label"]) == ("motorcycle", "bicycle")
    worst = r.findings["misses"].iloc[0]
    assert (worst["team"], worst["lighting"], worst["size"]) == ("vision_c", "night", "small")
    html = render_kind_weekly_html(r)
    assert "Localisation bias per annotator" in html and "<td>bx_02</td>" in html


def test_span_findings_flag_the_merging_annotator(reports):
    r = reports["newswire"]
    a = r.findings["annotators"].set_index("annotator_id")
    assert a.index[a["merges"]].tolist() == ["sp_03"]
    assert a.loc["sp_03", "f1_token"] - a.loc["sp_03", "f1"] > 0.2
    assert "merges or splits entities</span>" in render_kind_weekly_html(r)


def test_a_week_without_annotations_is_a_usage_error(demo_url, tmp_path, capsys):
    assert main(["report", "weekly", "--db", demo_url, "--project", "roadcam", "--week", "2027-W05",
                 "--out", str(tmp_path / "x.html")]) == 2
    assert "no annotations in week 2027-W05" in capsys.readouterr().err


EVIL = "<img src=x onerror=alert(1)>"


def _tiny(tmp_path, url):
    """Boxes on 3 images in W25: i1 and i2 with gold, i3 without gold but a1's boxes reviewed there."""
    t = "2026-06-16 10:00:00"
    boxes = pd.DataFrame({
        "annotation_id": [f"b{k}" for k in range(8)],
        "item_id": ["i1", "i1", "i2", "i2", "i3", "i3", "i1", "i2"],
        "annotator_id": ["a1", "a2", "a1", "a2", "a1", "a2", "a1", "a2"],
        "label": [EVIL, EVIL, "car", "car", "car", "car", "car", EVIL],
        "x": [0, 2, 0, 0, 0, 1, 300, 300.0], "y": [0.0] * 8, "width": [100, 96, 50, 45, 80, 80, 40, 40.0],
        "height": [100, 96, 50, 45, 80, 80, 40, 40.0], "created_at": [t] * 8})
    gold = pd.DataFrame({"item_id": ["i1", "i2"], "label": [EVIL, "car"], "x": [0, 0.0], "y": [0, 0.0],
                         "width": [100, 50.0], "height": [100, 50.0]})
    reviews = pd.DataFrame({"review_id": ["r1"], "annotation_id": ["b4"], "verdict": ["accepted"]})
    load_files(url, [write_table(tmp_path / "projects.csv", pd.DataFrame({
                         "project_id": ["det"], "name": ["Det <b>bold</b>"], "client": ["c&o"], "task_type": ["boxes"]})),
                     write_table(tmp_path / "items.csv", pd.DataFrame({"item_id": ["i1", "i2", "i3"],
                                                                       "project_id": ["det"] * 3})),
                     write_table(tmp_path / "box_annotations.csv", boxes),
                     write_table(tmp_path / "gold_boxes.csv", gold)])
    load_files(url, [write_table(tmp_path / "box_reviews.csv", reviews)])


def test_tiny_project_escaped_and_reads_the_reviewed_reference(tmp_path, tmp_duckdb_url):
    _tiny(tmp_path, tmp_duckdb_url)
    out = tmp_path / "w.html"
    assert main(["report", "weekly", "--db", tmp_duckdb_url, "--project", "det", "--week", WEEK,
                 "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert EVIL not in html and "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "Det &lt;b&gt;bold&lt;/b&gt;" in html
    e = make_engine(tmp_duckdb_url, read_only=True)
    try:
        r = kind_weekly_report(e, "det", WEEK)
    finally:
        e.dispose()
    assert (r.n_regions, r.n_items, r.n_annotators) == (8, 3, 2)
    assert r.reference == "reference: gold on 2 images, reviewed regions on 1 images without gold"
    # F1 against the reference by hand: on i1, i2, i3 (a1's reviewed car is i3's reference) the annotated boxes
    # are 8, TP 6 (b6 on i1 and b7 on i2 match nothing); reference boxes seen: 2 + 2 + 2 = 6, found 6
    acc = r.accuracy.iloc[0]
    assert (acc["n_annotated"], acc["n_gold"]) == (8, 6) and acc["f1"] == pytest.approx((6 + 6) / (8 + 6))
    assert acc["precision"] == pytest.approx(6 / 8) and acc["recall"] == 1.0


def test_multilabel_weekly_report(tmp_path, tmp_duckdb_url):
    t = "2026-06-16 10:00:00"
    rows = [("i1", "a1", "x"), ("i1", "a1", "y"), ("i1", "a2", "x"), ("i1", "a2", "y"), ("i2", "a1", "x"),
            ("i2", "a2", "y"), ("i3", "a1", "y"), ("i3", "a2", "y")]
    ann = pd.DataFrame([{"annotation_id": f"m{k}", "item_id": i, "annotator_id": a, "label": lab, "created_at": t}
                        for k, (i, a, lab) in enumerate(rows)])
    load_files(tmp_duckdb_url, [
        write_table(tmp_path / "projects.csv", pd.DataFrame({"project_id": ["tags"], "name": ["Tags"],
                                                             "client": ["c"], "task_type": ["multilabel"]})),
        write_table(tmp_path / "items.csv", pd.DataFrame({"item_id": ["i1", "i2", "i3"], "project_id": ["tags"] * 3})),
        write_table(tmp_path / "multilabel_annotations.csv", ann)])
    out = tmp_path / "m.html"
    assert main(["report", "weekly", "--db", tmp_duckdb_url, "--project", "tags", "--week", WEEK,
                 "--out", str(out)]) == 0
    e = make_engine(tmp_duckdb_url, read_only=True)
    try:
        r = kind_weekly_report(e, "tags", WEEK)
    finally:
        e.dispose()
    assert [c.rule for c in r.gate.checks] == ["masi_alpha"]
    assert r.agreement.iloc[0]["mean"] == pytest.approx(r.gate.checks[0].value)  # the week's MASI alpha
    assert set(r.findings["per_label"]["label"]) == {"x", "y"} and r.n_regions == 8
    html = out.read_text(encoding="utf-8")
    assert "masi_alpha" in html and "F1 vs reference" not in html  # label sets: agreement, no region F1


def test_tiny_weekly_report_equal_on_postgresql(tmp_path, pg_url, tmp_duckdb_url):
    got = {}
    for name, url in (("duckdb", tmp_duckdb_url), ("pg", pg_url)):
        d = tmp_path / name
        d.mkdir()
        _tiny(d, url)
        e = make_engine(url, read_only=True)
        try:
            r = kind_weekly_report(e, "det", WEEK)
        finally:
            e.dispose()
        got[name] = ((r.n_regions, r.n_items, r.n_annotators, r.reference),
                     [(c.rule, c.scope, c.n) for c in r.gate.checks],
                     r.accuracy[["f1", "n_annotated", "n_gold"]].to_numpy().tolist())
    assert got["pg"] == got["duckdb"]
