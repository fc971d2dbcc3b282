"""The "Label errors & review queue" page (pages/label_errors.py) in AppTest: on a small project with model scores
and planted leakage it shows the DB result's numbers; without model scores it shows the empty state."""
from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analytics.db import make_engine
from analytics.filters import Filters
from analytics.io.ingest import load_files
from analytics.sources.label_errors_db import label_errors_from_db

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture(autouse=True)
def _clean():
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()


def _project(d: Path, url: str, scores: bool) -> None:
    rng = np.random.default_rng(3)
    classes = ["car", "van", "bus", "ambulance"]
    n, k = 240, len(classes)
    true = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.15, rng.integers(0, k, n), true)
    ids = np.array([f"it{i:04d}" for i in range(n)], dtype=object)
    split = np.where(np.arange(n) < 180, "train", "test")
    pd.DataFrame({"project_id": ["p"], "name": ["Proj"], "client": ["Client"]}).to_csv(d / "projects.csv", index=False)
    pd.DataFrame({"project_id": "p", "label": classes, "tier": ["standard"] * 3 + ["critical"]}).to_csv(
        d / "label_classes.csv", index=False)
    pd.DataFrame({"item_id": ids, "project_id": "p", "split": split}).to_csv(d / "items.csv", index=False)
    # items 0-4 (train) share a content hash with items 200-204 (test): 10 leaked items
    h = [f"h{i}" for i in range(n)]
    for i in range(5):
        h[200 + i] = h[i]
    pd.DataFrame({"item_id": ids, "key": "content_hash", "value": h}).to_csv(d / "item_attributes.csv", index=False)
    ts = pd.Timestamp("2026-06-01") + pd.to_timedelta(np.arange(n), unit="h")
    pd.DataFrame({"annotation_id": "a" + pd.Series(ids), "item_id": ids, "annotator_id": "ann_01",
                  "label": np.asarray(classes, dtype=object)[given], "created_at": ts}).to_csv(d / "annotations.csv", index=False)
    files = [d / f for f in ("projects.csv", "label_classes.csv", "items.csv", "item_attributes.csv", "annotations.csv")]
    if scores:
        pd.DataFrame({"run_id": ["r1"], "project_id": ["p"], "model_name": ["m"],
                      "evaluated_at": ["2026-07-01"]}).to_csv(d / "model_runs.csv", index=False)
        logits = rng.normal(size=(n, k)) + 3.0 * np.eye(k)[true]
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        w = pd.DataFrame(probs, columns=[f"prob_{c}" for c in classes])
        w.insert(0, "item_id", ids)
        w.insert(0, "run_id", "r1")
        w.to_csv(d / "scores.csv", index=False)
        files += [d / "model_runs.csv", d / "scores.csv"]
    load_files(url, files)


