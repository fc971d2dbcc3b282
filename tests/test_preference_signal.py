"""Preference kind: tie rate, token Jaccard (vs a plain-Python set computation), margins by hand."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from analytics.kinds.preference.signal import margins, tie_rate, token_jaccard
from analytics.metrics.results import wilson_interval


def test_tie_rate_wilson():
    df = pd.DataFrame({"pair_id": list("12345"), "annotator_id": "x", "choice": ["tie", "a", "b", "tie", "a"]})
    r = tie_rate(df).iloc[0]
    assert (r["value"], r["n"]) == (0.4, 5)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson_interval(2, 5))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.text("ab c.D", max_size=12), st.text("ab c.D", max_size=12)), min_size=1, max_size=8))
def test_token_jaccard_matches_sets(texts):
    a, b = zip(*texts)
    got = token_jaccard(pd.Series(a), pd.Series(b))
    for x, y, g in zip(a, b, got):
        sa, sb = set(re.findall(r"\w+", x.lower())), set(re.findall(r"\w+", y.lower()))
        want = len(sa & sb) / len(sa | sb) if sa | sb else 1.0
        assert g == pytest.approx(want)


def test_margins_by_hand():
    df = pd.DataFrame({"pair_id": ["1"] * 4 + ["2"] * 2, "annotator_id": ["w", "x", "y", "z", "w", "x"],
                       "choice": ["a", "a", "a", "b", "a", "b"]})
    m = margins(df).set_index("pair_id")
    assert (m.loc["1", "majority"], m.loc["1", "margin"]) == ("a", 0.5)
    assert pd.isna(m.loc["2", "majority"]) and m.loc["2", "margin"] == 0.0
