"""``NoData``: the one typed "nothing to compute" signal (analytics.metrics.results).

Analytics functions raise it (a ``ValueError`` subclass, so old callers keep working) with a ``reason`` written for
users; the dashboard catches the type, never the message text. ``tiny_project_tables`` is also used by
tests/test_app.py for the empty-state pages.
"""
from __future__ import annotations

import pandas as pd
import pytest

from analytics.consensus import annotator_skill_from_db, majority_vote
from analytics.correlation import prelabel_acceptance_from_db
from analytics.db import make_engine
from analytics.drift import annotator_drift, weekly_accuracy_from_db
from analytics.filters import Filters
from analytics.metrics.results import NoData
from dbutil import load_tables

T0 = pd.Timestamp("2026-09-07 10:00")  # a Monday


def tiny_project_tables(gold: bool = True) -> dict[str, pd.DataFrame]:
    """Project ``tiny``: 24 items labelled by 3 annotators (2 per item) over 4 weeks; no annotation has a
    ``model_suggestion`` and there are no model runs. With ``gold``, items i00-i11 have a gold label."""
    items = [f"i{k:02d}" for k in range(24)]
    rows = []
    for k, it in enumerate(items):
        for j, who in enumerate((f"u{k % 3}", f"u{(k + 1) % 3}")):
            rows.append({"annotation_id": f"a{k:02d}{j}", "item_id": it, "annotator_id": who,
                         "label": "car" if (k + j) % 4 else "bus",
                         "created_at": T0 + pd.Timedelta(days=k + j, hours=j), "duration_s": 20.0 + k,
                         "schema_version": 1, "batch_id": "b1"})
    tables = {
        "projects": pd.DataFrame({"project_id": ["tiny"], "name": ["Tiny"], "client": ["Acme"]}),
        "label_classes": pd.DataFrame({"project_id": "tiny", "schema_version": 1, "label": ["bus", "car"],
                                       "tier": ["critical", "standard"]}),
        "annotators": pd.DataFrame({"annotator_id": ["u0", "u1", "u2"], "team": ["a", "a", "b"]}),
        "items": pd.DataFrame({"item_id": items, "project_id": "tiny", "split": "train"}),
        "batches": pd.DataFrame({"batch_id": ["b1"], "project_id": ["tiny"], "name": ["Batch 1"],
                                 "delivered_at": [T0 + pd.Timedelta(days=30)]}),
        "annotations": pd.DataFrame(rows),
    }
    if gold:
        tables["gold_labels"] = pd.DataFrame({"item_id": items[:12], "label": ["car"] * 10 + ["bus"] * 2,
                                              "source": "expert"})
    return tables


@pytest.fixture
def tiny_engine(tmp_path):
    url = f"duckdb:///{tmp_path / 'tiny.duckdb'}"
    load_tables(url, tiny_project_tables(gold=True))
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


@pytest.fixture
def tiny_nogold_engine(tmp_path):
    url = f"duckdb:///{tmp_path / 'tiny_nogold.duckdb'}"
    load_tables(url, tiny_project_tables(gold=False))
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


def test_nodata_is_a_valueerror_with_a_user_reason():
    e = NoData("no gold-scored annotations in the filtered scope")
    assert isinstance(e, ValueError)
    assert e.reason == str(e) == "no gold-scored annotations in the filtered scope"
    with pytest.raises(ValueError):  # old `except ValueError` callers still catch it
        raise e


def test_no_prelabels_raises_nodata(tiny_engine):
    with pytest.raises(NoData) as info:
        prelabel_acceptance_from_db(tiny_engine, Filters("tiny"))
    assert type(info.value) is NoData
    assert info.value.reason == "no pre-labelled annotations in the filtered scope"


def test_empty_scope_raises_nodata_for_prelabels(tiny_engine):
    # a date range with no annotation at all: the same typed signal, no special case needed in the caller
    f = Filters("tiny", date_from=pd.Timestamp("2025-01-06").date(), date_to=pd.Timestamp("2025-01-12").date())
    with pytest.raises(NoData):
        prelabel_acceptance_from_db(tiny_engine, f)


def test_no_gold_raises_nodata(tiny_nogold_engine, tiny_engine):
    with pytest.raises(NoData, match="no gold-scored annotations"):
        weekly_accuracy_from_db(tiny_nogold_engine, Filters("tiny"))
    # with gold the same call returns the weekly frame (12 gold items x 2 annotations scored)
    weekly = weekly_accuracy_from_db(tiny_engine, Filters("tiny"))
    assert int(weekly["n"].sum()) == 24


def test_other_nodata_raises():
    with pytest.raises(NoData):
        majority_vote(pd.DataFrame({"item_id": [], "annotator_id": [], "label": []}))
    with pytest.raises(NoData):
        annotator_drift(pd.DataFrame({"week": [], "annotator_id": [], "correct": [], "n": []}))


def test_no_overlap_raises_nodata_for_dawid_skene(tmp_path):
    t = tiny_project_tables(gold=False)
    t["annotations"] = t["annotations"].drop_duplicates("item_id")  # one annotation per item: no overlap
    url = f"duckdb:///{tmp_path / 'single.duckdb'}"
    load_tables(url, t)
    eng = make_engine(url, read_only=True)
    try:
        with pytest.raises(NoData, match="two or more annotations"):
            annotator_skill_from_db(eng, Filters("tiny"))
    finally:
        eng.dispose()


def test_bad_arguments_stay_plain_valueerror(tiny_engine):
    with pytest.raises(ValueError) as info:
        weekly_accuracy_from_db(tiny_engine, Filters("tiny"), by="nope")
    assert not isinstance(info.value, NoData)
