"""The shared result cache follows the data (issue 11: a cache shared by all sessions, keyed by a data version that
``labelqa load`` bumps): a write to the database shows on the next page run, not after the cache's lifetime.

* ``analytics.sources.version.data_version``: a DuckDB file's stamp changes with a write and not with a read-only
  read; a database with LabelQA's ``ingest_log`` (SQLite here, as any SQLAlchemy URL) changes with a new load row;
  neither gives ``None``.
* The dashboard: a project added to the database while the server runs appears in the project picker of the next
  run (the old ten-minute cache kept showing the old list).
"""
from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from sqlalchemy import create_engine, text
from streamlit.testing.v1 import AppTest

from analytics.db import make_engine
from analytics.sources.version import data_version
from dbutil import APP, build_tiny_db, load_tables, tiny_project_tables


def test_duckdb_file_version_changes_with_writes_only(tmp_path):
    url = f"duckdb:///{tmp_path / 'v.duckdb'}"
    build_tiny_db(url)
    before = data_version(make_engine(url, read_only=True), url)
    ro = make_engine(url, read_only=True)
    with ro.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM annotations")).scalar_one() > 0
    ro.dispose()
    assert data_version(ro, url) == before
    load_tables(url, _new_project())
    after = data_version(make_engine(url, read_only=True), url)
    assert after != before and after.startswith("file ")


def test_ingest_log_version_and_none(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert data_version(eng) is None  # no ingest log, not a DuckDB file: nothing tells a change
    with eng.begin() as c:
        c.execute(text("CREATE TABLE ingest_log (load_id INTEGER PRIMARY KEY, loaded_at TIMESTAMP, loaded_by TEXT, "
                       "record TEXT, digest TEXT)"))
    empty = data_version(eng)
    assert empty == "log 0:0:"  # typed on every engine (Spark returned NaN where DuckDB returned None)
    with eng.begin() as c:
        c.execute(text("INSERT INTO ingest_log VALUES (1, :t, 'me', '{}', 'abc')"), {"t": dt.datetime(2026, 12, 4)})
    one = data_version(eng)
    assert one == "log 1:1:abc" and one != empty


def _new_project() -> dict:
    """The tiny project of tests/dbutil.py under ids the two-project database does not use."""
    out = {}
    for name, df in tiny_project_tables().items():
        df = df.copy()
        for col in ("item_id", "annotation_id", "batch_id"):
            if col in df.columns:
                df[col] = "new_" + df[col].astype(str)
        out[name] = df
    return out


def _project_options(at: AppTest) -> list[str]:
    for sb in at.sidebar.selectbox:
        if "Project" in str(sb.label):
            return [str(o) for o in sb.options]
    raise AssertionError(f"no project picker among {[sb.label for sb in at.sidebar.selectbox]}")


@pytest.mark.parametrize("changed", [True, False])
def test_dashboard_shows_a_load_on_the_next_run(tmp_path, monkeypatch, changed):
    from ui import data, freshness

    url = f"duckdb:///{tmp_path / 'live.duckdb'}"
    build_tiny_db(url)
    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.message for e in at.exception]
    first = _project_options(at)
    assert not any(o.startswith("Tiny (") for o in first), first
    if changed:
        load_tables(url, _new_project())  # what a labelqa load does to the file while the server runs
    freshness._version.clear()  # the five seconds between version checks have passed
    again = AppTest.from_file(APP, default_timeout=180).run()  # another session of the same server process
    assert not again.exception, [e.message for e in again.exception]
    second = _project_options(again)
    if changed:
        assert any(o.startswith("Tiny (") for o in second), second
        assert len(second) == len(first) + 1
    else:
        assert second == first
    st.cache_data.clear()
    st.cache_resource.clear()


# ------------------------------------------------------------------------------------------ thresholds as cache key
def _page_text(at: AppTest) -> str:
    parts = [str(e.value) for kind in ("markdown", "caption", "warning", "error", "info", "success") for e in at.get(kind)]
    parts += [str(m.value) for m in at.get("metric")]
    for df in at.get("arrow_data_frame"):
        parts.append(df.value.to_csv())
    return "\n".join(parts)


def test_edited_thresholds_file_is_judged_afresh(tmp_path, monkeypatch):
    """The overview caches its evaluation; the key is the rules' content (``Thresholds.key``), not the file's path,
    so an edit of labelqa.toml shows on the next run (with the path as key the old verdicts stayed)."""
    from analytics.quality.config import load_thresholds
    from analytics.resources import DEFAULT_THRESHOLDS

    url = f"duckdb:///{tmp_path / 'th.duckdb'}"
    build_tiny_db(url)
    toml = tmp_path / "labelqa.toml"
    base = DEFAULT_THRESHOLDS.read_text()
    assert "[rules.annotator_share]\nmax = 0.35\n" in base
    toml.write_text(base)
    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.setenv("LABELQA_THRESHOLDS", str(toml))
    st.cache_data.clear()
    st.cache_resource.clear()

    def run() -> str:
        at = AppTest.from_file(APP, default_timeout=180)
        at.query_params["project"] = "p1"
        at.query_params["week"] = "2026-01-12"
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return _page_text(at)

    strict = run()
    k1 = load_thresholds(str(toml)).key
    toml.write_text(base.replace("[rules.annotator_share]\nmax = 0.35\n", "[rules.annotator_share]\nmax = 0.90\n"))
    import os
    os.utime(toml, (1e9, 1e9))  # a new modification time, as any edit gives
    k2 = load_thresholds(str(toml)).key
    assert k1 != k2 and load_thresholds(str(toml)).key == k2
    loose = run()
    assert "0.35" in strict and "0.35" not in loose, "the overview still judges against the old limit"
    st.cache_data.clear()
    st.cache_resource.clear()
