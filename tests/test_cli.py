"""The ``labelqa`` command line as a whole: help for every command, exit codes and one-line errors, and the
agreement / accuracy / consensus / gate / report commands on small inputs whose answers are computed here
independently (by hand, sklearn, krippendorff). Commands run in-process through ``analytics.cli.main``
(with ``capsys``); one test runs the installed ``labelqa`` script.

Command tests that lean on one module's own known-answer data stay beside it (``test_agreement.py``,
``test_accuracy.py``, ``test_consensus.py``, ``test_demo.py``, ``test_ingest.py``).
"""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from statistics import NormalDist

import pandas as pd
import pytest

from analytics.cli import COMMANDS, main
from analytics.gate import evaluate_gate
from analytics.thresholds import ThresholdsError

# Two annotators A, B on eight items; team t1 = i1..i4, t2 = i5..i8. They disagree on i2 and i6.
TWO_RATERS = {"A": list("aabbccab"), "B": list("abbbcaab")}
# Gold on i1..i6: A is right on 5 of 6 (wrong on i4), B on 3 of 6 (wrong on i2, i4, i6).
GOLD = {"i1": "a", "i2": "a", "i3": "b", "i4": "c", "i5": "c", "i6": "c"}
# Majority vote: i1 x (2 of 3), i2 y (3 of 3), i3 x/y/z tie (lowest: x, 1 of 3), i4 z (2 of 3), i5 x/y tie (x, 1 of 2)
THREE_RATERS = [("i1", "u", "x"), ("i1", "v", "x"), ("i1", "w", "y"),
                ("i2", "u", "y"), ("i2", "v", "y"), ("i2", "w", "y"),
                ("i3", "u", "x"), ("i3", "v", "y"), ("i3", "w", "z"),
                ("i4", "u", "z"), ("i4", "v", "z"), ("i4", "w", "x"),
                ("i5", "u", "y"), ("i5", "v", "x")]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def run_exit(capsys, *argv: str) -> tuple[int, str, str]:
    """For argparse paths (--help, usage errors), which end in SystemExit."""
    with pytest.raises(SystemExit) as ei:
        main(list(argv))
    out = capsys.readouterr()
    return ei.value.code, out.out, out.err


@pytest.fixture
def two_raters_csv(tmp_path) -> Path:
    recs = [(f"i{k + 1}", who, lab, "t1" if k < 4 else "t2")
            for who, labels in TWO_RATERS.items() for k, lab in enumerate(labels)]
    path = tmp_path / "labels.csv"
    pd.DataFrame(recs, columns=["item_id", "annotator_id", "label", "team"]).to_csv(path, index=False)
    return path


@pytest.fixture
def gold_csv(tmp_path) -> Path:
    path = tmp_path / "gold.csv"
    pd.DataFrame({"item_id": list(GOLD), "label": list(GOLD.values())}).to_csv(path, index=False)
    return path


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval by its formula (Wilson 1927)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# ------------------------------------------------------------------------------------------ help and exit codes
CORE_COMMANDS = {"demo", "load", "info", "dashboard", "agreement", "accuracy", "consensus", "gate", "report",
                 "verify"}


def test_command_registry_has_the_documented_commands():
    assert CORE_COMMANDS <= set(COMMANDS) and len(set(COMMANDS)) == len(COMMANDS)


def test_top_level_help_lists_every_command(capsys):
    code, out, err = run_exit(capsys, "--help")
    assert code == 0 and err == "" and out.startswith("usage: labelqa")
    listed = re.findall(r"^    ([\w-]+)\s", out, re.M)  # argparse: one indented line per sub-command
    assert listed == list(COMMANDS)
    choices = re.search(r"\{([\w,-]+)\}", out).group(1).split(",")
    assert choices == list(COMMANDS)


