"""Text from data or from a URL renders as the characters it is: no Markdown link, image or directive in
pages (ui.common.md), no plotly pseudo-HTML in charts (analytics.render.plotly_safe)."""
from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from hypothesis import given, strategies as st
from streamlit.testing.v1 import AppTest

from analytics.render.plotly_safe import escape_figure
from analytics.resources import DASHBOARD_APP
from dbutil import load_tables, tiny_project_tables
from ui.common import md

LINK = "[win](http://evil.example/p)"
IMAGE = "![x](http://evil.example/i.png)"
HTML_LABEL = "<b>bus</b><a href='javascript:alert(1)'>x</a>"


def _is_literal(rendered_md: str, raw: str) -> bool:
    """In ``rendered_md`` every special character of ``raw`` is backslash-escaped."""
    return md(raw) in rendered_md and raw not in rendered_md


@given(st.text(max_size=40))
def test_md_escapes_every_character_that_opens_markdown(s):
    out = md(s)
    i = 0
    while i < len(out):
        if out[i] == "\\":
            i += 2
            continue
        assert out[i] not in "\\`*[]()!<>~$|{}:", (s, out)
        if out[i] == "_":
            assert 0 < i < len(out) - 1 and out[i - 1].isalnum() and out[i + 1].isalnum(), (s, out)
        i += 1
    assert "\n" not in out
    assert not out.startswith(("#", "-", "+", "=")), out


def test_md_keeps_identifiers_readable():
    assert md("ann_23") == "ann_23" and md("emergency_vehicle") == "emergency_vehicle"
    assert md("_x_") == "\\_x\\_" and md("# heading") == "\\# heading" and md("1. item") == "1\\. item"


def test_md_neutralises_links_images_and_directives():
    assert md(LINK) == r"\[win\]\(http\://evil.example/p\)"
    assert md(":red[alarm] :material/home:") == r"\:red\[alarm\] \:material/home\:"
    assert md(IMAGE).startswith(r"\!\[x\]")


def test_plotly_labels_are_entity_escaped_and_numbers_untouched():
    fig = go.Figure(go.Bar(x=[0.5, 0.7], y=[HTML_LABEL, "car"], text=[HTML_LABEL, "ok"], name=HTML_LABEL))
    spec = json.loads(escape_figure(fig).to_json())
    tr = spec["data"][0]
    assert tr["y"][0] == "&lt;b&gt;bus&lt;/b&gt;&lt;a href='javascript:alert(1)'&gt;x&lt;/a&gt;"
    assert tr["text"][0] == tr["y"][0] and tr["name"] == tr["y"][0]
    assert tr["x"] == [0.5, 0.7] or "bdata" in tr["x"]


@pytest.fixture
def hostile_db(tmp_path, monkeypatch):
    tables = tiny_project_tables(gold=True)
    for name in ("label_classes", "annotations", "gold_labels"):
        tables[name]["label"] = tables[name]["label"].replace("bus", HTML_LABEL)
    tables["projects"]["name"] = [f"Tiny {LINK}"]
    tables["projects"]["client"] = [IMAGE]
    tables["annotators"]["team"] = [LINK, LINK, "b"]
    url = f"duckdb:///{tmp_path / 'hostile.duckdb'}"
    load_tables(url, tables)
    monkeypatch.setenv("LABELQA_DB_URL", url)
    return url


def _page(page, **params):
    at = AppTest.from_file(str(DASHBOARD_APP), default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    return at


def _all_text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        parts += [str(e.value) for e in at.get(kind)]
    return "\n".join(parts)


@pytest.mark.parametrize("page", ["accuracy", "coverage", "annotators", "label_vs_model", "delivery"])
def test_hostile_labels_and_names_render_literally(hostile_db, page):
    at = _page(page, project="tiny", **({"focus": LINK} if page == "accuracy" else {}))
    assert not at.exception, [e.value for e in at.exception]
    text = _all_text(at)
    for raw in (LINK, IMAGE):
        assert raw not in text, (page, raw)  # never as live Markdown
    assert "http\\://evil" in text or "evil" not in text
    for el in at.get("plotly_chart"):
        spec = el.proto.spec
        assert "<b>bus</b>" not in spec and "javascript:alert" not in spec.replace("&lt;a href='javascript:alert(1)'&gt;", "")


def test_hostile_url_parameters_render_literally(hostile_db):
    at = _page("accuracy", project="tiny", team=LINK + "`" + IMAGE, split="`**x**`")
    assert not at.exception
    text = _all_text(at)
    assert LINK not in text and IMAGE not in text and "`**x**`" not in text
