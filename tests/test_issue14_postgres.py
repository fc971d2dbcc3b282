"""The issue-14 queries added for label-issue shares, gold overlap, the review queue's signals and yield, leakage
per scope and the delivery provenance run unchanged on PostgreSQL and give DuckDB's numbers (same seeded demo).
The flagged set itself too: label_errors_joint.sql ran over 15 minutes on PostgreSQL at the 60k demo (64k scored
items) until the label-error queries ran with hash joins (analytics.sources.label_errors_db.pg_hash_joins);
statement_timeout bounds it here."""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.db import make_engine
from analytics.filters import Filters

pytestmark = pytest.mark.postgres
MAIN, RUN = "streetscene", "streetscene-r6"


def _all(engine, res):
    from analytics.db import query_df
    from analytics.sources.label_issue_db import gold_overlap_from_db, label_issue_shares_from_db
    from analytics.sources.leakage_db import fingerprinted_items, leakage_from_db
    from analytics.sources.review_queue_db import queue_signals_from_db, queue_yield_from_db

    f = Filters(MAIN)
    sh = label_issue_shares_from_db(engine, f, RUN, res)
    sig = queue_signals_from_db(engine, f, res, 30, ["ann_07"], ds_limit=0)
    prov = query_df(engine, "delivery_provenance", **Filters(MAIN, batch_id=f"{MAIN}-b05").params())
    return {"shares": sh[["dim", "grp", "n", "k"]].astype({"n": int, "k": int}).sort_values(["dim", "grp"])
            .reset_index(drop=True),
            "gold": gold_overlap_from_db(engine, f, RUN, res),
            "yield": queue_yield_from_db(engine, f, RUN, res),
            "signals": sig[["item_id", "n_votes", "vote_entropy", "flagged_period"]].sort_values("item_id")
            .reset_index(drop=True),
            "fingerprints": fingerprinted_items(engine, f),
            "leaked": sorted(leakage_from_db(engine, f).items.item_id.astype(str)),
            "provenance": prov[["source", "schema_version", "n"]].astype({"schema_version": int, "n": int})
            .sort_values(["schema_version", "source"]).reset_index(drop=True)}


def test_issue14_queries_equal_on_duckdb_and_postgres(demo_engine, demo_pg_url):
    from analytics.sources.label_errors_db import label_errors_from_db

    import time

    from sqlalchemy import event

    res = label_errors_from_db(demo_engine, Filters(MAIN), RUN)
    pg = make_engine(demo_pg_url, read_only=True)
    event.listen(pg, "connect", lambda dbapi, _rec: dbapi.execute("SET statement_timeout = '120s'"))
    try:
        t0 = time.perf_counter()
        res_pg = label_errors_from_db(pg, Filters(MAIN), RUN)
        took = time.perf_counter() - t0
        a, b = _all(demo_engine, res), _all(pg, res_pg)
    finally:
        pg.dispose()
    assert len(res.issues) > 100 and a["shares"]["k"].sum() > 0
    assert sorted(res_pg.issues.item_id.astype(str)) == sorted(res.issues.item_id.astype(str)), took
    assert took < 60, took  # was > 15 min with PostgreSQL's nested-loop plan
    pd.testing.assert_frame_equal(a["shares"], b["shares"], check_dtype=False)
    assert a["gold"] == b["gold"] and a["yield"] == b["yield"]
    pd.testing.assert_frame_equal(a["signals"], b["signals"], check_dtype=False)
    assert a["fingerprints"] == b["fingerprints"] == {"content_hash": a["fingerprints"]["content_hash"],
                                                     "group_id": a["fingerprints"]["group_id"]}
    pd.testing.assert_frame_equal(a["provenance"], b["provenance"], check_dtype=False)
    assert a["leaked"] == b["leaked"] and len(a["leaked"]) == 612
