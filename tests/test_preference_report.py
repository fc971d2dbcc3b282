"""Preference kind: the report document equals its parts, with and without --by."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.kinds.preference.agreement import agreement
from analytics.kinds.preference.report import preference_report


def _data(seed=0):
    rng = np.random.default_rng(seed)
    models = ["m1", "m2", "m3", "m4"]
    pairs, rows = [], []
    for p in range(80):
        x, y = rng.choice(models, 2, replace=False)
        pairs.append((f"p{p}", x, y, int(rng.integers(10, 100)), int(rng.integers(10, 100)), ["code", "chat"][p % 2]))
        for a in range(3):
            rows.append((f"p{p}", f"j{a}", rng.choice(["a", "b", "tie"]), rng.choice(["a", "b"]),
                         ["helpfulness", "safety"][a % 2], f"2026-0{1 + p % 3}-1{a}T10:00:00Z"))
    P = pd.DataFrame(pairs, columns=["pair_id", "response_a", "response_b", "len_a", "len_b", "category"])
    J = pd.DataFrame(rows, columns=["pair_id", "annotator_id", "choice", "shown_first", "dimension", "created_at"])
    return J, P


def test_report_matches_parts_and_is_json():
    J, P = _data()
    doc = preference_report(J, P, n_boot=100)
    json.dumps(doc)
    assert (doc["n_pairs"], doc["n_judgments"]) == (80, 240)
    ref = agreement(J, n_boot=100).set_index("metric")
    assert doc["agreement"]["percent_with_ties"]["value"] == pytest.approx(ref.loc["percent_with_ties", "value"])
    sub = J[J["choice"] != "tie"]
    assert doc["position_bias"]["share_first"] == pytest.approx((sub["choice"] == sub["shown_first"]).mean())
    assert doc["tie_rate"]["value"] == pytest.approx((J["choice"] == "tie").mean())
    assert {r["object"] for r in doc["bradley_terry"]} == {"m1", "m2", "m3", "m4"}
    assert set(doc["transitivity"]) == {"triads", "cyclic_triads", "cycle_rate"}


@pytest.mark.parametrize("by", ["dimension", "annotator", "week", "category"])
def test_report_by_groups_equal_group_alone(by):
    J, P = _data()
    docs = preference_report(J, P, by=by, n_boot=50)
    assert isinstance(docs, list) and len(docs) >= 2
    assert sum(d["n_judgments"] for d in docs) == len(J)
    if by == "dimension":
        alone = preference_report(J[J["dimension"] == "safety"], P, n_boot=50)
        got = next(d for d in docs if d["group"] == "safety")
        assert got["agreement"] == alone["agreement"] and got["position_bias"] == alone["position_bias"]


def test_report_errors():
    J, P = _data()
    with pytest.raises(ValueError, match=r"row 1, column 'pair_id': 'zz' is not a pair in PAIRS"):
        preference_report(J.assign(pair_id="zz"), P)
    with pytest.raises(ValueError, match="unknown --by 'team'"):
        preference_report(J, P, by="team")
