"""The address bar reproduces the view, and says when it could not (issue 9 items 11 and 12).

* A link that changes a choice on the page it is on ("Show in the matrix" on the accuracy page, an overview
  alert about the overview) writes that choice to the URL: Streamlit 1.67 drops a same-page ``st.page_link``'s
  parameters from the address, so those links are buttons (``ui.common.filter_link``); links to another page
  stay page links carrying the filters.
* A value in the URL that cannot be used (unknown project, team, annotator, class, week; a bad date; a reversed
  or out-of-range date range) shows a warning on the page naming the parameter and the value.
* An empty page says the real reason ("Schema v1 ends 2026-07-26 ...", "no annotation is team ta and split
  test at once"), and the pickers offer the values present in the chosen dates.

On the session's 60k demo (``demo_url``) and on a tiny hand-built project whose teams and splits do not overlap.
"""
from __future__ import annotations

import gc
import json
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dbutil import load_tables, open_app_page

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
    yield
    st.cache_resource.clear()
    gc.collect()


def open_page(page: str, **params):
    """app.py on ``pages/<page>.py`` with ``params`` in the query string, as a shared link opens it."""
    return open_app_page(page, deep_link=True, **params)


def page_warnings(at: AppTest) -> str:
    return "\n".join(str(w.value) for w in at.main.warning)


def infos(at: AppTest) -> str:
    return "\n".join(str(i.value) for i in at.info)


def qp(at: AppTest) -> dict[str, str]:
    return {k: at.query_params[k] for k in at.query_params}


def chart_titled(at: AppTest, words: str) -> dict:
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if words in ((spec.get("layout", {}).get("title") or {}).get("text", "")):
            return spec
    raise AssertionError(f"no chart titled {words!r}")


def _v1_last_date(url: str) -> str:
    from analytics.db import make_engine

    eng = make_engine(url, read_only=True)
    with eng.connect() as c:
        d = c.execute(text("SELECT CAST(MAX(a.created_at) AS DATE) FROM annotations a JOIN items i ON "
                           "i.item_id = a.item_id WHERE i.project_id = 'streetscene' AND a.schema_version = 1")).scalar()
    eng.dispose()
    return pd.Timestamp(d).date().isoformat()


# ------------------------------------------------------------------------------------- item 11: links
def test_show_in_the_matrix_writes_the_matrix_filter_to_the_url(demo_db):
    at = open_page("accuracy")
    assert "cm_team" not in at.query_params and "cm_attr" not in at.query_params
    # the card of team_c x night's motorcycle -> bicycle confusion (dimension team x lighting)
    btn = next(b for b in at.button if b.label == "Show in the matrix" and "team*attr:lighting" in b.key)
    btn.click().run()
    assert not at.exception
    assert at.query_params["cm_team"] == "team_c" and at.query_params["cm_attr"] == "lighting=night"
    assert at.selectbox(key="p_cm_team").value == "team_c"
    assert at.selectbox(key="p_cm_attr").value == "lighting=night"
    shown = chart_titled(at, "Share of each gold class")["data"][0]
    # the address alone reproduces the view: a fresh session opened on it draws the same matrix
    again = open_page("accuracy", **qp(at))
    assert chart_titled(again, "Share of each gold class")["data"][0]["z"] == shown["z"]
    assert "team team_c · lighting = night" in chart_titled(again, "Share of each gold class")["layout"]["title"]["text"]
    # the team-only card clears the condition again
    btn = next(b for b in at.button if b.label == "Show in the matrix" and b.key.endswith("_team"))
    btn.click().run()
    assert at.query_params["cm_team"] == "team_c" and "cm_attr" not in at.query_params


def test_view_choices_on_the_accuracy_page_live_in_the_url(demo_db):
    """The matrix's diagonal switch and the table's sort order are part of the view: in the address too."""
    at = open_page("accuracy")
    hidden = chart_titled(at, "Share of each gold class")["data"][0]["z"]
    at.toggle(key="p_cm_hide").set_value(False).run()
    at.radio(key="p_sort").set_value("name").run()
    assert at.query_params["cm_hide"] == "0" and at.query_params["sort"] == "name"
    shown = chart_titled(at, "Share of each gold class")["data"][0]["z"]
    assert shown != hidden  # the diagonal is drawn
    order = chart_titled(at, "Accuracy vs gold by gold class")["data"][0]["y"]
    # the critical class is marked ★ in plain text: escape_figure shows chart markup literally ("<b>★ ...</b>")
    assert any(str(n).startswith("★ ") for n in order) and not any("<" in str(n) for n in order)
    again = open_page("accuracy", **qp(at))  # the address alone reproduces both choices
    assert again.toggle(key="p_cm_hide").value is False and again.radio(key="p_sort").value == "name"
    assert chart_titled(again, "Share of each gold class")["data"][0]["z"] == shown
    assert chart_titled(again, "Accuracy vs gold by gold class")["data"][0]["y"] == order
    assert "`cm_hide` = **maybe**" in page_warnings(open_page("accuracy", cm_hide="maybe"))


