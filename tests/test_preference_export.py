"""``labelqa preference export JUDGMENTS --pairs PAIRS`` on real data (LLMFAO, Ustalov 2023, CC BY 4.0): the clean
set recomputed by hand from the raw files (plain pandas), the metadata line, the file's records."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import dataset

from analytics import cli
from analytics.kinds.preference.readers import read_pairs
from analytics.kinds.preference.signal import token_jaccard

LR = {"left": "a", "right": "b", "tie": "tie"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = dataset("llmfao")
    d = tmp_path_factory.mktemp("llmfao_export")
    raw = pd.read_csv(root / "crowd-comparisons.csv", dtype=str)
    parts = [pd.DataFrame({"pair_id": raw["id"], "annotator_id": raw["worker"], "choice": raw["winner"].map(LR),
                           "shown_first": "a"})]
    for name in ("gpt3", "gpt4"):
        g = pd.read_csv(root / f"{name}-crowd-comparisons.csv", dtype=str)
        parts.append(pd.DataFrame({"pair_id": g["id"], "annotator_id": name, "choice": g["winner"].map(LR),
                                   "shown_first": "a"}))
    judg = pd.concat(parts, ignore_index=True)
    judg.to_csv(d / "judgments.csv", index=False)
    pairs = read_pairs(root / "pairs-crowd.jsonl", columns={"id": "pair_id", "prompt": "prompt_id", "text": "prompt",
                       "result_x": "text_a", "result_y": "text_b", "type": "category", "model_x": "response_a",
                       "model_y": "response_b"}, allow_identical=True)
    pairs.to_csv(d / "pairs.csv", index=False)
    return d, judg, pairs


def test_llmfao_clean_set_by_hand(files, capsys):
    d, judg, pairs = files
    out = d / "clean.jsonl"
    assert cli.main(["preference", "export", str(d / "judgments.csv"), "--pairs", str(d / "pairs.csv"),
                     "--out", str(out), "--n-boot", "200"]) == 0
    said = capsys.readouterr().out
    lines = out.read_text().splitlines()
    meta = json.loads(lines[0])["_metadata"]
    recs = [json.loads(x) for x in lines[1:]]
    flagged = set(meta["flagged_judges"])
    # every position is 'a' (left = model_x), so a judge is flagged when their left share is far from 50%
    assert len(flagged) == 20  # which judges is the bias test's business (tests/test_preference_bias.py)
    kept = judg[~judg["annotator_id"].isin(flagged)]
    v = kept.groupby(["pair_id", "annotator_id"])["choice"].agg(lambda s: s.iloc[0]).reset_index()
    c = v.groupby("pair_id")["choice"].value_counts().unstack(fill_value=0).reindex(columns=["a", "b", "tie"],
                                                                                      fill_value=0)
    n = c.sum(axis=1)
    margin = (c["a"] - c["b"]).abs() / n
    p = pairs.set_index("pair_id")
    sim = pd.Series(token_jaccard(p["text_a"], p["text_b"]), index=p.index).reindex(c.index)
    # the non-tie majority: a strict plurality of a (or b) over both other verdicts
    top = c.max(axis=1)
    plural = ((c["a"] == top) & (c["a"] > c["b"]) & (c["a"] > c["tie"])) | \
             ((c["b"] == top) & (c["b"] > c["a"]) & (c["b"] > c["tie"]))
    clean = plural & (margin >= 0.5) & (n >= 2) & ~(sim >= 0.9)
    assert len(recs) == int(clean.sum()) == meta["counts"][0]["clean"]
    assert {r["pair_id"] for r in recs} == set(clean.index[clean])
    assert meta["counts"][0]["units"] == judg["pair_id"].nunique() == 2139
    assert f"{len(recs):,} of 2,139 pairs" in said
    one = recs[0]
    side = "a" if c.loc[one["pair_id"], "a"] > c.loc[one["pair_id"], "b"] else "b"
    assert one["chosen"] == p.loc[one["pair_id"], f"text_{side}"] and one["prompt"] == p.loc[one["pair_id"], "prompt"]
    assert sum(x["clean"] for x in meta["by_category"]) == len(recs)
    print(f"\nLLMFAO clean set: {len(recs)} of 2139 pairs; {len(flagged)} flagged judges")


def test_llmfao_gpt_judges_vs_crowd_majority_by_hand(files):
    """The RLAIF check on real data: GPT-3.5 / GPT-4 against the crowd's non-tie majority of each pair."""
    from analytics.kinds.preference.judges import model_vs_humans

    _, judg, _ = files
    j = judg.assign(team=np.where(judg["annotator_id"].isin(["gpt3", "gpt4"]), "model", "crowd"))
    got = model_vs_humans(j, n_boot=200).set_index("judge")
    crowd = judg[~judg["annotator_id"].isin(["gpt3", "gpt4"])]
    v = crowd.groupby(["pair_id", "choice"]).size().unstack(fill_value=0)
    v = v[(v.sum(axis=1) >= 2) & (v["a"] != v["b"])]
    maj = pd.Series(np.where(v["a"] > v["b"], "a", "b"), index=v.index)
    for name, n_want, share in (("gpt3", 1556, 0.6170), ("gpt4", 1651, 0.6608)):
        m = judg[(judg["annotator_id"] == name) & (judg["choice"] != "tie")].set_index("pair_id")["choice"]
        m = m[m.index.isin(maj.index)]
        assert got.loc[name, "n"] == len(m) == n_want
        assert got.loc[name, "agreement"] == pytest.approx((m == maj.reindex(m.index)).mean())
        assert got.loc[name, "agreement"] == pytest.approx(share, abs=5e-5)
        assert got.loc[name, "ci_low"] < got.loc[name, "agreement"] < got.loc[name, "ci_high"]
    # both below the crowd's own agreement without ties (70.1%, bootstrap interval over pairs)
    assert (got["ci_high"] < got["human_ci_low"]).all() and got["human_agreement"].iloc[0] == pytest.approx(0.7013,
                                                                                                             abs=5e-5)
