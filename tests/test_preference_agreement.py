"""Preference kind: shapes and agreement, against statsmodels / krippendorff and by properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

import krippendorff
from statsmodels.stats.inter_rater import fleiss_kappa

from analytics.kinds.preference.agreement import agreement, unit_votes
from analytics.kinds.preference.shapes import check_judgments, check_pairs


def _frame(seed: int = 1, pairs: int = 40, judges: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(pairs):
        base = rng.choice(["a", "b", "tie"], p=[0.5, 0.3, 0.2])
        for a in range(judges):
            c = base if rng.random() < 0.6 else rng.choice(["a", "b", "tie"])
            s = {"a": -int(rng.integers(1, 4)), "b": int(rng.integers(1, 4)), "tie": 0}[c]
            rows.append((f"p{p}", f"j{a}", c, s, "a" if rng.random() < 0.5 else "b"))
    return pd.DataFrame(rows, columns=["pair_id", "annotator_id", "choice", "strength", "shown_first"])


def _value(res: pd.DataFrame, metric: str) -> float:
    return float(res.loc[res["metric"] == metric, "value"].iloc[0])


def test_fleiss_and_krippendorff_match_reference_implementations():
    df = _frame()
    res = agreement(df, n_boot=0)
    tab = pd.crosstab(df["pair_id"], df["choice"]).to_numpy()  # constant 4 votes per pair
    assert _value(res, "fleiss_kappa") == pytest.approx(fleiss_kappa(tab), abs=1e-12)  # statsmodels 0.15
    m = df.pivot(index="annotator_id", columns="pair_id", values="choice").replace(
        {"a": 0, "b": 1, "tie": 2}).to_numpy(float)
    assert _value(res, "krippendorff_alpha") == pytest.approx(
        krippendorff.alpha(reliability_data=m, level_of_measurement="nominal"), abs=1e-12)  # krippendorff pkg
    ordi = agreement(df, metrics=["krippendorff_alpha"], level="ordinal", n_boot=0)
    m2 = df.pivot(index="annotator_id", columns="pair_id", values="strength").to_numpy(float)
    assert _value(ordi, "krippendorff_alpha") == pytest.approx(
        krippendorff.alpha(reliability_data=m2, level_of_measurement="ordinal"), abs=1e-12)


def test_mt_bench_percent_agreement_by_hand():
    # pair 1: a, a, b -> 1 agreeing of 3 vote pairs; pair 2: tie, a -> 0 of 1 (without ties: no pair)
    df = pd.DataFrame({"pair_id": ["1", "1", "1", "2", "2"], "annotator_id": ["x", "y", "z", "x", "y"],
                       "choice": ["a", "a", "b", "tie", "a"]})
    res = agreement(df, n_boot=0)
    assert _value(res, "percent_with_ties") == pytest.approx(1 / 4)
    assert _value(res, "percent_without_ties") == pytest.approx(1 / 3)


def test_repeated_votes_of_one_judge_collapse_to_one():
    df = pd.DataFrame({"pair_id": ["1"] * 4, "annotator_id": ["x", "x", "y", "z"],
                       "choice": ["a", "b", "a", "a"], "shown_first": ["a", "b", "a", "b"]})
    u = unit_votes(df)
    assert (u[["n_a", "n_b", "n_tie", "n_judgments"]].iloc[0].tolist()) == [2, 0, 1, 4]


def test_bootstrap_interval_is_seeded_and_brackets_value():
    df = _frame(pairs=120)
    r1, r2 = agreement(df, n_boot=300, seed=3), agreement(df, n_boot=300, seed=3)
    pd.testing.assert_frame_equal(r1, r2)
    assert (r1["ci_low"] <= r1["value"]).all() and (r1["value"] <= r1["ci_high"]).all()
    assert (r1["ci_high"] - r1["ci_low"] > 0.01).all()


def test_by_group_equals_metric_on_group_rows():
    df = _frame(pairs=60).assign(team=lambda d: np.where(d["annotator_id"].isin(["j0", "j1"]), "t1", "t2"))
    grouped = agreement(df, by="team", n_boot=100, seed=0)
    alone = agreement(df[df["team"] == "t2"], n_boot=100, seed=0)
    g = grouped[grouped["team"] == "t2"].drop(columns="team").reset_index(drop=True)
    pd.testing.assert_frame_equal(g, alone)


def test_undefined_with_reason():
    df = pd.DataFrame({"pair_id": ["1", "2"], "annotator_id": ["x", "x"], "choice": ["a", "b"]})
    res = agreement(df, n_boot=0)
    assert res["value"].isna().all()
    assert res["reason"].str.contains("two or more judges|two non-tie").all()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_swap_relabelling_and_reordering_leave_agreement_unchanged(seed):
    df = _frame(seed=seed, pairs=15, judges=3)
    base = agreement(df, n_boot=20, seed=1)
    swapped = df.assign(choice=df["choice"].map({"a": "b", "b": "a", "tie": "tie"}),
                        shown_first=df["shown_first"].map({"a": "b", "b": "a"}), strength=-df["strength"])
    pd.testing.assert_frame_equal(agreement(swapped, n_boot=20, seed=1), base)
    shuffled = df.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(agreement(shuffled, n_boot=20, seed=1), base)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "tie"]), min_size=2, max_size=20), st.integers(2, 5))
def test_perfect_agreement_gives_one(truth, judges):
    if len(set(truth)) < 2:
        truth = [*truth, "a" if truth[0] != "a" else "b"]
    df = pd.DataFrame([(f"p{i}", f"j{k}", c) for i, c in enumerate(truth) for k in range(judges)],
                      columns=["pair_id", "annotator_id", "choice"])
    res = agreement(df, n_boot=0)
    assert np.allclose(res["value"].dropna(), 1.0)
    assert _value(res, "percent_with_ties") == 1.0


def test_shape_errors_name_row_and_column():
    good = pd.DataFrame({"pair_id": ["1", "2"], "annotator_id": ["x", "y"], "choice": ["a", "tie"]})
    with pytest.raises(ValueError, match=r"row 2, column 'choice': 'c' is not one of a, b, tie"):
        check_judgments(good.assign(choice=["a", "c"]))
    with pytest.raises(ValueError, match=r"missing column\(s\) 'choice'"):
        check_judgments(good.drop(columns="choice"))
    with pytest.raises(ValueError, match=r"row 1, column 'shown_first'.*requires the position"):
        check_judgments(good.assign(shown_first=[None, "a"]), require_position=True)
    with pytest.raises(ValueError, match=r"row 2, column 'strength'.*does not match choice"):
        check_judgments(good.assign(strength=[-1, 2]))
    with pytest.raises(ValueError, match=r"row 1, column 'strength'.*outside the graded scale -3..3"):
        check_judgments(good.assign(strength=[-5, 0]), scale=(-3, 3))
    pairs = pd.DataFrame({"pair_id": ["1", "2"], "text_a": ["x y", "same"], "text_b": ["x", "same"]})
    with pytest.raises(ValueError, match=r"row 2, column 'text_b'.*identical"):
        check_pairs(pairs)
    with pytest.raises(ValueError, match=r"row 2, column 'pair_id'.*more than once"):
        check_pairs(pd.DataFrame({"pair_id": ["1", "1"]}))
    assert check_pairs(pairs.iloc[:1])["len_a"].tolist() == [3.0]
