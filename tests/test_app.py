"""Dashboard tests with Streamlit's AppTest on the seeded demo database (tests/conftest.py ``demo_url``).

Every page renders without an exception and draws its charts; a filter change changes the numbers; links
(query strings) reproduce a view; empty databases and databases without gold or model runs show empty states
that say what would fill them; and the planted truths of the demo (analytics.demo.TRUTHS) are visible where a
user would look.
"""
from __future__ import annotations

import base64
import gc
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dbutil import open_app_page as open_page

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = {
    "overview": "Weekly overview",
    "accuracy": "Stratified accuracy",
    "agreement": "Agreement trends",
    "coverage": "Class coverage",
    "label_vs_model": "Label vs model",
    "annotators": "Annotators",
    "delivery": "Delivery report",
}


@pytest.fixture(scope="module", autouse=True)
def _clean_caches_around_module():
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()


@pytest.fixture(autouse=True)
def _fresh_engines():
    """st.cache_resource lives for the whole pytest process: drop the cached engines (and any DuckDB handle) after
    every test. Cached data stays: its keys hold the database URL, so the demo database's frames are reused by
    the next test instead of recomputed, and tests on other databases never see them."""
    yield
    st.cache_resource.clear()
    gc.collect()


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def arr(v) -> np.ndarray:
    """A plotly trace array: plain list, or plotly's typed-array encoding {dtype, bdata, shape}."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(x) for x in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.asarray(v, dtype=object)


def chart_titled(at: AppTest, words: str) -> dict:
    for spec in charts(at):
        title = (spec.get("layout", {}).get("title") or {}).get("text", "")
        if words in title:
            return spec
    raise AssertionError(f"no chart titled {words!r}: {[ (s['layout'].get('title') or {}).get('text') for s in charts(at)]}")


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.caption] + [m.value for m in at.info]
    parts += [m.value for m in at.error] + [m.value for m in at.success] + [m.value for m in at.warning]
    return "\n".join(str(p) for p in parts)


# ------------------------------------------------------------------------------------------ every page
@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_with_charts(demo_db, page):
    at = open_page(page)
    assert at.title[0].value.startswith(PAGES[page])  # the delivery page names its project and batch after it
    assert len(at.get("plotly_chart")) >= 1
    # the sidebar wrote the full filter set into the URL: a copied link reproduces the view
    assert at.query_params["project"] == "streetscene"
    assert at.query_params["to"] == "2026-11-22"  # the latest annotation, not today
    assert at.query_params["from"] == "2026-09-28"  # 8 calendar weeks back, a Monday


def test_overview_filter_changes_numbers_and_url(demo_db):
    at = open_page("overview")
    before = (metric(at, "Accuracy vs gold"), metric(at, "Throughput"), metric(at, "Active annotators"))
    at.selectbox(key="f_team").select("team_c").run()
    assert not at.exception
    after = (metric(at, "Accuracy vs gold"), metric(at, "Throughput"), metric(at, "Active annotators"))
    assert at.query_params["team"] == "team_c"
    assert after[1] != before[1] and after[2] != before[2]
    assert int(after[2]) < int(before[2])  # one team of three is active
    # the same view opened from a link with the team in its query string shows the same numbers
    st.cache_data.clear()
    linked = open_page("overview", project="streetscene", team="team_c")
    assert (metric(linked, "Accuracy vs gold"), metric(linked, "Throughput")) == after[:2]
    assert linked.selectbox(key="f_team").value == "team_c"


def test_accuracy_page_team_filter_changes_chart(demo_db):
    at = open_page("accuracy")
    x_all = arr(chart_titled(at, "Accuracy vs gold by gold class")["data"][0]["x"]).astype(float)
    at.selectbox(key="f_team").select("team_b").run()
    assert not at.exception
    x_b = arr(chart_titled(at, "Accuracy vs gold by gold class")["data"][0]["x"]).astype(float)
    assert len(x_b) == len(x_all) and not np.allclose(np.sort(x_b), np.sort(x_all))


def test_week_choice_changes_tiles(demo_db):
    at = open_page("overview")
    weeks = at.selectbox(key="p_week").options
    assert len(weeks) == 8
    last = metric(at, "Throughput")
    at.selectbox(key="p_week").set_value(at.selectbox(key="p_week").options[0]).run()
    assert not at.exception
    assert metric(at, "Throughput") != last
    assert at.query_params["week"] == "2026-09-28"


# ------------------------------------------------------------------------------------------ planted truths
def test_overview_alerts_show_drift_bias_and_critical_class(demo_db):
    """TRUTHS 1, 3, 6: ann_07's drift, the critical class and ann_23's automation bias are alerts, each with a
    link to the page and filters that explain it."""
    at = open_page("overview")
    t = texts(at)
    assert "Annotator drift: ann_07" in t
    assert "Critical class under target: emergency_vehicle" in t
    assert "Automation bias: ann_23" in t
    links = {(el.proto.page, el.proto.label): el.proto.query_string if hasattr(el.proto, "query_string") else ""
             for el in at.get("page_link")}
    assert any("annotators" in p for p, _ in links), links
    assert any("accuracy" in p for p, _ in links), links


def test_accuracy_page_night_motorcycle_confusion_and_critical_class(demo_db):
    """TRUTH 2: team_c labels motorcycle as bicycle at night; TRUTH 3: emergency_vehicle far below the headline."""
    at = open_page("accuracy")
    t = texts(at)
    assert "motorcycle → bicycle" in t
    assert "team=team_c, lighting=night" in t
    forest = chart_titled(at, "Accuracy vs gold by gold class")
    names = list(arr(forest["data"][0]["y"]))
    assert "emergency_vehicle" in names[0] and "★" in names[0]  # worst class first, marked critical
    # the callout's filter, opened as a link, isolates the confusion in the matrix
    at = open_page("accuracy", cm_team="team_c", cm_attr="lighting=night")
    cm = chart_titled(at, "Share of each gold class")["data"][0]
    row, col = list(cm["y"]).index("motorcycle"), list(cm["x"]).index("bicycle")
    assert arr(cm["z"])[row][col] > 30  # percent of team_c's night-time motorcycles labelled bicycle


def test_agreement_timeline_marks_schema_v2_and_the_jump(demo_db):
    """TRUTH 4: schema v2 from week 10 (2026-07-27); agreement (on van) jumps there."""
    at = open_page("agreement")
    timeline = chart_titled(at, "Weekly Krippendorff")
    ann = [a.get("text", "") for a in timeline["layout"].get("annotations", [])]
    assert "schema v2" in ann
    by_version = next(df.value for df in at.dataframe if "schema_version" in df.value.columns)
    v = by_version.set_index("schema_version")["value"]
    assert v.loc[2] > v.loc[1]
    heat = chart_titled(at, "Specific agreement per class and week")["data"][0]
    van = arr(heat["z"])[list(heat["y"]).index("van")].astype(float)
    weeks = np.asarray(heat["x"])
    before, after = van[(weeks < "2026-07-27") & ~np.isnan(van)], van[(weeks >= "2026-07-27") & ~np.isnan(van)]
    assert after.mean() > before.mean() + 10  # percentage points


def test_label_vs_model_slope_positive_after_confounder_control(demo_db):
    """TRUTH 5: per-class F1 tracks label accuracy once class frequency (log support) is controlled for."""
    at = open_page("label_vs_model")
    t = texts(at)
    assert "after controlling for class frequency" in t
    coef = next(df.value for df in at.dataframe if "coef" in df.value.columns).set_index("term")
    assert coef.loc["label_quality", "coef"] > 0 and coef.loc["label_quality", "ci_low"] > 0
    assert float(metric(at, "Partial r | log(support)")) > 0


def test_annotators_flags_and_detail_from_link(demo_db):
    """TRUTHS 1 and 6 on the Annotators page; ?annotator=ann_07 opens the detail with the drift start."""
    at = open_page("annotators", annotator="ann_07")
    lb = at.dataframe[0].value.set_index("annotator_id")
    assert "automation bias" in lb.loc["ann_23", "status"]
    assert "drift" in lb.loc["ann_07", "status"]
    assert at.header[0].value == "ann_07"
    trend = chart_titled(at, "ann_07: weekly accuracy")
    ann = " ".join(a.get("text", "") for a in trend["layout"].get("annotations", []))
    assert "drift starts 24 Aug" in ann
    assert any("Drift" in e.value for e in at.error)


def test_delivery_report_uses_pseudonyms_and_one_project(demo_db):
    at = open_page("delivery", batch="streetscene-b05")
    from analytics.quality.markdown import md_escape

    assert at.title[0].value.startswith(md_escape("Delivery report: Street scene objects"))  # data escaped
    # the client view aggregates annotators (issue 9 item 9); the vendor view lists pseudonyms
    assert not any("pseudonym" in df.value.columns for df in at.dataframe)
    at.toggle(key="vendor_view").set_value(True).run()
    ann = next(df.value for df in at.dataframe if "pseudonym" in df.value.columns)
    assert ann["pseudonym"].str.startswith("Annotator ").all()
    shown = texts(at) + "".join(df.value.to_csv() for df in at.dataframe)
    assert "ann_" not in shown and "Shopwise" not in shown and "Ledgerly" not in shown
    assert metric(at, "Labels delivered") != "0"
    assert any(b.label.startswith("Download report") for b in at.get("download_button"))


def test_coverage_attribute_choice_and_qa_planner(demo_db):
    at = open_page("coverage", attr="sensor")
    heat = chart_titled(at, "by sensor")
    assert "cam_front" in heat["data"][0]["x"]
    assert "Plan:" in texts(at)
    # a bigger minimum rate plans a bigger sample
    n_before = int(texts(at).split("**Plan:** ")[1].split(" items")[0].replace(",", ""))
    at.number_input[0].set_value(0.5)
    at.button[0].click().run()
    n_after = int(texts(at).split("**Plan:** ")[1].split(" items")[0].replace(",", ""))
    assert n_after > n_before


# ------------------------------------------------------------------------------------------ empty states
def test_empty_database_shows_what_fills_it(tmp_duckdb_url, monkeypatch):
    from analytics.db import ensure_schema, make_engine

    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    eng.dispose()
    monkeypatch.setenv("LABELQA_DB_URL", tmp_duckdb_url)
    for page in ("overview", "accuracy", "delivery"):
        at = open_page(page)
        assert "The database has no projects yet" in texts(at)
        assert "labelqa load" in texts(at)
        assert not at.get("plotly_chart")


def test_no_gold_and_no_model_runs_show_empty_states(demo_url, tmp_path, monkeypatch):
    from sqlalchemy import text

    from analytics.db import make_engine

    path = tmp_path / "nogold.duckdb"
    shutil.copy(demo_url.split("///", 1)[1], path)
    eng = make_engine(f"duckdb:///{path}")
    with eng.begin() as con:
        for t in ("gold_labels", "predictions", "model_metrics", "model_runs"):
            con.execute(text(f"DELETE FROM {t}"))
    eng.dispose()
    monkeypatch.setenv("LABELQA_DB_URL", f"duckdb:///{path}")
    at = open_page("accuracy")
    assert "No gold labels in this project yet" in texts(at)  # the real reason (issue 9 item 12)
    at = open_page("label_vs_model")
    assert "No model runs yet" in texts(at)
    assert "No pre-labels" not in texts(at)  # pre-labels exist; only their gold check is missing
    at = open_page("overview")
    assert "No gold-scored annotation this week" in texts(at)
    assert metric(at, "Agreement α") != "–"  # agreement needs no gold


@pytest.mark.parametrize("gold", [True, False], ids=["no_prelabels", "no_prelabels_no_gold"])
def test_project_without_prelabels_shows_empty_states(tmp_path, monkeypatch, gold):
    """Issue 10 item 1: a small project with no model pre-labels (``model_suggestion`` NULL, no model runs), with
    and without gold. Overview, Label vs model and Annotators used to fail with a raw ``ValueError: no
    pre-labelled annotations in the filtered scope``; now analytics raises ``NoData`` and each page says so."""
    from dbutil import load_tables, tiny_project_tables

    url = f"duckdb:///{tmp_path / 'noprelabels.duckdb'}"
    load_tables(url, tiny_project_tables(gold=gold))
    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    reason = "No pre-labelled annotations in the filtered scope."

    at = open_page("overview")  # open_page asserts no exception
    assert at.title[0].value == PAGES["overview"]
    # no pre-label shown: automation bias is not a signal of this project, so no check and no alert about it
    # (the gate rule adds no check without pre-labels, analytics.quality.rules._rule_automation_bias)
    assert "Automation bias" not in texts(at)

    at = open_page("label_vs_model")
    assert at.title[0].value == PAGES["label_vs_model"]
    infos = [i.value for i in at.info]
    assert any(v.startswith("**No pre-labels in this selection.** " + reason) for v in infos), infos
    assert any("No model runs yet" in v for v in infos)

    at = open_page("annotators")
    assert at.title[0].value == PAGES["annotators"]
    infos = [i.value for i in at.info]
    assert any(v.startswith("**Automation bias not tested.** " + reason) for v in infos), infos
    board = next(df.value for df in at.dataframe if "annotator_id" in df.value.columns)
    assert sorted(board["annotator_id"]) == ["u0", "u1", "u2"]  # the leaderboard still renders

    if not gold:
        at = open_page("accuracy")
        assert "No gold labels in this project yet" in texts(at)  # the real reason (issue 9 item 12)


def test_filters_matching_nothing(demo_db):
    # schema v1 was replaced by v2 in July: nothing in October is v1
    at = open_page("overview", project="streetscene", schema="1", **{"from": "2026-10-05", "to": "2026-10-25"})
    assert "No annotations match these filters" in texts(at)
    at = open_page("coverage", project="streetscene", schema="1", **{"from": "2026-10-05", "to": "2026-10-25"})
    assert "No annotations match these filters" in texts(at)


def test_invalid_link_values_fall_back_with_a_warning(demo_db):
    at = open_page("overview", project="nope", team="team_zz")
    assert at.query_params["project"] == "streetscene"
    assert "team" not in at.query_params
    warnings = " ".join(w.value for w in at.main.warning)  # on the page, naming parameter and value (issue 9 item 11)
    assert "`project` = **nope**" in warnings and "`team` = **team_zz**" in warnings


# ------------------------------------------------------------------------------------------ portability
@pytest.mark.postgres
def test_dashboard_queries_agree_on_duckdb_and_postgres(demo_engine, demo_pg_url):
    """The dashboard's own queries (sql/ui_*.sql) run unchanged on PostgreSQL and return the same rows."""
    import datetime as dt

    import pandas as pd

    from analytics.db import make_engine, query_df
    from analytics.filters import Filters

    pg = make_engine(demo_pg_url, read_only=True)
    f = Filters("streetscene", dt.date(2026, 9, 28), dt.date(2026, 11, 22), team="team_c")
    calls = {
        "ui_projects": {},
        "ui_filter_options": {"project_id": "streetscene"},
        "ui_label_classes": {"project_id": "streetscene"},
        "ui_weekly_volume": f.params(),
        "ui_annotator_activity": f.params(),
        "ui_annotator_disagreements": {**f.params(), "annotator_id": "ann_34", "limit_rows": 20},
        "ui_model_runs": {"project_id": "streetscene"},
        "ui_model_metric_names": {"project_id": "streetscene"},
        "ui_schema_versions": f.params(),
    }
    try:
        for name, params in calls.items():
            a, b = query_df(demo_engine, name, **params), query_df(pg, name, **params)
            assert len(a) > 0, name
            assert list(a.columns) == list(b.columns), name
            key = [c for c in a.columns if a[c].dtype == object or str(a[c].dtype).startswith("str")] or list(a.columns[:1])
            a = a.sort_values(key).reset_index(drop=True).astype(str)
            b = b.sort_values(key).reset_index(drop=True).astype(str)
            num = [c for c in ("seconds", "items_per_hour", "median_seconds") if c in a.columns]
            for c in num:  # floating sums may differ in the last digits between engines
                assert np.allclose(a[c].astype(float), b[c].astype(float), rtol=1e-9), (name, c)
            pd.testing.assert_frame_equal(a.drop(columns=num), b.drop(columns=num), check_dtype=False, obj=name)
    finally:
        pg.dispose()


