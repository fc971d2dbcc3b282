"""The review queue's disagreement and flagged-annotator signals and its measured yield (issue 14 sec. 2): vote
entropy against scipy, the Dawid-Skene posterior against a direct fit, the yield from reviews against a pandas
recount on the demo, and the page that shows them."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import text

from analytics.filters import Filters
from analytics.metrics.review_queue import priority, queue_yield, vote_entropy

MAIN, RUN = "streetscene", "streetscene-r6"


def test_vote_entropy_matches_scipy():
    votes = pd.DataFrame({"item_id": ["a", "b", "b", "c", "c", "c", "d"], "label": ["x", "x", "y", "x", "y", "z", "x"],
                          "n": [3, 1, 1, 2, 1, 1, 1]})
    h = vote_entropy(votes, n_classes=3)
    assert h["a"] == 0 and h["d"] == 0
    assert h["b"] == pytest.approx(stats.entropy([1, 1]) / math.log(3))
    assert h["c"] == pytest.approx(stats.entropy([2, 1, 1]) / math.log(3))
    assert vote_entropy(votes, n_classes=1).eq(0).all()
    # a disputed item outranks an undisputed one with the same other signals
    q = priority(pd.DataFrame({"item_id": ["a", "b"], "label": ["x", "x"], "label_error": 1.0,
                               "vote_entropy": [h["a"], h["b"]], "ds_posterior": [1.0, 0.5]}))
    assert list(q.item_id) == ["b", "a"]
    assert "vote_entropy" in q.reasons[0] and "ds_posterior" in q.reasons[0] and q.reasons[1] == "label_error"


def test_queue_yield_counts_and_intervals():
    rows = pd.DataFrame({"item_id": ["i1", "i2", "i3", "i4", None], "queued": [1, 1, 1, 1, 0],
                         "n_reviewed": [1, 1, 1, 1, 100], "n_corrected": [1, 1, 0, 1, 5]})
    y = queue_yield(rows, picked=["i1", "i3", "zz"])
    assert (y["queue"]["n_reviewed"], y["queue"]["n_corrected"], y["queue"]["share"]) == (4, 3, 0.75)
    assert (y["picked"]["n_reviewed"], y["picked"]["n_corrected"]) == (2, 1)
    assert (y["baseline"]["n_reviewed"], y["baseline"]["share"]) == (100, 0.05) and y["lift"] == pytest.approx(15.0)
    assert y["queue"]["ci_low"] < 0.75 < y["queue"]["ci_high"]
    none = queue_yield(rows.iloc[:0])
    assert none["queue"]["n_reviewed"] == 0 and math.isnan(none["queue"]["share"]) and math.isnan(none["lift"])


@pytest.fixture(scope="module")
def demo_errors(demo_engine):
    from analytics.sources.label_errors_db import label_errors_from_db

    return label_errors_from_db(demo_engine, Filters(MAIN), RUN)


def test_signals_on_the_demo(demo_engine, demo_errors):
    from analytics.consensus import DawidSkene
    from analytics.db import query_df
    from analytics.sources.review_queue_db import queue_signals_from_db

    sig = queue_signals_from_db(demo_engine, Filters(MAIN), demo_errors, 30, flagged=["ann_07"])
    assert list(sig.item_id) == list(demo_errors.issues.item_id.astype(str))
    assert sig.vote_entropy.between(0, 1).all() and (sig.vote_entropy > 0).any()
    assert "fitted on" in sig.attrs["ds"]
    ds = DawidSkene(max_iter=50, tol=1e-6).fit(query_df(demo_engine, "consensus_multi_annotations",
                                                        **Filters(MAIN).params()), weight_col="n")
    post = ds.posteriors_.max(axis=1)
    have = sig.dropna(subset=["ds_posterior"])
    assert len(have) > 100 and np.allclose(have.ds_posterior, post.loc[have.item_id].to_numpy())
    assert sig.loc[sig.n_votes == 1, "ds_posterior"].isna().all()  # one vote: no disagreement signal
    with demo_engine.connect() as c:
        ann = pd.read_sql(text("SELECT item_id, annotator_id, label FROM annotations WHERE annotator_id = 'ann_07'"), c)
    given = demo_errors.issues.set_index("item_id").given_label
    gave = ann[ann.item_id.isin(given.index)]
    gave = set(gave[gave.label.to_numpy() == given.loc[gave.item_id].to_numpy()].item_id)
    assert set(sig.loc[sig.flagged_period == 1, "item_id"]) == gave and gave
    # without DS (limit 0): the signal is absent and said so
    none = queue_signals_from_db(demo_engine, Filters(MAIN), demo_errors, 30, ds_limit=0)
    assert none.ds_posterior.isna().all() and "exceed" in none.attrs["ds"]


def _pandas_yield(engine, res):
    with engine.connect() as c:
        ann = pd.read_sql(text(f"SELECT a.annotation_id, a.item_id, a.label FROM annotations a JOIN items i "
                               f"USING (item_id) WHERE i.project_id = '{MAIN}'"), c)
        rv = pd.read_sql(text("SELECT annotation_id, verdict FROM reviews"), c)
        scored = set(pd.read_sql(text(f"SELECT DISTINCT item_id FROM model_scores WHERE run_id = '{RUN}'"), c).item_id)
    votes = ann.groupby(["item_id", "label"]).size().rename("v").reset_index()
    given = votes.sort_values(["item_id", "v", "label"], ascending=[True, False, True]).drop_duplicates("item_id")
    a = ann.merge(given[["item_id", "label"]].rename(columns={"label": "given"}), on="item_id")
    a = a[(a.label == a.given) & a.item_id.isin(scored)].merge(rv, on="annotation_id")
    per = a.assign(bad=a.verdict.isin(["corrected", "rejected"])).groupby("item_id").bad.max()
    q = per[per.index.isin(set(res.issues.item_id))]
    b = per[~per.index.isin(set(res.issues.item_id))]
    return (len(q), int(q.sum())), (len(b), int(b.sum()))


def test_yield_on_the_demo_equals_a_recount_and_beats_random_review(demo_engine, demo_errors):
    from analytics.sources.review_queue_db import queue_yield_from_db

    y = queue_yield_from_db(demo_engine, Filters(MAIN), RUN, demo_errors)
    (nq, kq), (nb, kb) = _pandas_yield(demo_engine, demo_errors)
    assert (y["queue"]["n_reviewed"], y["queue"]["n_corrected"]) == (nq, kq) and nq >= 50
    assert (y["baseline"]["n_reviewed"], y["baseline"]["n_corrected"]) == (nb, kb)
    # reviews are drawn from the true class (70% of wrong labels corrected, 25% rejected): the queue's yield is
    # its precision, far above reviewing unqueued items
    assert y["queue"]["share"] > 0.5 and y["queue"]["ci_low"] > y["baseline"]["ci_high"] and y["lift"] > 5


def test_page_shows_the_signals_and_the_measured_yield(demo_url, demo_engine, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics.resources import DASHBOARD_APP
    from analytics.sources.label_errors_db import label_errors_from_db
    from analytics.sources.review_queue_db import queue_yield_from_db

    monkeypatch.setenv("LABELQA_DB_URL", demo_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(DASHBOARD_APP), default_timeout=240)
    at.query_params["project"] = MAIN
    at.run()
    at.switch_page("pages/label_errors.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    caps = "\n".join(c.value for c in at.caption)
    assert "not part of this queue yet" not in caps
    assert "Dawid-Skene fitted on" in caps and "Flagged annotators" in caps
    queue = next(df.value for df in at.dataframe if "reasons" in df.value.columns)
    assert {"vote_entropy", "ds_posterior"} <= set(queue.columns)
    q = lambda k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]  # noqa: E731
    f = Filters(MAIN, date_from=dt.date.fromisoformat(q("from")), date_to=dt.date.fromisoformat(q("to")))
    res = label_errors_from_db(demo_engine, f, RUN)
    y = queue_yield_from_db(demo_engine, f, RUN, res)
    assert f"Queue: {y['queue']['n_corrected']:,} of {y['queue']['n_reviewed']:,} reviewed queued items" in caps
    assert any(m.label == "Queued items corrected" for m in at.metric)
