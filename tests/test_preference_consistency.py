"""Preference kind: transitivity (hand-checked cycle count) and Bradley-Terry (vs crowd-kit)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.kinds.preference.consistency import bradley_terry, mm_fit, transitivity, win_tensor


def _judged(edges):
    """One judgment per (winner, loser) edge, as pair rows with response_a = winner."""
    return pd.DataFrame([(f"p{i}", "j", "a", w, l) for i, (w, l) in enumerate(edges)],
                        columns=["pair_id", "annotator_id", "choice", "response_a", "response_b"])


def test_cycle_count_by_hand():
    # A>B, B>C, C>A (one cycle); A>D, B>D, C>D: triads ABC, ABD, ACD, BCD = 4; only ABC cyclic.
    # E vs A tied 1-1 -> no edge, so no triad with E.
    edges = [("A", "B"), ("B", "C"), ("C", "A"), ("A", "D"), ("B", "D"), ("C", "D"), ("E", "A"), ("A", "E")]
    r = transitivity(_judged(edges)).iloc[0]
    assert (r["triads"], r["cyclic_triads"], r["cycle_rate"]) == (4, 1, 0.25)


def test_transitive_order_has_no_cycles_and_groups_are_separate():
    edges = [(x, y) for i, x in enumerate("ABCDE") for y in "ABCDE"[i + 1:]]
    d = pd.concat([_judged(edges).assign(g="t"), _judged([("A", "B"), ("B", "C"), ("C", "A")]).assign(g="c")])
    r = transitivity(d, by="g").set_index("g")
    assert (r.loc["t", "triads"], r.loc["t", "cyclic_triads"]) == (10, 0)  # C(5,3) triads, none cyclic
    assert (r.loc["c", "triads"], r.loc["c", "cyclic_triads"]) == (1, 1)


def test_bradley_terry_matches_crowdkit():
    from crowdkit.aggregation import BradleyTerry  # test-only reference (crowd-kit 1.4, Hunter 2004 MM)

    rng = np.random.default_rng(0)
    strength = {"m1": 4.0, "m2": 2.0, "m3": 1.0, "m4": 0.5}
    names = list(strength)
    rows = []
    for i in range(600):
        x, y = rng.choice(names, 2, replace=False)
        win = "a" if rng.random() < strength[x] / (strength[x] + strength[y]) else "b"
        rows.append((f"p{i}", f"w{i % 7}", win, x, y))
    d = pd.DataFrame(rows, columns=["pair_id", "annotator_id", "choice", "response_a", "response_b"])
    ours = bradley_terry(d, ties="drop", n_boot=100).set_index("object").sort_index()
    ck_in = pd.DataFrame({"worker": d["annotator_id"], "left": d["response_a"], "right": d["response_b"],
                          "label": np.where(d["choice"] == "a", d["response_a"], d["response_b"])})
    # crowd-kit 1.4 stops after its 2nd MM step (it sets p_old = p_new, the same array, so the change it
    # measures is 0): the same two steps of our MM must give its scores exactly ...
    ck = BradleyTerry(n_iter=10_000, tol=1e-12).fit_predict(ck_in).sort_index()
    win, objects, _, _ = win_tensor(d, ties="drop")
    two = pd.Series(mm_fit(win, n_iter=2, tol=0)[0], index=objects).sort_index()
    assert np.allclose(two, ck, atol=1e-12)
    # ... and our converged scores solve the BT likelihood equations w_i = sum_j N_ij p_i / (p_i + p_j)
    # (Hunter 2004, eq. 3), which crowd-kit's two steps do not
    p = ours["score"].to_numpy()
    W = win[0]
    N = W + W.T
    expected = (N * p[:, None] / (p[:, None] + p[None, :])).sum(1)
    assert np.allclose(expected, W.sum(1), atol=1e-6)
    assert ours["rank"].tolist() == [1, 2, 3, 4]  # m1 > m2 > m3 > m4 as planted
    assert (ours["ci_low"] <= ours["score"]).all() and (ours["score"] <= ours["ci_high"]).all()
    assert ours["wins"].sum() == ours["losses"].sum() == 600