def test_installed_script_help_lists_every_command(missing_tool):
    script = Path(sys.executable).parent / "labelqa"
    if not script.exists():
        missing_tool("the labelqa console script", "the package must be installed (pip install -e .)")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert re.findall(r"^    ([\w-]+)\s", proc.stdout, re.M) == list(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_exits_0(capsys, command):
    code, out, err = run_exit(capsys, command, "--help")
    assert code == 0 and err == ""
    assert out.startswith(f"usage: labelqa {command}") and "-h, --help" in out


def test_version(capsys):
    code, out, _ = run_exit(capsys, "--version")
    assert code == 0 and re.fullmatch(r"labelqa \d+\.\d+\S*\n", out)


@pytest.mark.parametrize("argv, message", [
    (["agreement"], "labelqa agreement: error: the following arguments are required: file"),
    (["accuracy", "x.csv"], "labelqa accuracy: error: the following arguments are required: --gold"),
    (["consensus", "x.csv", "--method", "vote", "--out", "o.csv"], "labelqa consensus: error: argument --method: "
                                                                     "invalid choice: 'vote'"),
    (["nope"], "labelqa: error: argument command: invalid choice: 'nope'"),
])
def test_argparse_usage_error_exits_2_with_one_error_line(capsys, argv, message):
    code, out, err = run_exit(capsys, *argv)
    assert code == 2 and out == ""
    lines = err.rstrip("\n").splitlines()
    # argparse prints the usage block, then the error as the single last line
    assert lines[0].startswith("usage: labelqa") and lines[-1].startswith(message)
    assert sum("error:" in line for line in lines) == 1 and "Traceback" not in err


@pytest.mark.parametrize("command, extra", [
    ("agreement", []),
    ("accuracy", ["--gold", "{gold}"]),
    ("consensus", ["--out", "{tmp}/o.csv"]),
])
def test_input_error_exits_2_with_exactly_one_line(capsys, tmp_path, gold_csv, command, extra):
    missing = tmp_path / "missing.csv"
    argv = [a.format(gold=gold_csv, tmp=tmp_path) for a in extra]
    code, out, err = run(capsys, command, str(missing), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"labelqa {command}: error: ") and "Traceback" not in err
    assert "missing.csv" in err or "no such file" in err.lower()


# ------------------------------------------------------------------------------------------ agreement
def test_agreement_cohen_json_matches_sklearn(capsys, two_raters_csv):
    from sklearn.metrics import cohen_kappa_score

    code, out, _ = run(capsys, "agreement", str(two_raters_csv), "--metric", "cohen", "--json", "--n-boot", "0")
    assert code == 0
    res = json.loads(out)
    assert res == {"metric": "cohen", "weights": "none", "value": pytest.approx(
        cohen_kappa_score(TWO_RATERS["A"], TWO_RATERS["B"]), abs=1e-12),
        "ci_low": None, "ci_high": None, "n_items": 8, "n_annotations": 16}
    # by hand: p_o = 6/8; margins A (a 3, b 3, c 2), B (a 3, b 4, c 1): p_e = (9 + 12 + 2) / 64
    assert res["value"] == pytest.approx((6 / 8 - 23 / 64) / (1 - 23 / 64), abs=1e-12)


def test_agreement_percent_by_group_and_krippendorff(capsys, two_raters_csv):
    import krippendorff

    code, out, _ = run(capsys, "agreement", str(two_raters_csv), "--metric", "percent", "--by", "team", "--json",
                       "--n-boot", "0")
    assert code == 0
    res = json.loads(out)
    # t1: agree on i1, i3, i4 (3 of 4); t2: on i5, i7, i8 (3 of 4)
    assert [(r["group"], r["value"], r["n_items"]) for r in res] == [("t1", 0.75, 4), ("t2", 0.75, 4)]
    code, out, _ = run(capsys, "agreement", str(two_raters_csv), "--metric", "krippendorff", "--level", "nominal",
                       "--json", "--n-boot", "0")
    codes = {"a": 0, "b": 1, "c": 2}
    ref = krippendorff.alpha(reliability_data=[[codes[x] for x in TWO_RATERS[w]] for w in "AB"],
                             level_of_measurement="nominal")
    assert code == 0 and json.loads(out)["value"] == pytest.approx(ref, abs=1e-12)


def test_agreement_table_output(capsys, two_raters_csv):
    code, out, _ = run(capsys, "agreement", str(two_raters_csv), "--metric", "cohen", "--n-boot", "0")
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"Cohen's kappa -- {two_raters_csv}"
    assert lines[1].split()[:1] == ["value"] and lines[2].split()[:3] == ["0.610", "8", "16"]
    # 8 items < analytics SMALL_N (30): flagged; the interval line says there is none
    assert lines[2].endswith("small sample (items 8 < 30)") and lines[3] == "interval: none (--n-boot 0)"


# ------------------------------------------------------------------------------------------ accuracy
def test_accuracy_json_overall_and_by_annotator(capsys, two_raters_csv, gold_csv):
    code, out, _ = run(capsys, "accuracy", str(two_raters_csv), "--gold", str(gold_csv), "--json")
    assert code == 0
    lo, hi = wilson(8, 12)  # 5 of 6 (A) + 3 of 6 (B) on the six gold items
    assert json.loads(out) == pytest.approx({"value": 8 / 12, "ci_low": lo, "ci_high": hi, "n": 12}, abs=1e-12)
    code, out, _ = run(capsys, "accuracy", str(two_raters_csv), "--gold", str(gold_csv), "--by", "annotator_id",
                       "--json")
    assert code == 0
    got = {r["group"]: r for r in json.loads(out)}
    for who, k in (("A", 5), ("B", 3)):
        lo, hi = wilson(k, 6)
        assert got[who] == pytest.approx({"group": who, "value": k / 6, "ci_low": lo, "ci_high": hi, "n": 6},
                                         abs=1e-12)


def test_accuracy_wilson_matches_statsmodels_and_text_output(capsys, two_raters_csv, gold_csv):
    from statsmodels.stats.proportion import proportion_confint

    assert wilson(8, 12) == pytest.approx(proportion_confint(8, 12, alpha=0.05, method="wilson"), abs=1e-12)
    code, out, _ = run(capsys, "accuracy", str(two_raters_csv), "--gold", str(gold_csv))
    lo, hi = wilson(8, 12)
    # the one text format of agreement and accuracy (analytics/commands/_text.py): title, table, method line
    assert code == 0 and out.splitlines() == [
        f"Accuracy against gold -- {two_raters_csv}",
        "value  95% CI          n   note",
        f"{8 / 12:.3f}  [{lo:.3f}, {hi:.3f}]  12  small sample (annotations 12 < 30)",
        "interval: Wilson score 95%; n = annotations scored against gold"]
    code, out, _ = run(capsys, "agreement", str(two_raters_csv), "--metric", "percent", "--by", "team",
                       "--n-boot", "0")
    assert out.splitlines()[1].split() == ["team", "value", "95%", "CI", "n_items", "n_annotations", "note"]
    code, out, _ = run(capsys, "accuracy", str(two_raters_csv), "--gold", str(gold_csv), "--by", "annotator_id")
    assert out.splitlines()[1].split() == ["annotator_id", "value", "95%", "CI", "n", "note"]
    assert out.splitlines()[2].split()[:2] == ["A", f"{5 / 6:.3f}"]


# ------------------------------------------------------------------------------------------ consensus
def _majority_by_hand(rows):
    votes: dict[str, list[str]] = {}
    for item, _, label in rows:
        votes.setdefault(item, []).append(label)
    out = {}
    for item, labels in votes.items():
        counts = Counter(labels)
        top = max(counts.values())
        out[item] = (min(lab for lab, c in counts.items() if c == top), top / len(labels))  # tie: lowest label
    return out


def test_consensus_majority_csv_outputs(capsys, tmp_path):
    src, out, ann = tmp_path / "ann.csv", tmp_path / "consensus.csv", tmp_path / "annotators.csv"
    pd.DataFrame(THREE_RATERS, columns=["item_id", "annotator_id", "label"]).to_csv(src, index=False)
    code, stdout, _ = run(capsys, "consensus", str(src), "--method", "majority", "--out", str(out),
                          "--annotators-out", str(ann))
    assert code == 0 and "2 tied item(s)" in stdout
    expected = _majority_by_hand(THREE_RATERS)
    got = pd.read_csv(out, dtype={"item_id": str, "label": str})
    assert list(got.columns) == ["item_id", "label", "confidence"]
    assert got["item_id"].tolist() == sorted(expected)
    assert got["label"].tolist() == [expected[i][0] for i in got["item_id"]]
    assert got["confidence"].tolist() == pytest.approx([expected[i][1] for i in got["item_id"]], abs=1e-12)
    assert expected == {"i1": ("x", 2 / 3), "i2": ("y", 1.0), "i3": ("x", 1 / 3), "i4": ("z", 2 / 3),
                        "i5": ("x", 0.5)}
    a = pd.read_csv(ann).set_index("annotator_id")
    assert list(a.columns) == ["estimated_accuracy", "n_annotations"]
    for who in "uvw":
        mine = [(item, lab) for item, w, lab in THREE_RATERS if w == who]
        share = sum(lab == expected[item][0] for item, lab in mine) / len(mine)
        assert a.loc[who, "estimated_accuracy"] == pytest.approx(share) and a.loc[who, "n_annotations"] == len(mine)


def test_consensus_dawid_skene_recovers_unanimous_labels(capsys, tmp_path):
    # every item labelled identically by all three annotators: any sensible estimate returns those labels
    rows = [(f"i{k}", w, "xyz"[k % 3]) for k in range(12) for w in "uvw"]
    src, out = tmp_path / "ann.csv", tmp_path / "consensus.csv"
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]).to_csv(src, index=False)
    code, _, _ = run(capsys, "consensus", str(src), "--method", "dawid_skene", "--out", str(out))
    assert code == 0
    got = pd.read_csv(out, dtype=str).set_index("item_id")["label"].to_dict()
    assert got == {f"i{k}": "xyz"[k % 3] for k in range(12)}


