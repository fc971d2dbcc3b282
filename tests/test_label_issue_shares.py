"""Likely label errors per annotator, team, week and batch (issue 14 sec. 1): SQL counts equal an independent pandas
recount on the demo, Wilson intervals, and the two pages that show them (label errors page section, the annotator
drill-down's flagged labels)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from analytics.filters import Filters
from analytics.metrics.label_issue_shares import issue_shares

MAIN, RUN = "streetscene", "streetscene-r6"


def test_issue_shares_wilson_and_order():
    counts = pd.DataFrame({"dim": ["team", "annotator", "annotator", "annotator"], "grp": ["t", "a", "b", None],
                           "n": [20, 20, 100, 0], "k": [5, 5, 50, 0]})
    out = issue_shares(counts, small_n=30)
    assert list(zip(out.dim, out.grp)) == [("annotator", "b"), ("annotator", "a"), ("team", "t")]  # n = 0 dropped
    a = out[out.grp == "a"].iloc[0]
    # Wilson 95% for 5 / 20 (Newcombe 1998, table I: 0.1119-0.4687)
    assert a.share == 0.25 and a.ci_low == pytest.approx(0.1119, abs=1e-4) and a.ci_high == pytest.approx(0.4687, abs=1e-4)
    assert bool(a.small_sample) and not bool(out[out.grp == "b"].iloc[0].small_sample)
    with pytest.raises(ValueError, match="between 0 and"):
        issue_shares(pd.DataFrame({"dim": ["team"], "grp": ["t"], "n": [3], "k": [4]}))
    with pytest.raises(ValueError, match="missing"):
        issue_shares(pd.DataFrame({"dim": ["team"], "n": [3]}))


@pytest.fixture(scope="module")
def demo_errors(demo_engine):
    from analytics.sources.label_errors_db import label_errors_from_db

    return label_errors_from_db(demo_engine, Filters(MAIN), RUN)


def _pandas_counts(engine, flagged: set) -> pd.DataFrame:
    with engine.connect() as c:
        ann = pd.read_sql(text(
            "SELECT a.annotation_id, a.item_id, a.annotator_id, a.label, a.created_at, a.batch_id, an.team "
            "FROM annotations a JOIN items i USING (item_id) LEFT JOIN annotators an USING (annotator_id) "
            f"WHERE i.project_id = '{MAIN}'"), c)
        scored = set(pd.read_sql(text(f"SELECT DISTINCT item_id FROM model_scores WHERE run_id = '{RUN}'"), c).item_id)
    votes = ann.groupby(["item_id", "label"]).size().rename("v").reset_index()
    given = votes.sort_values(["item_id", "v", "label"], ascending=[True, False, True]).drop_duplicates("item_id")
    ann = ann[ann.item_id.isin(scored)].merge(given[["item_id", "label"]].rename(columns={"label": "given"}), on="item_id")
    ann["flag"] = ann.item_id.isin(flagged) & (ann.label == ann.given)
    ann["week"] = (ann.created_at.dt.normalize() - pd.to_timedelta(ann.created_at.dt.day_of_week, unit="D")).dt.date.astype(str)
    out = []
    for dim, col in (("annotator", "annotator_id"), ("team", "team"), ("week", "week"), ("batch", "batch_id")):
        g = ann.groupby(col).flag.agg(["size", "sum"])
        out += [(dim, str(k), int(r["size"]), int(r["sum"])) for k, r in g.iterrows()]
    return pd.DataFrame(out, columns=["dim", "grp", "n", "k"]).sort_values(["dim", "grp"]).reset_index(drop=True)


def test_shares_from_db_equal_a_pandas_recount(demo_engine, demo_errors):
    from analytics.sources.label_issue_db import label_issue_shares_from_db

    sh = label_issue_shares_from_db(demo_engine, Filters(MAIN), RUN, demo_errors)
    got = sh[["dim", "grp", "n", "k"]].sort_values(["dim", "grp"]).reset_index(drop=True)
    want = _pandas_counts(demo_engine, set(demo_errors.issues.item_id))
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert set(sh.dim) == {"annotator", "team", "week", "batch"}
    ann = sh[sh.dim == "annotator"]
    assert ann.k.sum() >= len(demo_errors.issues)  # every flagged item has at least one label that gave its label
    assert (ann.ci_low <= ann.share).all() and (ann.share <= ann.ci_high).all()


def test_annotator_flagged_labels(demo_engine, demo_errors):
    from analytics.sources.label_issue_db import annotator_flagged_labels_from_db, label_issue_shares_from_db

    sh = label_issue_shares_from_db(demo_engine, Filters(MAIN), RUN, demo_errors)
    k07 = int(sh[(sh.dim == "annotator") & (sh.grp == "ann_07")].k.iloc[0])
    rows = annotator_flagged_labels_from_db(demo_engine, Filters(MAIN), RUN, demo_errors, "ann_07")
    assert len(rows) == k07 > 0 and rows.item_id.isin(demo_errors.issues.item_id).all()
    given = demo_errors.issues.set_index("item_id").given_label
    assert (rows.label.to_numpy() == given.loc[rows.item_id].to_numpy()).all()
    assert np.all(np.diff(rows.score.to_numpy()) >= 0)  # lowest score first
    assert list(rows.columns) == ["annotation_id", "item_id", "label", "suggested_label", "score", "created_at",
                                  "batch_id"]


def test_gold_overlap_equals_a_pandas_recount(demo_engine, demo_errors):
    from analytics.metrics.label_issue_shares import gold_overlap
    from analytics.sources.label_issue_db import gold_overlap_from_db

    go = gold_overlap_from_db(demo_engine, Filters(MAIN), RUN, demo_errors)
    with demo_engine.connect() as c:
        ann = pd.read_sql(text(f"SELECT a.item_id, a.label FROM annotations a JOIN items i USING (item_id) "
                               f"WHERE i.project_id = '{MAIN}'"), c)
        gold = pd.read_sql(text("SELECT item_id, label AS gold FROM gold_labels"), c)
        scored = set(pd.read_sql(text(f"SELECT DISTINCT item_id FROM model_scores WHERE run_id = '{RUN}'"), c).item_id)
    votes = ann.groupby(["item_id", "label"]).size().rename("v").reset_index()
    given = votes.sort_values(["item_id", "v", "label"], ascending=[True, False, True]).drop_duplicates("item_id")
    g = given[given.item_id.isin(scored)].merge(gold, on="item_id")
    flagged = g.item_id.isin(set(demo_errors.issues.item_id))
    wrong = g.label != g.gold
    assert (go["n_gold"], go["n_flagged"], go["n_wrong"], go["true_flags"]) == (
        len(g), int(flagged.sum()), int(wrong.sum()), int((flagged & wrong).sum()))
    assert go["precision"] > 0.7 and go["recall"] > 0.6  # the demo's flags find its real errors
    assert go["precision_ci"][0] < go["precision"] < go["precision_ci"][1]
    empty = gold_overlap(pd.DataFrame({"flagged": [0], "wrong": [0], "n": [5]}))
    assert empty["n_gold"] == 5 and np.isnan(empty["precision"]) and np.isnan(empty["recall"])


def _open(url, monkeypatch, page: str, **params):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics.resources import DASHBOARD_APP

    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(DASHBOARD_APP), default_timeout=240)
    at.query_params["project"] = MAIN
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_pages_show_group_shares_and_the_annotators_flagged_labels(demo_url, demo_engine, demo_errors, monkeypatch):
    from analytics.sources.label_issue_db import annotator_flagged_labels_from_db

    at = _open(demo_url, monkeypatch, "label_errors")
    assert "Flagged labels per annotator, team, week and batch" in [s.value for s in at.subheader]
    assert any(m.label == "Flags confirmed by gold" and m.value.endswith("%") for m in at.metric)
    specs = [ch.proto.spec for ch in at.get("plotly_chart")]
    assert any("Estimated P(given | true)" in sp for sp in specs) and any("Observed P(label | gold)" in sp for sp in specs)
    frames = [df.value for df in at.dataframe]
    g = next(v for v in frames if "flagged labels" in v.columns)
    assert "annotator" in g.columns and len(g) >= 30
    at.radio(key="p_le_by").set_value("team").run()
    assert not at.exception
    g = next(df.value for df in at.dataframe if "flagged labels" in df.value.columns)
    assert set(g["team"]) == {"team_a", "team_b", "team_c"}

    at = _open(demo_url, monkeypatch, "annotators", annotator="ann_07")
    assert "Labels flagged as likely errors" in [s.value for s in at.subheader]
    # the page's filters: the sidebar's date range (written to the URL)
    import datetime as dt

    from analytics.sources.label_errors_db import label_errors_from_db

    day = lambda k: dt.date.fromisoformat(str(at.query_params[k][0] if isinstance(at.query_params[k], list)  # noqa: E731
                                              else at.query_params[k]))
    f = Filters(MAIN, date_from=day("from"), date_to=day("to"))
    want = annotator_flagged_labels_from_db(demo_engine, f, RUN, label_errors_from_db(demo_engine, f, RUN), "ann_07")
    shown = next(df.value for df in at.dataframe if "suggested_label" in df.value.columns)
    assert list(shown["annotation_id"]) == list(want["annotation_id"])
    assert any(f"of scored items" in c.value and RUN in c.value for c in at.caption)