@pytest.mark.parametrize("page", ["overview", "accuracy"])
def test_no_page_link_points_at_its_own_page(demo_db, page):
    """A page link to the open page loses its parameters from the address: those are buttons instead; the
    links to other pages carry the sidebar filters and what their label names."""
    from ui.common import PAGES

    at = open_page(page)
    own = PAGES[page][0]
    links = list(at.get("page_link"))
    if page == "overview":
        assert links, "the alerts link to the pages that explain them"
    else:
        assert any(b.label == "Show in the matrix" for b in at.button)
    for el in links:
        assert not el.proto.page.endswith(own), (el.proto.label, el.proto.page)
        params = dict(p.split("=", 1) for p in el.proto.query_string.split("&"))
        assert params["project"] == "streetscene" and "from" in params and "to" in params


# ------------------------------------------------------------------------------ item 11: invalid values
def test_unknown_annotator_is_named_on_the_page(demo_db):
    at = open_page("annotators", annotator="nobody")
    w = page_warnings(at)
    assert "`annotator` = **nobody**" in w and "not one of this page's choices" in w
    assert "annotator" not in at.query_params  # the canonical address drops what it could not use


def test_bad_date_is_named_on_the_page(demo_db):
    at = open_page("overview", project="streetscene", **{"from": "2026-13-45", "to": "2026-10-25"})
    w = page_warnings(at)
    assert "`from` = **2026-13-45**" in w and "not a date" in w
    assert at.query_params["to"] == "2026-10-25"  # the valid side is kept
    assert at.query_params["from"] <= "2026-10-25"


def test_reversed_range_is_named_and_read_the_other_way_round(demo_db):
    at = open_page("overview", project="streetscene", **{"from": "2026-11-01", "to": "2026-10-05"})
    w = page_warnings(at)
    assert "`from` = **2026-11-01**" in w and "after to = 2026-10-05" in w
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-10-05", "2026-11-01")


def test_dates_outside_the_data_are_named_on_the_page(demo_db):
    at = open_page("overview", project="streetscene", **{"from": "2019-01-01", "to": "2030-01-01"})
    w = page_warnings(at)
    assert "`from` = **2019-01-01**" in w and "`to` = **2030-01-01**" in w
    assert at.query_params["to"] == "2026-11-22"  # clamped to the latest annotation, and said so


def test_unknown_week_and_class_are_named_on_the_page(demo_db):
    at = open_page("overview", week="2020-01-06")
    assert "`week` = **2020-01-06**" in page_warnings(at)
    for page in ("accuracy", "coverage", "agreement"):
        at = open_page(page, focus="unicorn")
        assert "`focus` = **unicorn**" in page_warnings(at) and "not a class of this project" in page_warnings(at)
    at = open_page("accuracy", focus="emergency_vehicle")  # a real class: no warning
    assert "focus" not in page_warnings(at)


def test_unknown_project_and_team_are_named_on_the_page_not_only_the_sidebar(demo_db):
    at = open_page("accuracy", project="nope", team="team_zz", schema="9", split="nosplit")
    w = page_warnings(at)
    for k, v in (("project", "nope"), ("team", "team_zz"), ("schema", "9"), ("split", "nosplit")):
        assert f"`{k}` = **{v}**" in w, w


# ------------------------------------------------------------------------- item 12: empty states, choices
@pytest.mark.parametrize("page", ["overview", "accuracy", "agreement", "coverage", "annotators"])
def test_empty_filters_say_schema_v1_ends(demo_db, page):
    v1_last = _v1_last_date(demo_db)
    at = open_page(page, project="streetscene", schema="1", **{"from": "2026-10-05", "to": "2026-10-25"})
    said = infos(at)
    assert "No annotations match these filters" in said
    assert f"Schema v1 ends {v1_last}" in said and "2026-10-05 to 2026-10-25" in said, said
    assert "labelqa load" not in said  # not "load gold": the data exist, the filters exclude them


def test_empty_state_fix_buttons_write_the_url(demo_db):
    v1_last = _v1_last_date(demo_db)
    at = open_page("overview", project="streetscene", schema="1", **{"from": "2026-10-05", "to": "2026-10-25"})
    show = next(b for b in at.button if b.label.startswith("Show ") and b.label.endswith(f"to {v1_last}"))
    show.click().run()
    assert not at.exception
    assert at.query_params["to"] == v1_last and at.query_params["schema"] == "1"
    assert "No annotations match these filters" not in infos(at)
    assert at.sidebar.date_input(key="f_dates").value[1].isoformat() == v1_last  # the widget follows the address
    at = open_page("accuracy", project="streetscene", schema="1", **{"from": "2026-10-05", "to": "2026-10-25"})
    next(b for b in at.button if b.label == "Clear the schema filter").click().run()
    assert "schema" not in at.query_params and at.query_params["from"] == "2026-10-05"
    assert "No annotations match these filters" not in infos(at)


