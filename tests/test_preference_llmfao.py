"""Preference kind on real data: LLMFAO (Ustalov 2023, CC BY 4.0), read through the kind's readers.

The left response is always ``model_x`` (README of the dataset), so ``shown_first = a`` everywhere and the
"position" share below mixes position with pair order. Figures are checked against independent plain-Python
computations on the raw CSV.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pandas as pd
import pytest

from conftest import dataset

from analytics.kinds.preference.agreement import agreement
from analytics.kinds.preference.bias import position_bias
from analytics.kinds.preference.consistency import bradley_terry
from analytics.kinds.preference.readers import read_judgments, read_pairs

LR = {"left": "a", "right": "b", "tie": "tie"}


@pytest.fixture(scope="module")
def llmfao():
    root = dataset("llmfao")
    pairs = read_pairs(root / "pairs-crowd.jsonl", columns={"id": "pair_id", "prompt": "prompt_id",
                       "text": "prompt", "result_x": "text_a", "result_y": "text_b", "type": "category"},
                       allow_identical=True)
    crowd = read_judgments(root / "crowd-comparisons.csv", columns={"id": "pair_id", "worker": "annotator_id",
                           "winner": "choice"}, choices=LR).assign(shown_first="a")
    gpt = {name: read_judgments(root / f"{name}-crowd-comparisons.csv", columns={"id": "pair_id",
                                "winner": "choice"}, choices=LR, annotator_id=name)
           for name in ("gpt3", "gpt4")}
    raw = pd.read_csv(root / "crowd-comparisons.csv", dtype=str)
    return root, pairs, crowd, gpt, raw


def test_tie_rate_and_left_share(llmfao):
    _, _, crowd, _, raw = llmfao
    counts = Counter(raw["winner"])
    assert len(crowd) == len(raw) == 8931
    assert (crowd["choice"] == "tie").mean() == pytest.approx(counts["tie"] / len(raw))  # 38.9 % (README)
    pos = position_bias(crowd).iloc[0]
    assert pos["share"] == pytest.approx(counts["left"] / (counts["left"] + counts["right"]))
    assert pos["n"] == counts["left"] + counts["right"]


def test_crowd_agreement_against_plain_python(llmfao):
    _, _, crowd, _, raw = llmfao
    votes = defaultdict(list)
    for pid, w in zip(raw["id"], raw["winner"]):
        votes[pid].append(w)
    agree_t = pairs_t = agree_nt = pairs_nt = 0
    for vs in votes.values():  # MT-Bench: all pairs of votes on one pair, pooled (workers judge a pair once)
        for i in range(len(vs)):
            for j in range(i + 1, len(vs)):
                pairs_t += 1
                agree_t += vs[i] == vs[j]
                if "tie" not in (vs[i], vs[j]):
                    pairs_nt += 1
                    agree_nt += vs[i] == vs[j]
    res = agreement(crowd, n_boot=200).set_index("metric")
    assert res.loc["percent_with_ties", "value"] == pytest.approx(agree_t / pairs_t)
    assert res.loc["percent_without_ties", "value"] == pytest.approx(agree_nt / pairs_nt)
    lo, hi = res.loc["percent_with_ties", ["ci_low", "ci_high"]]
    assert lo < agree_t / pairs_t < hi


def _plurality(units: pd.DataFrame) -> pd.Series:
    """Package path: strict plurality of the crowd's votes per pair (None when the top two tie)."""
    v = units[["n_a", "n_b", "n_tie"]].to_numpy()
    top = np.sort(v, axis=1)
    lab = np.array(["a", "b", "tie"])[v.argmax(1)]
    return pd.Series(np.where(top[:, 2] > top[:, 1], lab, None), index=units["pair_id"])


def test_gpt_vs_crowd_majority_and_bt(llmfao, capsys):
    from analytics.kinds.preference.agreement import unit_votes

    root, _, crowd, gpt, raw = llmfao
    maj = {}  # independent: plain Python over the raw CSV, left/right/tie
    for pid, grp in raw.groupby("id"):
        c = Counter(grp["winner"]).most_common()
        if len(c) == 1 or c[0][1] > c[1][1]:
            maj[pid] = LR[c[0][0]]
    ours = _plurality(unit_votes(crowd)).dropna()
    assert ours.to_dict() == maj
    for name, frame in gpt.items():
        hits = [w == maj[p] for p, w in zip(frame["pair_id"], frame["choice"]) if p in maj]
        pkg = (frame.set_index("pair_id")["choice"].reindex(ours.index) == ours).mean()
        assert pkg == pytest.approx(np.mean(hits))
        print(f"{name} vs crowd plurality: {np.mean(hits):.4f} on {len(hits)} pairs")
    judged = crowd.assign(response_a=raw["left"].to_numpy(), response_b=raw["right"].to_numpy())
    bt = bradley_terry(judged, ties="drop", n_boot=50)
    assert len(bt) == 59 and bt["rank"].min() == 1 and np.isclose(bt["score"].sum(), 1)
    assert (bt["ci_low"] <= bt["score"] + 1e-12).all() and (bt["score"] <= bt["ci_high"] + 1e-12).all()
    # wins/losses are the raw left/right counts per model (independent count)
    wins = Counter(np.where(raw["winner"] == "left", raw["left"], raw["right"])[raw["winner"] != "tie"])
    assert bt.set_index("object")["wins"].to_dict() == {m: wins.get(m, 0) for m in bt["object"]}
    print(bt.head(5).to_string())