def test_first_run_builds_the_embedded_demo_database(tmp_path, monkeypatch):
    """With no database configured and no embedded file yet, the app builds it first, with a visible status."""
    import analytics.db
    import analytics.io.demo.default_db

    monkeypatch.syspath_prepend(str(ROOT))
    import ui.common

    path = tmp_path / "data" / "labelqa.duckdb"
    monkeypatch.delenv("LABELQA_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setattr(analytics.db, "DEFAULT_DB_PATH", path)
    monkeypatch.setattr(ui.common, "DEFAULT_DB_PATH", path)
    monkeypatch.setattr(analytics.io.demo.default_db, "DEFAULT_ANNOTATIONS", 8_000)
    monkeypatch.setattr(analytics.db, "ROOT", tmp_path)  # secrets.toml lookup falls back to ROOT
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.message for e in at.exception]
    assert path.exists()
    assert [s.label for s in at.status] == ["Demo database ready"]
    assert at.title[0].value == "Weekly overview"


def test_switching_project_resets_the_project_filters(demo_db):
    at = open_page("coverage", project="streetscene", team="team_a")
    assert at.query_params["team"] == "team_a"
    at.selectbox(key="f_project").select("retail").run()
    assert not at.exception
    assert at.query_params["project"] == "retail"
    assert "team" not in at.query_params  # the other project's team does not carry over
    assert at.title[0].value == "Class coverage"
    dist = next(df.value for df in at.dataframe if "item_share" in df.value.columns)
    assert "car" not in set(dist["label"])  # retail's own taxonomy, nothing of streetscene


@pytest.mark.postgres
def test_pages_render_on_postgres(demo_pg_url, monkeypatch):
    """The same dashboard on PostgreSQL (read-only session): the pages with the most varied queries render.
    (Each analytics query's PostgreSQL path is tested by its own module's tests.)"""
    monkeypatch.setenv("LABELQA_DB_URL", demo_pg_url)
    for page in ("overview", "annotators", "label_vs_model"):
        at = open_page(page)
        assert at.title[0].value == PAGES[page]
        assert len(at.get("plotly_chart")) >= 1, page
