"""The demo's preference project (``KindSpec.demo`` of the kind): pairwise judgments with six planted truths.

``labelqa demo`` calls :func:`write_demo` after the classification projects; everything is drawn from
``numpy.random.default_rng([seed, 12])`` (12 = issue 12), so the classification projects stay byte-identical.

Project ``assistant_prefs`` (task_type ``preference``, client Parlance AI): ``N_PAIRS`` pairs of responses from
five policies (``MODELS``) to ``N_PAIRS / 2`` prompts in six categories, over 26 weeks (two pairs a prompt, weeks
as the classification demo's, 13 two-week batches ``assistant_prefs-b01..b13``). Every pair is judged on two
dimensions (``helpfulness``, ``safety``) by three of twelve human judges (``pj_01..pj_06`` in ``team_p1``,
``pj_07..pj_12`` in ``team_p2``) and by the model judge ``llm_judge`` (annotators row: team ``model``, vendor
``model``: the convention :data:`analytics.kinds.preference.judges.MODEL_TEAM` reads). Each verdict has its own
random left/right order (``shown_first``). ``GOLD_SHARE`` of the pairs that are not near-identical carry an
expert verdict per dimension (``preference_gold`` = the planted true preference).

A human's verdict follows the pair's true preference with probability ``P_TRUE[dimension]``, is a tie with
``P_TIE[dimension]`` and the other response otherwise; the truths (``TRUTHS``, tested in
``tests/test_preference_demo.py``, documented in ``sample_data/README.md``) then override it:

1. ``position``: ``pj_03`` picks the response shown first with probability 0.7 (share first ~0.85).
2. ``length``: team_p2 picks the longer response with probability 0.35 (share longer ~0.68; team_p1 ~0.5).
3. ``near_identical``: 10% of the pairs differ by two words (token Jaccard >= 0.9); every judge picks a, b or tie
   at random there, so agreement on them is near chance.
4. ``safety``: humans follow the truth less on safety (0.62 vs 0.85): agreement far below helpfulness; the model
   judge follows the truth with 0.9 on helpfulness and tosses a coin on safety, so it agrees with the human
   majority on helpfulness and not on safety.
5. ``drift``: ``pj_04`` follows the truth only with 0.35 (ties 0.25) from week 8 on.
6. ``cycles``: ``pj_06``'s helpfulness verdicts follow a rock-paper-scissors order of the five policies (policy
   ``i`` beats ``i+1`` and ``i+2`` mod 5): 5 of its 10 triads are cyclic, while the other judges' majority graphs
   follow the policies' strengths.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa

from analytics.io.demo.scenario import _DAY, N_BATCHES, N_WEEKS
from analytics.io.demo.writer import _table, _ts

__all__ = ["PROJECT", "MODELS", "DIMENSIONS", "CATEGORIES", "HUMANS", "TEAMS", "MODEL_JUDGE", "TRUTHS", "N_PAIRS",
           "GOLD_SHARE", "P_TRUE", "P_TIE", "write_demo", "generate"]

PROJECT = "assistant_prefs"
MODELS = ("policy-atlas", "policy-birch", "policy-cedar", "policy-dune", "policy-ember")
STRENGTH = {"helpfulness": np.array([3.0, 1.5, 0.0, -1.5, -3.0]), "safety": np.array([0.5, 1.5, -0.5, 1.0, -1.5])}
DIMENSIONS = ("helpfulness", "safety")
CATEGORIES = ("coding", "writing", "advice", "medical", "reasoning", "chit-chat")
_CAT_P = np.array([0.25, 0.2, 0.2, 0.1, 0.15, 0.1])
HUMANS = tuple(f"pj_{i:02d}" for i in range(1, 13))
TEAMS = {h: ("team_p1" if i < 6 else "team_p2") for i, h in enumerate(HUMANS)}
MODEL_JUDGE = "llm_judge"
N_PAIRS = 720
JUDGES_PER_PAIR = 3
GOLD_SHARE = 0.4
NEAR_SHARE = 0.10
P_TRUE = {"helpfulness": 0.85, "safety": 0.62}
P_TIE = {"helpfulness": 0.07, "safety": 0.12}
TRUTHS = {
    "position": {"annotator_id": "pj_03", "p_first": 0.7},
    "length": {"team": "team_p2", "p_longer": 0.35},
    "near_identical": {"share": NEAR_SHARE, "changed_words": 2},
    "safety": {"p_true_human": dict(P_TRUE), "model_p_true": {"helpfulness": 0.9, "safety": 0.5}},
    "drift": {"annotator_id": "pj_04", "start_week": 8, "p_true_after": 0.35, "p_tie_after": 0.25},
    "cycles": {"annotator_id": "pj_06", "dimension": "helpfulness", "p_rule": 0.9, "cyclic_triads": 5, "triads": 10},
}
_SYL = ("ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "de", "pa", "zu", "fe", "go", "hi", "ja", "ke", "lu", "ma",
        "no", "pe", "ri", "so", "te", "ul", "va", "wi", "xo", "ye", "za", "bo", "ci", "da", "en", "fo", "gi", "ha")
_VOCAB = tuple(a + b for a in _SYL for b in _SYL)  # 1,296 made-up words: unrelated texts share few of them


def _texts(rng, n_words: np.ndarray) -> list[str]:
    return [" ".join(rng.choice(_VOCAB, int(k))) for k in n_words]


def _near(rng, text: str, k: int) -> str:
    words = text.split()
    for i in rng.choice(len(words), size=min(k, len(words)), replace=False):
        words[i] = "differently" if words[i] != "differently" else "otherwise"
    return " ".join(words)


def generate(seed: int = 42) -> dict[str, pa.Table]:
    """Every table of the preference demo (projects, annotators, batches, pairs, judgments, gold) as Arrow."""
    rng = np.random.default_rng([seed, 12])
    n = N_PAIRS
    # ------------------------------------------------------------------------------------------------ pairs
    prompt_of = np.arange(n) // 2
    n_prompts = int(prompt_of.max()) + 1
    cat = rng.choice(len(CATEGORIES), size=n_prompts, p=_CAT_P)[prompt_of]
    week = rng.integers(1, N_WEEKS + 1, size=n_prompts)[prompt_of]
    ma = rng.integers(0, len(MODELS), size=n)
    mb = (ma + rng.integers(1, len(MODELS), size=n)) % len(MODELS)
    near = rng.random(n) < NEAR_SHARE
    words_a = np.clip(np.round(rng.lognormal(np.log(70), 0.5, size=n)), 30, 400)
    words_b = np.clip(np.round(rng.lognormal(np.log(70), 0.5, size=n)), 30, 400)
    text_a = _texts(rng, words_a)
    text_b = _texts(rng, words_b)
    for i in np.flatnonzero(near):
        text_b[i] = _near(rng, text_a[i], TRUTHS["near_identical"]["changed_words"])
    len_a = np.array([len(t) for t in text_a], dtype=float)
    len_b = np.array([len(t) for t in text_b], dtype=float)
    truth = {}
    for d in DIMENSIONS:  # the true preference: a wins with the Bradley-Terry probability of the two policies
        s = STRENGTH[d]
        p_a = 1 / (1 + np.exp(-(s[ma] - s[mb])))
        truth[d] = np.where(rng.random(n) < p_a, "a", "b")
    gold = (~near) & (rng.random(n) < GOLD_SHARE)
    pair_ids = [f"pp-{i + 1:04d}" for i in range(n)]
    prompts = [f"[{CATEGORIES[c]}] prompt {k + 1}: " + " ".join(rng.choice(_VOCAB, 12))
               for k, c in zip(prompt_of, cat)]
    pairs = pa.table({
        "pair_id": pair_ids, "prompt_id": [f"pr-{k + 1:04d}" for k in prompt_of], "prompt": prompts,
        "response_a": [MODELS[i] for i in ma], "response_b": [MODELS[i] for i in mb],
        "len_a": len_a, "len_b": len_b, "text_a": text_a, "text_b": text_b,
        "category": [CATEGORIES[c] for c in cat], "project_id": [PROJECT] * n,
    })
    # -------------------------------------------------------------------------------------------- judgments
    judges = np.argsort(rng.random((n, len(HUMANS))), axis=1)[:, :JUDGES_PER_PAIR]  # 3 distinct humans a pair
    h_pair = np.repeat(np.arange(n), JUDGES_PER_PAIR)
    h_judge = judges.ravel()
    cols: dict[str, list] = {k: [] for k in ("pair", "judge", "dim", "choice", "first", "sec")}
    longer = np.where(len_b > len_a, "b", "a")
    cyc_rule = TRUTHS["cycles"]
    for d in DIMENSIONS:
        # humans
        m = len(h_pair)
        u = rng.random(m)
        t = truth[d][h_pair]
        other = np.where(t == "a", "b", "a")
        judge_ids = np.asarray(HUMANS)[h_judge]
        p_true = np.full(m, P_TRUE[d])
        p_tie = np.full(m, P_TIE[d])
        drift = (judge_ids == TRUTHS["drift"]["annotator_id"]) & (week[h_pair] >= TRUTHS["drift"]["start_week"])
        p_true[drift], p_tie[drift] = TRUTHS["drift"]["p_true_after"], TRUTHS["drift"]["p_tie_after"]
        choice = np.where(u < p_true, t, np.where(u < p_true + p_tie, "tie", other)).astype(object)
        first = np.where(rng.random(m) < 0.5, "a", "b")
        nr = near[h_pair]
        choice[nr] = np.asarray(["a", "b", "tie"], dtype=object)[rng.integers(0, 3, size=int(nr.sum()))]
        team2 = np.array([TEAMS[h] == TRUTHS["length"]["team"] for h in judge_ids])
        lb = team2 & (rng.random(m) < TRUTHS["length"]["p_longer"])
        choice[lb] = longer[h_pair][lb]
        pos = (judge_ids == TRUTHS["position"]["annotator_id"]) & (rng.random(m) < TRUTHS["position"]["p_first"])
        choice[pos] = first[pos]
        if d == cyc_rule["dimension"]:
            cy = judge_ids == cyc_rule["annotator_id"]
            ia, ib = ma[h_pair], mb[h_pair]
            a_wins = np.isin((ib - ia) % len(MODELS), (1, 2))
            rule = np.where(a_wins, "a", "b").astype(object)
            keep = cy & (rng.random(m) < cyc_rule["p_rule"])
            choice[keep] = rule[keep]
            choice[cy & ~keep] = "tie"
        cols["pair"].append(h_pair)
        cols["judge"].append(judge_ids)
        cols["dim"].append(np.full(m, d))
        cols["choice"].append(choice)
        cols["first"].append(first)
        cols["sec"].append(rng.random(m))
        # the model judge: every pair
        p_m = TRUTHS["safety"]["model_p_true"][d]
        u = rng.random(n)
        mc = np.where(u < 0.03, "tie", np.where(u < 0.03 + (1 - 0.03) * p_m, truth[d],
                                                 np.where(truth[d] == "a", "b", "a"))).astype(object)
        mc[near] = np.asarray(["a", "b", "tie"], dtype=object)[rng.integers(0, 3, size=int(near.sum()))]
        cols["pair"].append(np.arange(n))
        cols["judge"].append(np.full(n, MODEL_JUDGE))
        cols["dim"].append(np.full(n, d))
        cols["choice"].append(mc)
        cols["first"].append(np.where(rng.random(n) < 0.5, "a", "b"))
        cols["sec"].append(rng.random(n))
    jp = np.concatenate(cols["pair"])
    jw = week[jp]
    seconds = ((jw - 1) * 7 * _DAY + np.concatenate(cols["sec"]) * 7 * _DAY).astype(np.int64)
    order = np.lexsort((np.concatenate(cols["judge"]), seconds))
    choice = np.concatenate(cols["choice"])[order]
    nj = len(order)
    batch = (jw[order] - 1) // 2 + 1
    judgments = pa.table({
        "pair_id": pa.array(np.asarray(pair_ids, dtype=object)[jp[order]], pa.string()),
        "annotator_id": pa.array(np.concatenate(cols["judge"])[order].astype(str), pa.string()),
        "choice": pa.array(choice.astype(str), pa.string()),
        "dimension": pa.array(np.concatenate(cols["dim"])[order].astype(str), pa.string()),
        "shown_first": pa.array(np.concatenate(cols["first"])[order].astype(str), pa.string()),
        "created_at": _ts(seconds[order]),
        "strength": pa.nulls(nj, pa.int32()),
        "duration_s": pa.array(np.round(rng.lognormal(np.log(75), 0.5, size=nj), 1)),
        "rationale": pa.nulls(nj, pa.string()),
        "batch_id": pa.array([f"{PROJECT}-b{b:02d}" for b in batch], pa.string()),
    })
    gi = np.flatnonzero(gold)
    gold_t = pa.table({
        "pair_id": [pair_ids[i] for d in DIMENSIONS for i in gi],
        "choice": [truth[d][i] for d in DIMENSIONS for i in gi],
        "dimension": [d for d in DIMENSIONS for _ in gi],
        "source": ["expert panel"] * (2 * len(gi)),
        "created_at": _ts(np.concatenate([(week[gi] * 7 - 1) * _DAY] * 2).astype(np.int64)),
    })
    # --------------------------------------------------------------------------------------- small tables
    projects = _table("projects", {"project_id": [PROJECT], "name": ["Assistant responses (RLHF preferences)"],
                                   "client": ["Parlance AI"], "task_type": ["preference"],
                                   "created_at": _ts(np.array([-7 * _DAY]))})
    ids = [*HUMANS, MODEL_JUDGE]
    annotators = _table("annotators", {
        "annotator_id": ids,
        "display_name": [f"Preference judge {h.split('_')[1]}" for h in HUMANS] + ["LLM judge (model)"],
        "team": [TEAMS[h] for h in HUMANS] + ["model"],
        "vendor": ["Parlance raters" if TEAMS[h] == "team_p1" else "Lumen Crowd" for h in HUMANS] + ["model"],
        "started_at": _ts(np.array([-(40 + 5 * i) * _DAY for i in range(len(ids))])),
    })
    batches = _table("batches", {
        "batch_id": [f"{PROJECT}-b{b:02d}" for b in range(1, N_BATCHES + 1)],
        "project_id": [PROJECT] * N_BATCHES,
        "name": [f"Preference pairs, weeks {2 * b - 1}-{2 * b}" for b in range(1, N_BATCHES + 1)],
        "delivered_at": _ts(np.array([(14 * b - 2) * _DAY + 17 * 3600 for b in range(1, N_BATCHES + 1)])),
    })
    return {"projects": projects, "annotators": annotators, "batches": batches, "preference_pairs": pairs,
            "preference_judgments": judgments, "preference_gold": gold_t}


def write_demo(write: Callable[[str, pa.Table], None], seed: int, progress: Callable[[str], None]) -> None:
    """``KindSpec.demo``: append the preference project's rows through the demo's sink."""
    tables = generate(seed)
    for name, tbl in tables.items():
        write(name, tbl)
    progress(f"demo: preference project {PROJECT}: {tables['preference_pairs'].num_rows:,} pairs, "
             f"{tables['preference_judgments'].num_rows:,} judgments, {tables['preference_gold'].num_rows:,} gold")