def _open(url, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["project"] = "p"
    at.query_params["from"] = "2026-05-25"
    at.query_params["to"] = "2026-06-30"
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/label_errors.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_db_result_queue_and_leakage(tmp_path, monkeypatch):
    url = f"duckdb:///{tmp_path / 'le.duckdb'}"
    _project(tmp_path, url, scores=True)
    eng = make_engine(url, read_only=True)
    ref = label_errors_from_db(eng, Filters(project_id="p", date_from=pd.Timestamp("2026-05-25").date(),
                                            date_to=pd.Timestamp("2026-06-30").date()), "r1")
    eng.dispose()
    assert len(ref.issues) > 5
    at = _open(url, monkeypatch)
    assert at.title[0].value == "Label errors & review queue"
    assert _metric(at, "Items with a label and scores") == "240"
    assert _metric(at, "Likely label errors") == str(len(ref.issues))
    assert _metric(at, "Items leaking by content_hash") == "10"
    frames = [df.value for df in at.dataframe]
    issues = next(v for v in frames if "given" in v.columns)
    assert list(issues["item_id"]) == list(ref.issues["item_id"])
    queue = next(v for v in frames if "reasons" in v.columns)
    assert len(queue) == len(ref.issues) and queue["reasons"].str.startswith("label_error").all()
    # every critical (ambulance) item flagged is in the queue and carries the reason
    amb = queue[queue["label"] == "ambulance"]
    assert (amb["reasons"].str.contains("critical")).all()
    leak = next(v for v in frames if "n_splits" in v.columns)
    assert sorted(leak["item_id"]) == sorted([f"it{i:04d}" for i in [*range(5), *range(200, 205)]])
    at.number_input(key="le_budget").set_value(3).run()
    assert not at.exception
    queue = next(df.value for df in at.dataframe if "reasons" in df.value.columns)
    assert len(queue) == 3


def test_page_without_scores_says_what_would_fill_it(tmp_path, monkeypatch):
    url = f"duckdb:///{tmp_path / 'none.duckdb'}"
    _project(tmp_path, url, scores=False)
    at = _open(url, monkeypatch)
    info = "\n".join(i.value for i in at.info)
    assert "No model scores for this project" in info and "labelqa load" in info
    assert _metric(at, "Items leaking by content_hash") == "10"


def test_findings_for_the_quality_layer(tmp_path):
    """label_error_findings (what evaluate(findings=True) appends, analytics.quality.evaluation._label_errors) lists
    the label-error share (15% of the labels were changed at random, so its lower bound exceeds 5%); leakage is the
    gate rule max_split_leakage now, never a finding; a project without scores or fingerprints adds nothing."""
    from analytics.metrics.results import wilson_interval
    from analytics.quality.findings import LABEL_ERROR_SHARE_LIMIT, label_error_findings

    url = f"duckdb:///{tmp_path / 'q.duckdb'}"
    _project(tmp_path, url, scores=True)
    eng = make_engine(url, read_only=True)
    found = label_error_findings(eng, Filters(project_id="p"))
    ref = label_errors_from_db(eng, Filters(project_id="p"), "r1")
    eng.dispose()
    assert not [c for c in found if "leakage" in c.rule]
    lo, _ = wilson_interval(len(ref.issues), ref.n_items)
    le_checks = [c for c in found if c.rule == "label_errors"]
    assert lo > LABEL_ERROR_SHARE_LIMIT and len(le_checks) == 1
    assert le_checks[0].value == pytest.approx(len(ref.issues) / ref.n_items) and le_checks[0].n == 240
    assert le_checks[0].outcome == "warn" and le_checks[0].ci_low == pytest.approx(lo)

    bare = tmp_path / "bare"
    bare.mkdir()
    url2 = f"duckdb:///{bare / 'b.duckdb'}"
    pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]}).to_csv(bare / "projects.csv", index=False)
    load_files(url2, [bare / "projects.csv"])
    eng = make_engine(url2, read_only=True)
    assert label_error_findings(eng, Filters(project_id="p")) == []
    eng.dispose()


def test_findings_reach_the_overview_alerts(tmp_path):
    """evaluate(findings=True) carries the label-error finding; leakage is the gate check max_split_leakage (10 exact
    duplicates across splits: fail at the overall tier); alerts() words both, linking to this page."""
    from analytics.quality import evaluate
    from analytics.quality.alerts import alerts

    url = f"duckdb:///{tmp_path / 'a.duckdb'}"
    _project(tmp_path, url, scores=True)
    eng = make_engine(url, read_only=True)
    ev = evaluate(eng, "p", findings=True)
    eng.dispose()
    assert [c.rule for c in ev.findings] == ["label_errors"]
    assert not [c for c in ev.checks if c.rule == "label_errors"]  # a finding, not a gate rule
    leak = ev.by_rule("max_split_leakage")
    assert [(c.scope, c.value, c.outcome, c.tier, c.threshold) for c in leak] == [
        ("key content_hash", 10.0, "fail", "overall", "<= 0")]
    texts = [a.text for a in alerts(ev) if a.page == "label_errors"]
    le = "\n".join(texts)
    assert len(texts) == 2
    assert "**Leakage between splits (exact duplicates)**: 10 items share a content_hash with an item of another split" in le
    assert [a.finding for a in alerts(ev) if "Leakage" in a.text] == [False]  # a gate check's alert
    assert "**Likely label errors**:" in le and "n = 240" in le


def test_history_verification_on_the_page(tmp_path, monkeypatch):
    from sqlalchemy import text

    url = f"duckdb:///{tmp_path / 'h.duckdb'}"
    _project(tmp_path, url, scores=False)
    at = _open(url, monkeypatch)
    at.toggle(key="le_verify").set_value(True).run()
    assert not at.exception
    assert _metric(at, "Loads recorded") == "1" and _metric(at, "Hash chain") == "intact"
    assert _metric(at, "Rows differing from the history") == "0"
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(text("UPDATE annotations SET label = 'bus' WHERE annotation_id = 'ait0003'"))
    eng.dispose()
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
    at.run()
    assert not at.exception
    assert _metric(at, "Rows differing from the history") == "1"
    changed = next(df.value for df in at.dataframe if "load_id" in df.value.columns)
    assert changed.values.tolist() == [["ait0003", 1]]
