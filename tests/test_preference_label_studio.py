"""Label Studio's pairwise template export -> preference pairs, judgments and gold (analytics/kinds/preference/
label_studio.py): through ``labelqa load`` (all or nothing, problems named by task and annotation) and the file
reader; the loaded judgments give the figures of the same verdicts written as a judgments file."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from analytics import cli
from analytics.db import make_engine
from analytics.io.ingest import IngestError, load_files
from analytics.kinds.preference import db as pdb
from analytics.kinds.preference.label_studio import read_pairwise_export


def _export(tasks):
    return [{"id": tid, "data": data, "annotations": anns} for tid, data, anns in tasks]


def _ann(who, sel, gt=False, aid=None, cancelled=False):
    return {"id": aid, "completed_by": who, "ground_truth": gt, "was_cancelled": cancelled,
            "created_at": "2026-06-02T10:00:00Z",
            "result": [{"from_name": "pw", "to_name": "text1", "type": "pairwise", "value": {"selected": sel}}]}


TASKS = _export([
    (1, {"text1": "short answer", "text2": "a much longer answer here", "prompt": "Q1", "model_a": "m1",
         "model_b": "m2", "category": "chat"},
     [_ann(7, "left"), _ann({"id": 8, "email": "e@x"}, "left"), _ann(9, "right"), _ann(1, "left", gt=True)]),
    (2, {"text1": "yes", "text2": "no, because", "prompt": "Q2", "model_a": "m2", "model_b": "m3"},
     [_ann(7, "right"), _ann(8, "right"), _ann(9, "right", cancelled=True)]),
])


@pytest.fixture()
def pref(tmp_path):
    url = f"duckdb:///{tmp_path / 'ls.duckdb'}"
    (tmp_path / "projects.csv").write_text("project_id,name,client,task_type\npw,P,X,preference\n")
    load_files(url, [tmp_path / "projects.csv"])
    return tmp_path, url


def test_pairwise_export_loads_pairs_judgments_and_gold(pref):
    d, url = pref
    (d / "export.json").write_text(json.dumps(TASKS))
    counts = load_files(url, [d / "export.json"], project="pw")
    assert counts == {"annotators": 3, "preference_pairs": 2, "preference_judgments": 5, "preference_gold": 1}
    eng = make_engine(url, read_only=True)
    with eng.connect() as c:
        rows = c.execute(text("SELECT pair_id, annotator_id, choice, shown_first, dimension FROM preference_judgments "
                              "ORDER BY pair_id, annotator_id")).fetchall()
        pairs = c.execute(text("SELECT pair_id, response_a, response_b, text_a, category, project_id "
                               "FROM preference_pairs ORDER BY 1")).fetchall()
        gold = c.execute(text("SELECT pair_id, choice FROM preference_gold")).fetchall()
    assert rows == [("1", "7", "a", "a", "overall"), ("1", "8", "a", "a", "overall"), ("1", "9", "b", "a", "overall"),
                    ("2", "7", "b", "a", "overall"), ("2", "8", "b", "a", "overall")]
    assert pairs == [("1", "m1", "m2", "short answer", "chat", "pw"), ("2", "m2", "m3", "yes", None, "pw")]
    assert gold == [("1", "a")]
    # the figures: task 1 a, a, b -> 1 agreeing of 3 verdict pairs; task 2 b, b -> 1 of 1: 2 / 4 pooled
    agr = pdb.agreement_from_db(eng, "pw", n_boot=0).set_index("metric")
    assert agr.loc["percent_without_ties", "value"] == pytest.approx(2 / 4)
    lb = pdb.length_bias_from_db(eng, "pw").iloc[0]  # longer = b on both: b chosen 3 of 5
    assert (lb["successes"], lb["n"]) == (3, 5)
    eng.dispose()


def test_file_reader_gives_the_same_frames(tmp_path):
    (tmp_path / "export.json").write_text(json.dumps(TASKS))
    pairs, judg, gold = read_pairwise_export(tmp_path / "export.json")
    assert list(pairs["pair_id"]) == ["1", "2"] and list(pairs["text_b"]) == ["a much longer answer here",
                                                                              "no, because"]
    assert list(judg["choice"]) == ["a", "a", "b", "b", "b"] and set(judg["shown_first"]) == {"a"}
    assert gold.to_dict("list") == {"pair_id": ["1"], "choice": ["a"], "dimension": ["overall"],
                                    "source": ["ground_truth"], "created_at": ["2026-06-02T10:00:00Z"]}


def test_refused_exports_name_task_annotation_and_field(pref, capsys):
    d, url = pref
    bad = _export([(1, {"text1": "x", "text2": "y"}, [_ann(7, "both")]),
                   (2, {"only": "one text"}, [_ann(7, "left")]),
                   (3, {"text1": "x", "text2": "y"}, [_ann(None, "left")])])
    (d / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(IngestError) as exc:
        load_files(url, [d / "bad.json"], project="pw")
    msg = str(exc.value)
    assert "task 1 (id 1) annotation 1" in msg and "'both' is not left or right" in msg
    assert "task 2 (id 2)" in msg and "fewer than two texts" in msg
    assert "task 3 (id 3) annotation 1" in msg and "no annotator (completed_by)" in msg
    eng = make_engine(url, read_only=True)
    with eng.connect() as c:  # all or nothing
        assert c.execute(text("SELECT COUNT(*) FROM preference_judgments")).scalar_one() == 0
    eng.dispose()
    assert cli.main(["load", "--db", url, "--project", "pw", str(d / "bad.json")]) == 2
    assert "not left or right" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"bad.json task 1 \(id 1\) annotation 1, field 'result\[\].value.selected'"):
        read_pairwise_export(d / "bad.json")
