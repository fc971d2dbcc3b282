"""Swap consistency of preference judges (issue 12, metric 2; analytics/kinds/preference/swap.py): hand-made
judgments with known flips, Wilson bounds against statsmodels, the database path equal to the file path, the
``labelqa preference`` JSON, the judge profile column, and LLMFAO (no judge saw a pair in both orders)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from analytics.kinds.preference.report import preference_report, preference_report_from_db
from analytics.kinds.preference.swap import NO_SWAP, swap_consistency

T = "2026-06-0{}T10:00:00"
# judge, pair, dimension, shown_first, choice, day. Units (judge, pair, dimension) judged in both orders:
ROWS = [
    ("J1", "p1", "help", "a", "a", 1), ("J1", "p1", "help", "b", "b", 2),  # flip, chose first both times
    ("J1", "p2", "help", "a", "a", 1), ("J1", "p2", "help", "b", "b", 2),  # flip, first
    ("J1", "p3", "help", "a", "b", 1), ("J1", "p3", "help", "b", "a", 2),  # flip, chose second both times
    ("J1", "p4", "help", "a", "a", 1), ("J1", "p4", "help", "b", "a", 2),  # same
    ("J1", "p5", "help", "a", "tie", 1), ("J1", "p5", "help", "b", "a", 2),  # change from tie (not a flip)
    ("J1", "p6", "help", "a", "a", 1), ("J1", "p6", "help", "a", "b", 2),  # one order only: no unit
    # three judgments: the earliest a-first one ('a', day 1) against the b-first one: same
    ("J1", "p7", "help", "a", "b", 3), ("J1", "p7", "help", "a", "a", 1), ("J1", "p7", "help", "b", "a", 2),
    ("J2", "p1", "help", "a", "tie", 1), ("J2", "p1", "help", "b", "tie", 2),  # same (tie both times)
    ("J2", "p2", "help", "b", "a", 1), ("J2", "p2", "help", "a", "b", 9),  # flip, second both times
    ("J2", "p1", "safety", "a", "a", 1), ("J2", "p1", "safety", "b", "b", 2),  # flip, first (another dimension)
    ("J3", "p1", "help", "a", "b", 2), ("J3", "p1", "help", "a", "a", 3),  # one order only: no unit
]


def _judgments(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame({"pair_id": [r[1] for r in rows], "annotator_id": [r[0] for r in rows],
                         "dimension": [r[2] for r in rows], "shown_first": [r[3] for r in rows],
                         "choice": [r[4] for r in rows], "created_at": [T.format(r[5]) for r in rows]})


def _pairs() -> pd.DataFrame:
    ids = [f"p{i}" for i in range(1, 8)]
    return pd.DataFrame({"pair_id": ids, "response_a": ["m1", "m2", "m3", "m1", "m2", "m3", "m1"],
                         "response_b": ["m2", "m3", "m1", "m3", "m1", "m2", "m2"],
                         "len_a": [10.0, 20, 30, 40, 50, 60, 70], "len_b": [15.0, 10, 35, 20, 55, 30, 90]})


def _wilson(k, n):
    return proportion_confint(k, n, alpha=0.05, method="wilson")


def test_hand_made_flips_counts_and_wilson_bounds():
    overall, judges = swap_consistency(_judgments())
    o = overall.iloc[0]
    assert (o["n"], o["same"], o["flips"], o["tie_changes"]) == (9, 3, 5, 1)
    assert o["flip_rate"] == pytest.approx(5 / 9) and o["change_rate"] == pytest.approx(6 / 9)
    assert (o["flip_ci_low"], o["flip_ci_high"]) == pytest.approx(_wilson(5, 9))
    assert (o["change_ci_low"], o["change_ci_high"]) == pytest.approx(_wilson(6, 9))
    assert (o["follow_first_n"], o["follow_first"]) == (5, pytest.approx(3 / 5))
    assert (o["follow_first_ci_low"], o["follow_first_ci_high"]) == pytest.approx(_wilson(3, 5))
    from scipy.stats import binomtest
    assert o["follow_first_p"] == pytest.approx(binomtest(3, 5).pvalue)
    j = judges.set_index("annotator_id")
    assert list(j.index) == ["J1", "J2"]  # J3 saw p1 in one order only
    assert j.loc["J1", ["n", "same", "flips", "tie_changes"]].tolist() == [6, 2, 3, 1]
    assert j.loc["J2", ["n", "same", "flips", "tie_changes"]].tolist() == [3, 1, 2, 0]
    assert j.loc["J1", "follow_first"] == pytest.approx(2 / 3) and j.loc["J2", "follow_first"] == 0.5
    assert (j.loc["J2", "flip_ci_low"], j.loc["J2", "flip_ci_high"]) == pytest.approx(_wilson(2, 3))
    p = np.array([binomtest(2, 3).pvalue, binomtest(1, 2).pvalue])
    from statsmodels.stats.multitest import multipletests
    assert j["follow_first_p_holm"].to_numpy() == pytest.approx(multipletests(p, method="holm")[1])


def test_by_dimension_and_earliest_per_order_and_row_order_invariance():
    overall, judges = swap_consistency(_judgments(), by="dimension")
    o = overall.set_index("group")
    assert o.loc["help", ["n", "flips", "tie_changes"]].tolist() == [8, 4, 1]
    assert o.loc["safety", ["n", "flips", "follow_first"]].tolist() == [1, 1, 1.0]
    assert len(judges) == 3 and set(judges["group"]) == {"help", "safety"}
    shuffled = _judgments().sample(frac=1.0, random_state=3)
    assert swap_consistency(shuffled, by="dimension")[0].equals(overall)
    # equal times: the earlier choice in a < b < tie is the order's verdict, whatever the row order
    tie_time = [("J4", "p1", "help", "a", "b", 1), ("J4", "p1", "help", "a", "a", 1), ("J4", "p1", "help", "b", "b", 2)]
    for rows in (tie_time, tie_time[::-1]):
        o4 = swap_consistency(_judgments(rows))[0].iloc[0]
        assert (o4["n"], o4["flips"], o4["follow_first"]) == (1, 1, 1.0)


def test_no_repeated_pair_gives_reason_and_no_position_gives_null():
    one_order = _judgments([r for r in ROWS if r[0] == "J3"])
    o = swap_consistency(one_order)[0].iloc[0]
    assert o["n"] == 0 and o["reason"] == NO_SWAP and np.isnan(o["flip_rate"])
    doc = preference_report(one_order, n_boot=50)
    assert doc["swap_consistency"]["n"] == 0 and doc["swap_consistency"]["reason"] == NO_SWAP
    assert preference_report(one_order.drop(columns="shown_first"), n_boot=50)["swap_consistency"] is None


def test_report_json_and_judge_profile():
    doc = preference_report(_judgments(), _pairs(), n_boot=50)
    sw = doc["swap_consistency"]
    assert (sw["n"], sw["flips"], sw["tie_changes"], sw["reason"]) == (9, 5, 1, None)
    assert (sw["flip_rate"]["ci_low"], sw["flip_rate"]["ci_high"]) == pytest.approx(_wilson(5, 9))
    assert sw["follow_first"]["share"] == pytest.approx(0.6) and sw["follow_first"]["n"] == 5
    assert [j["annotator_id"] for j in sw["judges"]] == ["J1", "J2"]
    by = {d["group"]: d["swap_consistency"] for d in preference_report(_judgments(), _pairs(), by="dimension",
                                                                        n_boot=50)}
    assert by["help"]["n"] == 8 and by["safety"]["flips"] == 1
    from analytics.kinds.preference.judge_profile import judge_profiles
    prof = judge_profiles(_judgments(), _pairs()).set_index("annotator_id")
    assert prof.loc["J1", ["flip_n", "flip"]].tolist() == [6, 0.5]
    assert prof.loc["J3", "flip_n"] == 0 and np.isnan(prof.loc["J3", "flip"])
    assert (prof.loc["J2", "flip_ci_low"], prof.loc["J2", "flip_ci_high"]) == pytest.approx(_wilson(2, 3))


@pytest.fixture
def swap_db(tmp_path, tmp_duckdb_url):
    from analytics.io.ingest import load_files
    from dbutil import write_table

    load_files(tmp_duckdb_url, [write_table(tmp_path / "projects.csv", pd.DataFrame({
        "project_id": ["sw"], "name": ["S"], "client": ["X"], "task_type": ["preference"]}))])
    load_files(tmp_duckdb_url, [write_table(tmp_path / "pairs.csv", _pairs()),
                                write_table(tmp_path / "judgments.csv", _judgments())], project="sw")
    return tmp_duckdb_url


@pytest.mark.parametrize("by", [None, "dimension", "annotator", "week"])
def test_database_path_equals_file_path(swap_db, by):
    from analytics.db import make_engine

    eng = make_engine(swap_db, read_only=True)
    db_doc = preference_report_from_db(eng, "sw", by=by, n_boot=50)
    eng.dispose()
    file_doc = preference_report(_judgments(), _pairs(), by=by, n_boot=50)
    pick = (lambda d: d["swap_consistency"]) if by is None else (
        lambda ds: {d["group"]: d["swap_consistency"] for d in ds})
    assert pick(db_doc) == pick(file_doc)
    if by is None:
        assert db_doc["swap_consistency"]["flips"] == 5
    if by == "week":  # J2's p2 unit was completed in the week of day 9
        assert sum(v["n"] for v in pick(db_doc).values()) == 9 and len(pick(db_doc)) == 2


def test_llmfao_has_no_judge_seeing_a_pair_in_both_orders():
    """LLMFAO shows model_x on the left always, each worker judges a pair once and GPT-3.5 / GPT-4 judged each pair
    once, in one order: no swap unit, so no flip rate (said by the reason)."""
    from conftest import dataset
    from analytics.kinds.preference.readers import read_judgments

    root = dataset("llmfao")
    lr = {"left": "a", "right": "b", "tie": "tie"}
    crowd = read_judgments(root / "crowd-comparisons.csv", columns={"id": "pair_id", "worker": "annotator_id",
                           "winner": "choice"}, choices=lr).assign(shown_first="a")
    gpt = [read_judgments(root / f"{n}-crowd-comparisons.csv", columns={"id": "pair_id", "winner": "choice"},
                          choices=lr, annotator_id=n).assign(shown_first="a") for n in ("gpt3", "gpt4")]
    raw = pd.read_json(root / "pairs-crowd.jsonl", lines=True)
    keys = set(zip(raw["prompt"], raw["model_x"], raw["model_y"]))
    assert not any((p, y, x) in keys for p, x, y in keys)  # no pair id repeats another with the sides swapped
    allj = pd.concat([crowd, *gpt], ignore_index=True)
    overall, judges = swap_consistency(allj, by="annotator_id")
    assert len(allj) == 8931 + 2 * 2139 and int(overall["n"].sum()) == 0 and judges.empty
    assert set(overall["reason"]) == {NO_SWAP}


def test_gate_rule_max_flip_rate(swap_db):
    """``preference_max_flip_rate`` (labelqa.toml): judged per dimension on the flip rate's Wilson lower bound, only
    where a judge saw pairs in both orders."""
    from analytics.db import make_engine
    from analytics.kinds.preference.rules import checks

    eng = make_engine(swap_db, read_only=True)
    got = {c.scope: c for c in checks(eng, "sw", n_boot=50) if c.rule == "preference_max_flip_rate"}
    loose = {c.scope: c for c in checks(eng, "sw", n_boot=50, overrides={"preference_max_flip_rate": {
        "limit": 0.90, "warn": 0.90}}) if c.rule == "preference_max_flip_rate"}
    eng.dispose()
    assert set(got) == {"dimension help", "dimension safety"}
    h = got["dimension help"]
    assert (h.value, h.n) == (0.5, 8) and (h.ci_low, h.ci_high) == pytest.approx(_wilson(4, 8))
    assert h.judged and h.status == "red"  # n = 8 < min_n, but the whole interval (0.215-0.785) is over 0.20
    assert loose["dimension help"].status == "green"  # the whole interval under 0.90


def test_preference_page_swap_panel_and_judges_table(swap_db, monkeypatch):
    """The Preference page's bias panel draws the swap table (the DB figures) and the per-judge forest; the
    Annotators page's judges' table has the judge's flip share."""
    from dbutil import open_dashboard_page

    at = open_dashboard_page(swap_db, "sw", "preference", monkeypatch)
    tab = next(d.value for d in at.dataframe if "units seen in both orders" in d.value.columns).set_index("dimension")
    assert tab.loc["help", "units seen in both orders"] == 8 and tab.loc["safety", "changed to/from tie"] == 0
    assert tab.loc["help", "flipped (a <-> b)"].startswith("50.0% (95% CI 21.5%")
    assert any("Flip rate when the sides were swapped" in c.proto.spec for c in at.get("plotly_chart"))
    at = open_dashboard_page(swap_db, "sw", "annotators", monkeypatch)
    jt = next(d.value for d in at.dataframe if "flipped when swapped" in d.value.columns).set_index("judge")
    assert jt.loc["J1", "flipped when swapped"].startswith("50.0% (") and jt.loc["J3", "flipped when swapped"] == "–"
