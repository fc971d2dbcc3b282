"""Preference kind: position/length bias, exact binomial p-values (vs scipy) and Holm (vs statsmodels)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest
from statsmodels.stats.multitest import multipletests

from analytics.kinds.preference.bias import binom_p_half, holm, judge_bias, length_bias, position_bias


def test_exact_binomial_matches_scipy():
    for n in (1, 2, 7, 30, 101):
        for k in range(n + 1):
            assert binom_p_half(k, n) == pytest.approx(binomtest(k, n, 0.5).pvalue, rel=1e-9, abs=1e-15)


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.5, 0.001, np.nan])
    ref = multipletests(p[:5], method="holm")[1]  # statsmodels.stats.multitest.multipletests(method="holm")
    assert np.allclose(holm(p)[:5], ref) and np.isnan(holm(p)[5])


def _planted(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(400):
        for a in ("fair1", "fair2", "firsty"):
            sf = "a" if rng.random() < 0.5 else "b"
            if a == "firsty":
                c = sf if rng.random() < 0.9 else ("a" if sf == "b" else "b")
            else:
                c = rng.choice(["a", "b", "tie"])
            rows.append((f"p{p}", a, c, sf))
    return pd.DataFrame(rows, columns=["pair_id", "annotator_id", "choice", "shown_first"])


def test_position_bias_by_hand_and_planted_judge():
    df = pd.DataFrame({"pair_id": list("1234"), "annotator_id": "x", "choice": ["a", "b", "tie", "a"],
                       "shown_first": ["a", "a", "b", "a"]})
    r = position_bias(df).iloc[0]
    assert (r["n"], r["successes"]) == (3, 2)  # tie left out
    assert r["p_value"] == pytest.approx(binomtest(2, 3).pvalue)
    jb = judge_bias(_planted())
    flagged = set(jb.loc[jb["flagged"], "annotator_id"])
    assert flagged == {"firsty"}
    row = jb.set_index("annotator_id").loc["firsty"]
    assert row["ci_low"] > 0.85 and row["share"] == pytest.approx(0.9, abs=0.04)


def test_length_bias_counts_only_differing_lengths():
    pairs = pd.DataFrame({"pair_id": ["1", "2", "3"], "len_a": [10, 5, 7], "len_b": [20, 5, 3]})
    df = pd.DataFrame({"pair_id": ["1", "2", "3", "3"], "annotator_id": "x", "choice": ["b", "a", "b", "a"]})
    r = length_bias(df, pairs).iloc[0]
    assert (r["n"], r["successes"]) == (3, 2)
    with pytest.raises(ValueError, match=r"row 1, column 'pair_id': '9' is not a known pair"):
        length_bias(df.assign(pair_id="9"), pairs)