def test_own_filter_change_re_defaults_a_page_choice_without_a_link_warning(demo_db):
    at = open_page("overview", project="streetscene", week="2026-11-16")
    assert not page_warnings(at)
    at.sidebar.date_input(key="f_dates").set_value((pd.Timestamp("2026-10-05").date(),
                                                     pd.Timestamp("2026-10-25").date())).run()
    assert not at.exception
    assert at.query_params["week"] == "2026-10-19"  # the last week of the new range
    assert not page_warnings(at)  # the user moved the range: the old week is no link error


def test_sidebar_offers_the_schema_versions_of_the_period(demo_db):
    at = open_page("overview", project="streetscene", **{"from": "2026-10-05", "to": "2026-10-25"})
    assert at.sidebar.selectbox(key="f_schema").options == ["All versions", "v2"]  # v1 ended in July
    at = open_page("overview", project="streetscene", **{"from": "2026-06-01", "to": "2026-08-30"})
    assert at.sidebar.selectbox(key="f_schema").options == ["All versions", "v1", "v2"]
    # a version chosen in the address stays, said to be absent from these dates
    at = open_page("overview", project="streetscene", schema="1", **{"from": "2026-10-05", "to": "2026-10-25"})
    assert at.sidebar.selectbox(key="f_schema").options == ["All versions", "v1", "v2"]
    assert "v1: no annotation in the chosen dates" in " ".join(str(x.value) for x in at.sidebar.caption)
    assert at.query_params["schema"] == "1"


# A tiny project whose teams and splits do not overlap: team ta labels train items in both weeks, team tb only
# test items and only in the second week.
W1, W2 = pd.Timestamp("2026-03-02 09:00"), pd.Timestamp("2026-03-09 09:00")  # Mondays


def tiny_tables() -> dict[str, pd.DataFrame]:
    items, ann = [], []
    for k in range(40):
        it = f"t{k:02d}"
        week = W1 if k < 20 else W2
        team_b = k >= 20 and k % 2 == 1
        items.append({"item_id": it, "project_id": "sp", "split": "test" if team_b else "train"})
        truth = "car" if k % 2 == 0 else "bus"
        for j, who in enumerate(("b1", "b2") if team_b else ("a1", "a2")):
            ann.append({"annotation_id": f"n{k:02d}{j}", "item_id": it, "annotator_id": who,
                        "label": truth if (k + j) % 7 else ("bus" if truth == "car" else "car"),
                        "created_at": week + pd.Timedelta(hours=k % 20, minutes=j), "schema_version": 1})
    return {
        "projects": pd.DataFrame({"project_id": ["sp"], "name": ["Split teams"], "client": ["Acme"]}),
        "label_classes": pd.DataFrame({"project_id": "sp", "schema_version": 1, "label": ["car", "bus"],
                                       "tier": "standard"}),
        "annotators": pd.DataFrame({"annotator_id": ["a1", "a2", "b1", "b2"], "team": ["ta", "ta", "tb", "tb"]}),
        "items": pd.DataFrame(items),
        "item_attributes": pd.DataFrame({"item_id": [i["item_id"] for i in items[20:]], "key": "lighting",
                                         "value": "night"}),  # only second-week items have an attribute
        "annotations": pd.DataFrame(ann),
        "gold_labels": pd.DataFrame({"item_id": [i["item_id"] for i in items],
                                     "label": ["car" if k % 2 == 0 else "bus" for k in range(40)],
                                     "source": "expert"}),
    }


@pytest.fixture
def tiny_db(tmp_path, monkeypatch):
    url = f"duckdb:///{tmp_path / 'split_teams.duckdb'}"
    load_tables(url, tiny_tables())
    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    return url


def test_filters_that_never_meet_say_so(tiny_db):
    at = open_page("overview", project="sp", team="ta", split="test")
    said = infos(at)
    assert "No annotations match these filters" in said
    assert "is team ta and split test at once" in said, said


def test_filter_outside_the_dates_says_when_it_starts(tiny_db):
    at = open_page("accuracy", project="sp", team="tb", **{"from": "2026-03-02", "to": "2026-03-08"})
    said = infos(at)
    assert "Team tb starts 2026-03-09" in said and "2026-03-02 to 2026-03-08" in said, said
    assert "labelqa load" not in said  # the project has gold: "load gold" would be wrong


def test_pickers_offer_the_values_of_the_chosen_dates(tiny_db):
    first_week = {"from": "2026-03-02", "to": "2026-03-08"}
    at = open_page("accuracy", project="sp", **first_week)
    assert at.sidebar.selectbox(key="f_team").options == ["All teams", "ta"]  # tb starts in week 2
    assert at.sidebar.selectbox(key="f_split").options == ["All splits", "train"]
    assert at.selectbox(key="p_cm_team").options == ["All teams", "ta"]  # the matrix's team picker too
    assert at.selectbox(key="p_cm_attr").options == ["All items"]  # no first-week item has an attribute
    at = open_page("accuracy", project="sp")  # both weeks
    assert at.sidebar.selectbox(key="f_team").options == ["All teams", "ta", "tb"]
    assert at.selectbox(key="p_cm_attr").options == ["All items", "lighting = night"]
    at = open_page("coverage", project="sp", **first_week)
    assert "No item of the chosen dates has attributes" in infos(at)
