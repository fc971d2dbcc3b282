"""Graded strength in the clean set (issue 12: a judgment carries "optionally a graded strength (e.g. -3..3)";
the clean set is what a DPO trainer should get): each clean pair carries the strength of its verdicts toward the
chosen response, ``min_strength`` leaves out pairs only slightly preferred, and the export's metadata says the
scale and the rule -- from files and from the database (``labelqa preference export --project``)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics import cli
from analytics.kinds.preference.clean_set import clean_set, write_jsonl


K = 8  # copies of each pattern (so that the dimension's alpha interval clears 0)


def _graded():
    """Six pair patterns (K copies each) on one dimension, three judges each, strengths on -3..3 (negative
    favours a).
    p1: a a a (-3 -3 -2) strong; p2: b b b (1 1 2) weak-ish; p3: a a b (-1 -1 2) margin 1/3;
    p4: b b b (3 3 3); p5: a a a (-1 -1 -1) weak; p6: b b tie (2 3 0) margin 2/3."""
    grades = {"p1": [-3, -3, -2], "p2": [1, 1, 2], "p3": [-1, -1, 2], "p4": [3, 3, 3], "p5": [-1, -1, -1],
              "p6": [2, 3, 0]}
    rows, ids = [], []
    for k in range(K):
        for p, gs in grades.items():
            ids.append(f"{p}_{k}")
            for u, g in zip(("u1", "u2", "u3"), gs):
                rows.append({"pair_id": f"{p}_{k}", "annotator_id": u, "strength": g, "dimension": "helpfulness",
                             "choice": "a" if g < 0 else ("b" if g > 0 else "tie")})
    j = pd.DataFrame(rows)
    pairs = pd.DataFrame({"pair_id": ids, "prompt": [f"q {i}" for i in ids], "text_a": [f"answer a {i}" for i in ids],
                          "text_b": [f"reply b {i} more" for i in ids], "response_a": "m1", "response_b": "m2"})
    return j, pairs


def _pat(ids):
    return {i.split("_")[0] for i in ids}


def test_strength_toward_the_chosen_response_and_the_floor():
    j, pairs = _graded()
    base = clean_set(j, pairs, n_boot=200)
    assert base["dimensions"]["ci_low"].iloc[0] > 0
    u = base["units"].set_index("pair_id")
    assert _pat(u.index) == {"p1", "p2", "p4", "p5", "p6"} and len(u) == 5 * K  # p3's margin 1/3 < 0.5
    u = u.rename(index=lambda i: i.split("_")[0]).groupby(level=0).first()
    assert u.loc["p1", "strength"] == pytest.approx(8 / 3) and u.loc["p1", "chosen_side"] == "a"
    assert u.loc["p2", "strength"] == pytest.approx(4 / 3) and u.loc["p5", "strength"] == pytest.approx(1.0)
    assert u.loc["p6", "strength"] == pytest.approx(5 / 3) and (u["strength_n"] == 3).all()
    # the floor: mean strength toward the chosen side >= 2 keeps the strongly preferred pairs only
    strong = clean_set(j, pairs, n_boot=200, min_strength=2)
    assert _pat(strong["units"]["pair_id"]) == {"p1", "p4"}
    c = strong["counts"].iloc[0]
    # each reason is counted on its own (as near_identical is): p2, p3 (0 toward a), p5, p6 are below 2
    assert (c["clean"], c["weak"]) == (2 * K, 4 * K) and base["counts"].iloc[0]["weak"] == 0
    assert "mean graded strength toward the chosen response >= 2.0" in strong["rule"]
    assert strong["params"]["min_strength"] == 2.0 and "min_strength" not in base["params"]
    # a verdict for the other side counts against: p3 has mean (1 + 1 - 2) / 3 = 0 toward a
    loose = clean_set(j, pairs, n_boot=200, min_margin=0.3)
    assert loose["units"].set_index("pair_id").loc["p3_0", "strength"] == pytest.approx(0.0)


def test_export_carries_strength_and_the_scale_in_its_metadata(tmp_path):
    j, pairs = _graded()
    text = write_jsonl(clean_set(j, pairs, n_boot=200, min_strength=1.5), pairs, source="test")
    lines = text.splitlines()
    meta = json.loads(lines[0])["_metadata"]
    recs = {r["pair_id"]: r for r in map(json.loads, lines[1:])}
    assert _pat(recs) == {"p1", "p4", "p6"} and len(recs) == 3 * K
    assert recs["p1_0"]["strength"] == pytest.approx(2.666667) and recs["p1_0"]["strength_n"] == 3
    assert recs["p1_0"]["chosen"] == "answer a p1_0" and recs["p4_2"]["chosen"] == "reply b p4_2 more"
    s = meta["strength"]
    assert s["observed"] == [-3, 3] and s["graded_verdicts"] == 18 * K and s["min_strength"] == 1.5
    assert "left out" in s["use"] and meta["params"]["min_strength"] == 1.5
    # without grades: no strength in the records or the metadata, as before
    plain = write_jsonl(clean_set(j.drop(columns="strength"), pairs, n_boot=200), pairs)
    first = plain.splitlines()
    assert json.loads(first[0])["_metadata"]["strength"] is None and "strength" not in json.loads(first[1])


def test_export_from_the_database_with_min_strength(tmp_path, tmp_duckdb_url, capsys):
    from dbutil import write_table

    from analytics.io.ingest import load_files

    j, pairs = _graded()
    load_files(tmp_duckdb_url, [write_table(tmp_path / "projects.csv", pd.DataFrame({
        "project_id": ["gp"], "name": ["G"], "client": ["X"], "task_type": ["preference"]}))])
    load_files(tmp_duckdb_url, [write_table(tmp_path / "pairs.csv", pairs),
                                write_table(tmp_path / "judgments.csv", j)], project="gp")
    out = tmp_path / "clean.jsonl"
    assert cli.main(["preference", "export", "--db", tmp_duckdb_url, "--project", "gp", "--min-strength", "2",
                     "--out", str(out), "--n-boot", "200"]) == 0
    said = capsys.readouterr().out
    lines = out.read_text().splitlines()
    recs = [json.loads(x) for x in lines[1:]]
    assert _pat(r["pair_id"] for r in recs) == {"p1", "p4"} and len(recs) == 2 * K
    assert sorted({r["strength"] for r in recs}) == [2.666667, 3.0]  # rounded to 6 digits in the file
    assert json.loads(lines[0])["_metadata"]["strength"]["observed"] == [-3, 3]
    assert f"{4 * K} below the strength floor" in said and f"{2 * K} of {6 * K} pairs" in said


def test_preference_page_offers_the_strength_floor(tmp_path, tmp_duckdb_url, monkeypatch):
    from dbutil import open_dashboard_page, write_table

    from analytics.io.ingest import load_files

    j, pairs = _graded()
    load_files(tmp_duckdb_url, [write_table(tmp_path / "projects.csv", pd.DataFrame({
        "project_id": ["gp"], "name": ["G"], "client": ["X"], "task_type": ["preference"]}))])
    load_files(tmp_duckdb_url, [write_table(tmp_path / "pairs.csv", pairs),
                                write_table(tmp_path / "judgments.csv", j)], project="gp")
    at = open_dashboard_page(tmp_duckdb_url, "gp", "preference", monkeypatch)

    def clean_counts(at):
        return next(d.value for d in at.dataframe if "share clean" in d.value.columns).iloc[0]

    assert clean_counts(at)["clean"] == 5 * K and "below strength floor" not in clean_counts(at)
    at.slider(key="pref_strength").set_value(2.0).run()
    assert not at.exception, [e.message for e in at.exception]
    c = clean_counts(at)
    assert (c["clean"], c["below strength floor"]) == (2 * K, 4 * K)
    assert any("mean graded strength toward the chosen response >= 2.0" in str(x.value) for x in at.caption)
