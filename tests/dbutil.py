"""Test helpers: load small hand-built tables into a database through the schema contract, and the tiny
hand-built two-project database of the gate, report and CLI tests (``build_tiny_db``), and the small project
without model pre-labels of the no-data tests (``tiny_project_tables``)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import text

from analytics.db import ensure_schema, make_engine


def load_tables(url: str, tables: dict[str, pd.DataFrame]) -> None:
    """Create the canonical schema at ``url`` and insert each frame into the table of its key (NaN -> NULL).

    Table and column names come from the test's own frames, never from user input.
    """
    eng = make_engine(url)
    ensure_schema(eng)
    with eng.begin() as c:
        for name, df in tables.items():
            cols = list(df.columns)
            recs = df.astype(object).where(df.notna(), None).to_dict(orient="records")
            c.execute(text(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join(':' + x for x in cols)})"), recs)
    eng.dispose()


# ------------------------------------------------------------------------------------------ tiny database
# Project p1 (client "ClientOne"): classes a, b (standard) and c (critical). Two batches, one week each.
#   b1 (week of 2026-01-05): items i00..i99; i00-i59 are a, i60-i79 b, i80-i99 c; every item has gold and two
#      annotators (x1+x2 on even items, x3+x4 on odd ones). On c items the second annotator says 'a' when
#      item % 5 in (0, 1): c accuracy 32/40 = 0.8 (critical: FAIL). Three extra annotations by x1 on i00-i02
#      carry the label 'zzz', not in the taxonomy (taxonomy: 3, FAIL). Only 20 gold items of c (< 30, FAIL).
#   b2 (week of 2026-01-12): items j00..j99; j00-j19 a, j20-j99 b (label shift vs b1: FAIL); x1 labels every
#      item and a second annotator rotates over x2, x3, x4 (x1's share 0.5 > 0.35: WARN); all labels correct;
#      gold on j00..j49.
# Project p2 (client "ClientTwo"): 40 items, annotators zed_1, zed_2, classes q, r; must never leak into p1 output.
TINY_B1_WEEK = dt.datetime(2026, 1, 5, 9, 0)
TINY_B2_WEEK = dt.datetime(2026, 1, 12, 9, 0)


def tiny_rows() -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {k: [] for k in (
        "projects", "label_classes", "annotators", "items", "batches", "annotations", "gold_labels", "reviews")}
    rows["projects"] += [
        dict(project_id="p1", name="Tiny streets", client="ClientOne", task_type="classification"),
        dict(project_id="p2", name="Other shelf", client="ClientTwo", task_type="classification"),
    ]
    for label, tier in (("a", "standard"), ("b", "standard"), ("c", "critical")):
        rows["label_classes"].append(dict(project_id="p1", schema_version=1, label=label, tier=tier))
    for label in ("q", "r"):
        rows["label_classes"].append(dict(project_id="p2", schema_version=1, label=label, tier="standard"))
    for i, team in ((1, "t1"), (2, "t1"), (3, "t2"), (4, "t2")):
        rows["annotators"].append(dict(annotator_id=f"x{i}", display_name=f"Xavier Number{i}", team=team))
    for i in (1, 2):
        rows["annotators"].append(dict(annotator_id=f"zed_{i}", display_name=f"Yolanda Other{i}", team="t9"))
    rows["batches"] += [
        dict(batch_id="p1-b1", project_id="p1", name="first batch", delivered_at=dt.datetime(2026, 1, 10)),
        dict(batch_id="p1-b2", project_id="p1", name="second batch", delivered_at=dt.datetime(2026, 1, 17)),
        dict(batch_id="p2-b1", project_id="p2", name="other batch", delivered_at=dt.datetime(2026, 1, 10)),
    ]
    n = 0

    def ann(item, annotator, label, when, batch):
        nonlocal n
        n += 1
        rows["annotations"].append(dict(annotation_id=f"an{n:05d}", item_id=item, annotator_id=annotator,
                                        label=label, created_at=when + dt.timedelta(minutes=n), batch_id=batch))

    for k in range(100):
        item = f"i{k:02d}"
        truth = "a" if k < 60 else "b" if k < 80 else "c"
        rows["items"].append(dict(item_id=item, project_id="p1"))
        rows["gold_labels"].append(dict(item_id=item, label=truth, source="expert"))
        first, second = ("x1", "x2") if k % 2 == 0 else ("x3", "x4")
        ann(item, first, truth, TINY_B1_WEEK, "p1-b1")
        ann(item, second, "a" if truth == "c" and k % 5 in (0, 1) else truth, TINY_B1_WEEK, "p1-b1")
    for k in range(3):
        ann(f"i{k:02d}", "x1", "zzz", TINY_B1_WEEK, "p1-b1")
    for k in range(100):
        item = f"j{k:02d}"
        truth = "a" if k < 20 else "b"
        rows["items"].append(dict(item_id=item, project_id="p1"))
        if k < 50:
            rows["gold_labels"].append(dict(item_id=item, label=truth, source="expert"))
        ann(item, "x1", truth, TINY_B2_WEEK, "p1-b2")
        ann(item, ("x2", "x3", "x4")[k % 3], truth, TINY_B2_WEEK, "p1-b2")
    for k in range(40):
        item = f"k{k:02d}"
        truth = "q" if k % 2 else "r"
        rows["items"].append(dict(item_id=item, project_id="p2"))
        rows["gold_labels"].append(dict(item_id=item, label=truth, source="expert"))
        ann(item, "zed_1", truth, TINY_B1_WEEK, "p2-b1")
        ann(item, "zed_2", truth, TINY_B1_WEEK, "p2-b1")
    return rows


def build_tiny_db(url: str) -> dict[str, list[dict]]:
    """Create the schema and insert the tiny scenario; returns the inserted rows (the known answers)."""
    rows = tiny_rows()
    eng = make_engine(url)
    ensure_schema(eng)
    with eng.begin() as c:
        for table, recs in rows.items():
            if recs:
                cols = sorted({k for r in recs for k in r})
                recs = [{k: r.get(k) for k in cols} for r in recs]
                c.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + k for k in cols)})"),
                          recs)
    eng.dispose()
    return rows


# ------------------------------------------------------------------------------------------ project without pre-labels
# Used by tests/test_nodata.py and tests/test_app.py (empty states).
NODATA_T0 = pd.Timestamp("2026-09-07 10:00")  # a Monday


def tiny_project_tables(gold: bool = True) -> dict[str, pd.DataFrame]:
    """Project ``tiny``: 24 items labelled by 3 annotators (2 per item) over 4 weeks; no annotation has a
    ``model_suggestion`` and there are no model runs. With ``gold``, items i00-i11 have a gold label."""
    items = [f"i{k:02d}" for k in range(24)]
    rows = []
    for k, it in enumerate(items):
        for j, who in enumerate((f"u{k % 3}", f"u{(k + 1) % 3}")):
            rows.append({"annotation_id": f"a{k:02d}{j}", "item_id": it, "annotator_id": who,
                         "label": "car" if (k + j) % 4 else "bus",
                         "created_at": NODATA_T0 + pd.Timedelta(days=k + j, hours=j), "duration_s": 20.0 + k,
                         "schema_version": 1, "batch_id": "b1"})
    tables = {
        "projects": pd.DataFrame({"project_id": ["tiny"], "name": ["Tiny"], "client": ["Acme"]}),
        "label_classes": pd.DataFrame({"project_id": "tiny", "schema_version": 1, "label": ["bus", "car"],
                                       "tier": ["critical", "standard"]}),
        "annotators": pd.DataFrame({"annotator_id": ["u0", "u1", "u2"], "team": ["a", "a", "b"]}),
        "items": pd.DataFrame({"item_id": items, "project_id": "tiny", "split": "train"}),
        "batches": pd.DataFrame({"batch_id": ["b1"], "project_id": ["tiny"], "name": ["Batch 1"],
                                 "delivered_at": [NODATA_T0 + pd.Timedelta(days=30)]}),
        "annotations": pd.DataFrame(rows),
    }
    if gold:
        tables["gold_labels"] = pd.DataFrame({"item_id": items[:12], "label": ["car"] * 10 + ["bus"] * 2,
                                              "source": "expert"})
    return tables


# ------------------------------------------------------------------------------------------ files and pages
def write_table(path, df: pd.DataFrame):
    """Write ``df`` to ``path`` in the format its suffix names (.parquet, .jsonl, else CSV); returns the path."""
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_csv(path, index=False)
    return path


def open_dashboard_page(url: str, project: str, page: str, monkeypatch):
    """AppTest of the installed dashboard on ``url`` (caches cleared, the packaged thresholds), opened on
    ``project`` and switched to ``pages/<page>.py``; fails on any exception shown."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics.resources import DASHBOARD_APP

    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(DASHBOARD_APP), default_timeout=180)
    at.query_params["project"] = project
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_app_page(page: str, *, deep_link: bool = False, **params):
    """AppTest of the repository's app.py on ``pages/<page>.py`` with ``params`` in the query string; fails on any
    exception shown. ``deep_link=True``: the first run is the page's own, as a shared link opens it; otherwise the
    overview runs first and the page is switched to, as a user navigates."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    if deep_link and page != "overview":
        at.switch_page(f"pages/{page}.py")
    at.run()
    if not deep_link and page != "overview":
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at
