"""Impossible timestamps are refused at ingest, naming file, row and column (issue 10 item 2); nothing is loaded."""
from __future__ import annotations

import pytest

from analytics.db import make_engine, table_counts
from analytics.ingest import IngestError, load_files

BAD = ["infinity", "-infinity", "epoch", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "1970-01-01"]


@pytest.mark.parametrize("value", BAD)
def test_non_finite_and_implausible_timestamps_are_refused(value, tmp_path):
    f = tmp_path / "projects.csv"
    f.write_text("project_id,name,client,created_at\n"
                 "p1,One,Acme,2026-05-01 10:00:00\n"
                 f"p2,Two,Acme,{value}\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    with pytest.raises(IngestError) as info:
        load_files(url, [f], table="projects")
    msg = str(info.value)
    assert "projects.csv" in msg and "row 2" in msg and "created_at" in msg, msg
    assert ("not a timestamp" in msg) or ("outside the plausible window" in msg), msg
    db = tmp_path / "db.duckdb"
    assert not db.exists() or table_counts(make_engine(url, read_only=True))["projects"] == 0


def test_the_window_is_configurable(tmp_path, monkeypatch):
    f = tmp_path / "projects.csv"
    f.write_text("project_id,name,client,created_at\np1,Old,Acme,1985-03-04 00:00:00\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    with pytest.raises(IngestError, match="outside the plausible window 2000-01-01"):
        load_files(url, [f], table="projects")
    monkeypatch.setenv("LABELQA_TIMESTAMP_MIN", "1980-01-01")
    load_files(url, [f], table="projects")
    assert table_counts(make_engine(url, read_only=True))["projects"] == 1
