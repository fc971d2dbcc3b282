"""``labelqa preference`` (issue 12, "File CLI"): the preference kind registered through the plug-in point, run
in-process through ``analytics.cli.main`` on a hand-made file (figures worked out by hand below), on the real
LLMFAO data (figures from plain Python over the raw CSV) and on bad input (exit 2, one line naming file, row and
column)."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pandas as pd
import pytest

from conftest import dataset

from analytics import cli, kinds
from analytics.kinds.preference import shapes

# Hand-made campaign: three models, three pairs, three judges.
#   p1 = m1 vs m2 (len 10 vs 20): u1 a (shown a first), u2 a (b first), u3 b (b first)      -> m1 > m2 (2:1)
#   p2 = m2 vs m3 (len 30 vs 15): u1 tie (a first), u2 a (a first), u3 a (b first)         -> m2 > m3 (2:0)
#   p3 = m1 vs m3 (len 5 vs 50), dimension safety: u1 b (a first), u2 tie (b first)       -> m3 > m1 (1:0)
JUDGMENTS = """pair_id,annotator_id,choice,shown_first,dimension
p1,u1,a,a,helpfulness
p1,u2,a,b,helpfulness
p1,u3,b,b,helpfulness
p2,u1,tie,a,helpfulness
p2,u2,a,a,helpfulness
p2,u3,a,b,helpfulness
p3,u1,b,a,safety
p3,u2,tie,b,safety
"""
PAIRS = """pair_id,response_a,response_b,len_a,len_b,category
p1,m1,m2,10,20,code
p2,m2,m3,30,15,chat
p3,m1,m3,5,50,chat
"""


@pytest.fixture
def files(tmp_path):
    j, p = tmp_path / "j.csv", tmp_path / "p.csv"
    j.write_text(JUDGMENTS)
    p.write_text(PAIRS)
    return j, p


def _json(capsys, argv):
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys, argv) -> str:
    assert cli.main(argv) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("labelqa preference: error: ")
    return lines[0]


def test_the_kind_is_registered_and_its_columns_are_the_declared_shapes():
    k = kinds.get("preference")
    assert k.commands == {"preference": "analytics.kinds.preference.cli"}
    assert "preference" in cli.command_modules()
    assert [p.path for p in k.pages] == ["pages/preference.py"]  # the page landed (tests/test_preference_db.py)
    cols = k.table_columns()
    assert tuple(cols["preference_judgments"]) == shapes.JUDGMENT_COLUMNS + shapes.JUDGMENT_OPTIONAL
    assert tuple(cols["preference_pairs"]) == shapes.PAIR_COLUMNS + shapes.PAIR_OPTIONAL
    assert tuple(cols["preference_gold"]) == shapes.GOLD_COLUMNS + shapes.GOLD_OPTIONAL
    req = k.required_columns()
    assert req == {"preference_judgments": shapes.JUDGMENT_COLUMNS, "preference_pairs": shapes.PAIR_COLUMNS,
                   "preference_gold": shapes.GOLD_COLUMNS}
    from analytics.kinds.preference.agreement import agreement
    from analytics.kinds.preference.signal import tie_rate

    assert k.metric("agreement") is agreement and k.metric("tie_rate") is tie_rate
    assert k.reader("dpo_jsonl").__name__ == "read_dpo_jsonl"


def test_hand_made_file_json(files, capsys):
    j, p = files
    doc = _json(capsys, ["preference", str(j), "--pairs", str(p), "--json", "--n-boot", "0"])
    assert set(doc) == {"n_pairs", "n_judgments", "tie_rate", "agreement", "position_bias", "length_bias",
                        "swap_consistency", "transitivity", "bradley_terry"}
    assert (doc["n_pairs"], doc["n_judgments"]) == (3, 8)
    assert doc["tie_rate"]["value"] == pytest.approx(2 / 8) and doc["tie_rate"]["n"] == 8
    ag = doc["agreement"]
    assert set(ag) == {"percent_with_ties", "percent_without_ties", "fleiss_kappa", "krippendorff_alpha"}
    # pairs of votes on one pair: p1 (a,a)+ (a,b) (a,b); p2 (tie,a) (tie,a) (a,a)+; p3 (b,tie) -> 2 of 7
    assert ag["percent_with_ties"]["value"] == pytest.approx(2 / 7)
    # ties dropped: p1 1 of 3, p2 (a,a) 1 of 1, p3 none -> 2 of 4
    assert ag["percent_without_ties"]["value"] == pytest.approx(2 / 4)
    # first-shown chosen among the 6 non-tie verdicts: p1u1, p1u3, p2u2 -> 3 of 6
    pb = doc["position_bias"]
    assert (pb["share_first"], pb["n"]) == (pytest.approx(0.5), 6) and pb["p_value"] == pytest.approx(1.0)
    # longer chosen: p1u3 (b=20), p2u2, p2u3 (a=30), p3u1 (b=50) -> 4 of 6
    lb = doc["length_bias"]
    assert (lb["share_longer"], lb["n"]) == (pytest.approx(4 / 6), 6)
    assert lb["p_value"] == pytest.approx(44 / 64)  # two-sided exact binomial, n=6: P(X<=2) + P(X>=4) = 2 * 22/64
    # majority edges m1>m2, m2>m3, m3>m1: one triad, and it is a cycle
    assert doc["transitivity"] == {"triads": 1, "cyclic_triads": 1, "cycle_rate": 1.0}
    bt = {r["object"]: (r["wins"], r["losses"], r["ties"]) for r in doc["bradley_terry"]}
    assert bt == {"m1": (2, 2, 1), "m2": (3, 2, 1), "m3": (1, 2, 2)}


def test_hand_made_file_by_dimension_and_table(files, capsys):
    j, p = files
    docs = _json(capsys, ["preference", str(j), "--pairs", str(p), "--by", "dimension", "--json", "--n-boot", "0"])
    by = {d["group"]: d for d in docs}
    assert list(by) == ["helpfulness", "safety"]
    assert (by["helpfulness"]["n_judgments"], by["helpfulness"]["tie_rate"]["value"]) == (6, pytest.approx(1 / 6))
    assert (by["safety"]["n_pairs"], by["safety"]["tie_rate"]["value"]) == (1, pytest.approx(1 / 2))
    assert by["safety"]["agreement"]["percent_with_ties"]["value"] == 0.0
    assert by["helpfulness"]["agreement"]["percent_with_ties"]["value"] == pytest.approx(2 / 6)
    cats = _json(capsys, ["preference", str(j), "--pairs", str(p), "--by", "category", "--json", "--n-boot", "0"])
    assert [(d["group"], d["n_judgments"]) for d in cats] == [("chat", 5), ("code", 3)]

    assert cli.main(["preference", str(j), "--pairs", str(p), "--n-boot", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Pairwise preferences -- ")
    head, row = (re.split(r"\s{2,}", line) for line in out[1:3])  # columns are 2+ spaces apart
    assert head[:5] == ["pairs", "judgments", "ties", "agree w/ ties", "agree w/o ties"]
    assert row[:2] == ["3", "8"] and row[2].startswith("25.0% [")  # the Wilson interval needs no bootstrap
    assert row[3:5] == ["28.6%", "50.0%"] and row[-1] == "1/1"  # cyclic triads / triads
    assert out[3].startswith("Bradley-Terry")


def test_dpo_jsonl(tmp_path, capsys):
    f = tmp_path / "dpo.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [
        {"id": "x1", "prompt": "2+2?", "chosen": "4", "rejected": "It is five, I think."},
        {"id": "x2", "prompt": "capital of France?", "chosen": "Paris is the capital.", "rejected": "Lyon"},
        {"id": "x3", "prompt": "hi", "chosen": "Hello there!", "rejected": "yo"}]) + "\n")
    doc = _json(capsys, ["preference", str(f), "--dpo", "--json", "--n-boot", "0"])
    assert (doc["n_pairs"], doc["n_judgments"], doc["tie_rate"]["value"]) == (3, 3, 0.0)
    assert doc["length_bias"]["share_longer"] == pytest.approx(2 / 3)  # x2, x3 chose the longer text
    assert doc["position_bias"] is None and doc["transitivity"] is None
    msg = _error(capsys, ["preference", str(f), "--dpo", "--pairs", str(f)])
    assert "--dpo reads the pairs from JUDGMENTS" in msg


def test_bad_input_exits_2_naming_file_row_and_column(files, capsys):
    j, p = files
    j.write_text(JUDGMENTS.replace("p1,u3,b,b", "p1,u3,c,b"))
    msg = _error(capsys, ["preference", str(j), "--pairs", str(p)])
    assert "judgments file j.csv row 3, column 'choice': 'c' is not one of a, b, tie" in msg
    j.write_text(JUDGMENTS + "p9,u1,a,a,helpfulness\n")
    msg = _error(capsys, ["preference", str(j), "--pairs", str(p)])
    assert "judgments file j.csv row 9, column 'pair_id': 'p9' is not a pair in pairs file p.csv" in msg
    j.write_text(JUDGMENTS)
    assert "--by category needs the column 'category' (PAIRS)" in _error(capsys, ["preference", str(j), "--by",
                                                                                  "category"])
    j.write_text("pair_id,choice\np1,a\n")
    assert "missing column(s) 'annotator_id'" in _error(capsys, ["preference", str(j)])
    assert "no such file" in _error(capsys, ["preference", str(j.with_name("nope.csv"))])
    p.write_text(PAIRS + "p1,m1,m3,1,2,chat\n")
    j.write_text(JUDGMENTS)
    assert "pairs file p.csv row 4, column 'pair_id': 'p1' appears more than once" in \
        _error(capsys, ["preference", str(j), "--pairs", str(p)])


# --- real data: LLMFAO (Ustalov 2023, CC BY 4.0), converted to the documented columns ---------------------------

LR = {"left": "a", "right": "b", "tie": "tie"}


@pytest.fixture(scope="module")
def llmfao(tmp_path_factory):
    root = dataset("llmfao")
    raw = pd.read_csv(root / "crowd-comparisons.csv", dtype=str)
    out = tmp_path_factory.mktemp("llmfao")
    # the left response is always model_x (dataset README): shown_first = a on every row
    pd.DataFrame({"pair_id": raw["id"], "annotator_id": raw["worker"], "choice": raw["winner"].map(LR),
                  "shown_first": "a"}).to_csv(out / "judgments.csv", index=False)
    src = pd.read_json(root / "pairs-crowd.jsonl", lines=True, dtype=False)
    names = raw.drop_duplicates("id").set_index("id")[["left", "right"]]
    ids = src["id"].astype(str)
    pd.DataFrame({"pair_id": ids, "prompt_id": src["prompt"].astype(str), "response_a": ids.map(names["left"]),
                  "response_b": ids.map(names["right"]), "text_a": src["result_x"], "text_b": src["result_y"],
                  "category": src["type"]}).to_csv(out / "pairs.csv", index=False)
    return out / "judgments.csv", out / "pairs.csv", raw


def test_llmfao_through_the_cli(llmfao, capsys):
    j, p, raw = llmfao
    doc = _json(capsys, ["preference", str(j), "--pairs", str(p), "--json", "--n-boot", "100"])
    counts = Counter(raw["winner"])
    assert (doc["n_pairs"], doc["n_judgments"]) == (2139, 8931)
    assert doc["tie_rate"]["value"] == pytest.approx(counts["tie"] / 8931)
    assert round(100 * doc["tie_rate"]["value"], 2) == 38.86
    assert doc["position_bias"]["share_first"] == pytest.approx(counts["left"] / (counts["left"] + counts["right"]))
    # Fleiss on {a, b, tie} for a varying number of judges per pair, in plain Python over the raw CSV
    votes = defaultdict(Counter)
    for pid, w in zip(raw["id"], raw["winner"]):
        votes[pid][w] += 1
    p_i = [sum(x * (x - 1) for x in v.values()) / (n * (n - 1)) for v in votes.values() if (n := sum(v.values())) > 1]
    p_j = {c: sum(v[c] / sum(v.values()) for v in votes.values()) / len(votes) for c in LR}
    pe = sum(x ** 2 for x in p_j.values())
    kappa = (sum(p_i) / len(p_i) - pe) / (1 - pe)
    fk = doc["agreement"]["fleiss_kappa"]
    assert fk["value"] == pytest.approx(kappa, abs=1e-12)
    assert fk["value"] == pytest.approx(0.287, abs=5e-4)
    assert fk["ci_low"] < fk["value"] < fk["ci_high"]
    bt = doc["bradley_terry"]
    assert len(bt) == 59 and sorted(r["rank"] for r in bt)[0] == 1
    wins = Counter(raw.loc[raw["winner"] == "left", "left"]) + Counter(raw.loc[raw["winner"] == "right", "right"])
    assert {r["object"]: r["wins"] for r in bt} == {r["object"]: wins.get(r["object"], 0) for r in bt}
    tr = doc["transitivity"]
    assert tr["triads"] > 0 and tr["cycle_rate"] == pytest.approx(tr["cyclic_triads"] / tr["triads"])

    cats = _json(capsys, ["preference", str(j), "--pairs", str(p), "--by", "category", "--json", "--n-boot", "0"])
    assert sum(d["n_judgments"] for d in cats) == 8931 and len(cats) >= 2
