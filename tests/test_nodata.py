"""``NoData``: the one typed "nothing to compute" signal (analytics.metrics.results).

Analytics functions raise it (a ``ValueError`` subclass, so old callers keep working) with a ``reason`` written for
users; the dashboard catches the type, never the message text. ``tiny_project_tables`` (tests/dbutil.py) is also
used by tests/test_app.py for the empty-state pages.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.consensus import annotator_skill_from_db, majority_vote
from analytics.correlation import prelabel_acceptance_from_db
from analytics.db import make_engine
from analytics.drift import annotator_drift, weekly_accuracy_from_db
from analytics.filters import Filters
from analytics.metrics.results import NoData
from dbutil import load_tables, tiny_project_tables


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


def test_partial_correlation_of_no_rows_is_undefined_not_an_error():
    # A project without gold has no per-class label accuracy: the label-vs-model page used to crash in reshape.
    from analytics.correlation import partial_correlation

    for controls in ([], np.empty((0, 2))):
        r = partial_correlation([], [], controls)
        assert np.isnan(r.value) and r.n == 0 and "fewer than" in r.reason
