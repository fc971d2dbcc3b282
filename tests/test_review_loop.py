"""The review loop of issue 14 end to end, as a QA lead runs it: flagged items -> the budgeted queue exported from
the label-errors page's functions -> reviewers' verdicts re-imported with ``labelqa load reviews.csv`` -> the
queue's measured yield (``queue_yield_from_db``, what the page shows) counts exactly the new reviews."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
from sqlalchemy import text

from analytics.db import make_engine
from analytics.filters import Filters
from analytics.metrics.review_queue import allocate, priority, queue_from_label_errors
from analytics.sources.label_errors_db import label_errors_from_db
from analytics.sources.review_queue_db import queue_yield_from_db

MAIN, RUN = "streetscene", "streetscene-r6"


def test_queue_export_reimported_reviews_and_yield(demo_url, tmp_path):
    db = tmp_path / "loop.duckdb"
    shutil.copy(demo_url.split("///", 1)[1], db)
    url = f"duckdb:///{db}"
    eng = make_engine(url, read_only=True)
    try:
        res = label_errors_from_db(eng, Filters(MAIN), RUN)
        before = queue_yield_from_db(eng, Filters(MAIN), RUN, res)
        queue = priority(queue_from_label_errors(res.issues))
        with eng.connect() as c:
            reviewed = set(pd.read_sql(text("SELECT DISTINCT a.item_id FROM reviews r JOIN annotations a "
                                            "USING (annotation_id)"), c)["item_id"].astype(str))
            ann = pd.read_sql(text("SELECT annotation_id, item_id, label FROM annotations"), c)
    finally:
        eng.dispose()
    fresh = queue[~queue["item_id"].astype(str).isin(reviewed)]
    picked = allocate(fresh, 30, seed=7)
    assert len(picked) == 30
    # the reviewers correct half of the queued items' given labels to the suggestion and accept the other half
    given = picked.set_index(picked["item_id"].astype(str))
    rows = ann[ann["item_id"].astype(str).isin(given.index)]
    rows = rows[rows["label"].to_numpy() == given.loc[rows["item_id"].astype(str), "label"].to_numpy()]
    verdict = {iid: ("corrected" if k % 2 == 0 else "accepted") for k, iid in enumerate(given.index)}
    reviews = pd.DataFrame({
        "review_id": [f"loop-{i}" for i in range(len(rows))],
        "annotation_id": rows["annotation_id"].to_numpy(),
        "reviewer_id": "qa_lead",
        "verdict": [verdict[str(i)] for i in rows["item_id"]],
        "corrected_label": [given.loc[str(i), "suggested_label"] if verdict[str(i)] == "corrected" else ""
                            for i in rows["item_id"]],
        "created_at": "2026-11-23T10:00:00",
    })
    csv = tmp_path / "reviews.csv"
    reviews.to_csv(csv, index=False)
    out = subprocess.run([sys.executable, "-m", "analytics.cli", "load", "--db", url, str(csv)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    eng = make_engine(url, read_only=True)
    try:
        after = queue_yield_from_db(eng, Filters(MAIN), RUN, res)
    finally:
        eng.dispose()
    n_corr = sum(v == "corrected" for v in verdict.values())
    assert after["queue"]["n_reviewed"] == before["queue"]["n_reviewed"] + 30
    assert after["queue"]["n_corrected"] == before["queue"]["n_corrected"] + n_corr
    assert after["baseline"] == before["baseline"]  # reviews of queued items do not touch the unqueued baseline