# ------------------------------------------------------------------------------------------ gate (tiny database)

def test_cli_exit_codes(tiny_db, tmp_path, capsys):
    url = tiny_db[0]
    assert main(["gate", "--db", url, "--project", "p1", "--batch", "p1-b1"]) == 1
    out = capsys.readouterr().out
    assert "class c [critical]" in out and "FAIL (exit 1)" in out
    relaxed = tmp_path / "relaxed.toml"
    relaxed.write_text(
        '[settings]\nnot_judged = "pass"\n'
        '[rules.accuracy.critical]\nmin = 0.5\n'
        '[rules.taxonomy]\nmax = 5\n'
        '[rules.gold_items.critical]\nmin = 10\n'
        '[rules.annotator_share]\nmax = 0.6\n', encoding="utf-8")
    assert main(["gate", "--db", url, "--project", "p1", "--batch", "p1-b1", "--config", str(relaxed)]) == 0
    assert "PASS" in capsys.readouterr().out.splitlines()[-1]
    # usage and config errors: 2
    assert main(["gate", "--db", url, "--project", "nope"]) == 2
    assert "unknown project 'nope'" in capsys.readouterr().err
    assert main(["gate", "--db", url, "--project", "p1", "--batch", "zz"]) == 2
    assert "unknown batch 'zz'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules.accuracy.critical]\nmin = 0.95\nseverty = 'fail'\n", encoding="utf-8")
    assert main(["gate", "--db", url, "--project", "p1", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}, line 3: rules.accuracy.critical.severty: unknown key" in err
    with pytest.raises(SystemExit) as ei:  # argparse: --batch and --since exclude each other
        main(["gate", "--db", url, "--project", "p1", "--batch", "p1-b1", "--since", "2026-01-01"])
    assert ei.value.code == 2


def test_cli_formats_and_out_file(tiny_db, tmp_path, capsys):
    url = tiny_db[0]
    assert main(["gate", "--db", url, "--project", "p1", "--batch", "p1-b2", "--format", "json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["scope"] == "batch p1-b2" and d["exit_code"] == 1
    out = tmp_path / "gate.xml"
    assert main(["gate", "--db", url, "--project", "p1", "--batch", "p1-b2", "--format", "junit",
                 "--out", str(out)]) == 1
    assert ET.parse(out).getroot().tag == "testsuites"
    assert capsys.readouterr().out.startswith("LabelQA gate")  # the log still gets the readable table


def test_malformed_config_fails_before_touching_the_database(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules.label_shift]\nmax = 0.25\nwarn = [0.1\n", encoding="utf-8")
    assert main(["gate", "--db", "duckdb:////nonexistent/dir/x.duckdb", "--project", "p", "--config", str(bad)]) == 2
    assert "line 3: TOML syntax error" in capsys.readouterr().err
    with pytest.raises(ThresholdsError):
        evaluate_gate(None, "p", thresholds=str(bad))



# ------------------------------------------------------------------------------------------ report (tiny database)

def test_cli_writes_reports_and_rejects_unknown_names(tiny_db, tmp_path, capsys):
    url = tiny_db[0]
    out = tmp_path / "delivery.html"
    assert main(["report", "delivery", "--db", url, "--project", "p1", "--batch", "p1-b2", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "batch p1-b2" in html
    weekly = tmp_path / "weekly.html"
    # the weekly report is written (exit 0) even though the week's gate fails: the gate command blocks, not this
    assert main(["report", "weekly", "--db", url, "--project", "p1", "--week", "2026-W02", "--out", str(weekly)]) == 0
    assert "Weekly label-quality report" in weekly.read_text(encoding="utf-8")
    capsys.readouterr()
    cases = [
        (["delivery", "--project", "p1", "--batch", "p2-b1"], "unknown batch 'p2-b1' in project 'p1'"),
        (["delivery", "--project", "nope", "--batch", "p1-b1"], "unknown project 'nope'"),
        (["weekly", "--project", "nope", "--week", "2026-W02"], "unknown project 'nope'"),
        (["weekly", "--project", "p1", "--week", "2026-02"], "week must look like 2026-W35"),
        (["weekly", "--project", "p1", "--week", "2025-W02"], "no annotations in week 2025-W02"),
    ]
    for args, message in cases:
        target = tmp_path / "x.html"
        assert main(["report", args[0], "--db", url, *args[1:], "--out", str(target)]) == 2, args
        assert message in capsys.readouterr().err, args
        assert not target.exists()


# ------------------------------------------------------------------------------------------ one reader (issue 8)
def test_one_reader_na_is_a_label_and_only_empty_cells_are_missing(capsys, tmp_path):
    """The three file commands share analytics.io.files.read_table. A label written ``NA`` is a label: this
    CHANGES ``labelqa agreement``, which used to read it as a missing rating (pandas' default NA strings)."""
    from sklearn.metrics import cohen_kappa_score

    a, b = ["NA", "x", "y", "NA", "x", "y"], ["NA", "x", "y", "x", "x", ""]  # B's last cell is empty: missing
    rows = [(f"i{k}", w, lab) for w, labs in (("A", a), ("B", b)) for k, lab in enumerate(labs)]
    path = tmp_path / "na.csv"
    path.write_text("item_id,annotator_id,label\n" + "".join(f"{i},{w},{lab}\n" for i, w, lab in rows))
    code, out, _ = run(capsys, "agreement", str(path), "--metric", "cohen", "--json", "--n-boot", "0")
    res = json.loads(out)
    # 11 ratings (the empty cell is missing), 5 items rated by both (10 paired ratings); before this reader NA
    # was missing too: only i1, i2, i4 were rated by both (6 paired ratings)
    assert code == 0 and (res["n_annotations"], res["n_items"]) == (10, 5)
    assert res["value"] == pytest.approx(cohen_kappa_score(a[:5], b[:5]), abs=1e-12)
    code, out, _ = run(capsys, "consensus", str(path), "--out", str(tmp_path / "c.csv"))
    got = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False)
    assert code == 0 and got.set_index("item_id")["label"].to_dict()["i0"] == "NA"
    gold = tmp_path / "gold.csv"
    gold.write_text("item_id,label\ni0,NA\ni3,NA\n")
    code, out, _ = run(capsys, "accuracy", str(path), "--gold", str(gold), "--json")
    assert code == 0 and json.loads(out)["n"] == 4 and json.loads(out)["value"] == pytest.approx(3 / 4)
    # the same data as Parquet (nulls for the empty cell) gives the same answers
    pq = tmp_path / "na.parquet"
    pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]).to_parquet(pq)
    code, out2, _ = run(capsys, "agreement", str(pq), "--metric", "cohen", "--json", "--n-boot", "0")
    assert code == 0 and json.loads(out2) == res


@pytest.mark.parametrize("command", ["agreement", "accuracy", "consensus"])
def test_help_states_the_missing_value_rule(capsys, command):
    code, out, _ = run_exit(capsys, command, "--help")
    assert code == 0 and "only an empty cell is missing" in " ".join(out.split())


# ------------------------------------------------------------------------------------------ issue 9 item 14
def test_agreement_by_week_derived_from_created_at(capsys, tmp_path):
    # two raters on 6 items; items i0..i2 on Wed 2026-05-27 (week of Mon 05-25), i3..i5 on Mon 2026-06-01
    days = ["2026-05-27T10:00:00", "2026-05-27 23:59:59", "2026-05-31", "2026-06-01T00:00:00", "2026-06-03",
            "2026-06-07T12:00:00"]
    a, b = list("xxyyxy"), list("xyyyxx")
    rows = [(f"i{k}", w, lab, days[k]) for w, labs in (("A", a), ("B", b)) for k, lab in enumerate(labs)]
    path = tmp_path / "ts.csv"
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label", "created_at"]).to_csv(path, index=False)
    code, out, err = run(capsys, "agreement", str(path), "--metric", "percent", "--by", "week", "--json",
                         "--n-boot", "0")
    assert code == 0, err
    res = json.loads(out)
    # week 2026-05-25: agree on i0, i2 (2 of 3); week 2026-06-01: agree on i3, i4 (2 of 3)
    assert [(r["group"], r["value"], r["n_items"]) for r in res] == [("2026-05-25", 2 / 3, 3), ("2026-06-01", 2 / 3, 3)]
    explicit = tmp_path / "wk.csv"
    pd.read_csv(path).assign(week=["2026-05-25"] * 3 + ["2026-06-01"] * 3 + ["2026-05-25"] * 3 + ["2026-06-01"] * 3
                             ).to_csv(explicit, index=False)
    code, out2, _ = run(capsys, "agreement", str(explicit), "--metric", "percent", "--by", "week", "--json",
                        "--n-boot", "0")
    assert json.loads(out2) == res  # the same as a week column
    pd.read_csv(path).assign(created_at="yesterday").to_csv(explicit, index=False)
    code, _, err = run(capsys, "agreement", str(explicit), "--by", "week")
    assert code == 2 and "row 1, column 'created_at': not a date or timestamp ('yesterday')" in err
    pd.read_csv(path).drop(columns="created_at").to_csv(explicit, index=False)
    code, _, err = run(capsys, "agreement", str(explicit), "--by", "week")
    assert code == 2 and "missing column(s) 'week'" in err


@pytest.mark.parametrize("argv, hint", [
    (["agreement", "x.csv", "--metirc", "fleiss"], "unrecognized arguments: --metirc fleiss (did you mean --metric?)"),
    (["agreement", "x.csv", "--n-bot", "3", "--jsn"], "(did you mean --n-boot for --n-bot, --json for --jsn?)"),
    (["agreement", "x.csv", "--kind", "box"], "invalid choice: 'box'"),
    (["agrement", "x.csv"], "(did you mean 'agreement'?)"),
    (["consensus", "x.csv", "--out", "o.csv", "--method", "dawid"], "(did you mean 'dawid_skene'?)"),
    (["accuracy", "x.csv", "--gold", "g.csv", "--strat", "label", "--populaton", "p.csv"], "(did you mean --population?)"),  # --strat: an abbreviation
])
def test_mistyped_option_or_choice_suggests_the_right_one(capsys, argv, hint):
    code, out, err = run_exit(capsys, *argv)
    last = err.rstrip("\n").splitlines()[-1]
    assert code == 2 and out == "" and hint in last and sum("error:" in x for x in err.splitlines()) == 1
    if argv[-1] == "box":
        assert last.endswith("(did you mean 'boxes'?)")


def test_no_suggestion_when_nothing_is_close(capsys):
    code, _, err = run_exit(capsys, "agreement", "x.csv", "--zzzz")
    assert code == 2 and err.rstrip().endswith("unrecognized arguments: --zzzz")


def test_info_lists_the_projects(tiny_db, capsys):
    url, _, rows = tiny_db
    code, out, _ = run(capsys, "info", "--db", url, "--json")
    assert code == 0
    got = {p["project_id"]: p for p in json.loads(out)["projects"]}
    project_of = {i["item_id"]: i["project_id"] for i in rows["items"]}
    for p in rows["projects"]:
        mine = [a["created_at"] for a in rows["annotations"] if project_of[a["item_id"]] == p["project_id"]]
        assert got[p["project_id"]] == {
            "project_id": p["project_id"], "name": p["name"], "client": p["client"], "n_annotations": len(mine),
            "first_date": min(mine).date().isoformat() if mine else None,
            "last_date": max(mine).date().isoformat() if mine else None}
    code, out, _ = run(capsys, "info", "--db", url)
    lines = out.splitlines()
    k = lines.index(f"projects ({len(rows['projects'])}):")
    assert lines[k + 1].split() == ["project_id", "name", "client", "annotations", "first", "last"]
    first = sorted(got)[0]
    assert lines[k + 2].split()[0] == first and lines[k + 2].split()[-1] == got[first]["last_date"]
