"""Preference kind in the database (issue 12): tables created by ensure_schema from the kind's declaration,
``labelqa load`` of pairs + judgments files and the DPO/TRL shape (all or nothing), and the SQL sufficient
statistics that give the same figures as the file path (LLMFAO)."""
from __future__ import annotations

from sqlalchemy import text

from analytics import kinds
from analytics.db import ensure_schema, make_engine, schema_scripts


def _columns(eng, table):
    with eng.connect() as c:
        return {r[0]: r[1] for r in c.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t "
            "ORDER BY ordinal_position"), {"t": table})}


def test_ensure_schema_creates_the_declared_tables(tmp_duckdb_url):
    assert schema_scripts()[0] == "schema" and "preference_schema" in schema_scripts()
    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    ensure_schema(eng)  # idempotent
    duck = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DOUBLE PRECISION": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}
    declared = kinds.get("preference").table_columns()
    assert set(declared) == {"preference_pairs", "preference_judgments"}
    for table, cols in declared.items():
        assert _columns(eng, table) == {c: duck[t] for c, t in cols.items()}
    eng.dispose()


# --------------------------------------------------------------------------------------------------
# labelqa load: pairs + judgments files, the DPO/TRL shape, all or nothing
# --------------------------------------------------------------------------------------------------

import json  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analytics.cli import main  # noqa: E402
from analytics.io.ingest import IngestError, load_files  # noqa: E402


def _write(path, df):
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_csv(path, index=False)
    return path


def _rows(url, sql):
    eng = make_engine(url, read_only=True)
    with eng.connect() as c:
        out = [tuple(r) for r in c.execute(text(sql))]
    eng.dispose()
    return out


@pytest.fixture
def pref(tmp_path, tmp_duckdb_url):
    """A preference project pp (and a classification project cc) with two pairs and three judgments."""
    load_files(tmp_duckdb_url, [_write(tmp_path / "projects.csv", pd.DataFrame({
        "project_id": ["pp", "cc", "dd"], "name": ["P", "C", "D"], "client": ["X", "Y", "Z"],
        "task_type": ["preference", "classification", "preference"]}))])
    files = [
        _write(tmp_path / "pairs.csv", pd.DataFrame({"pair_id": ["p1", "p2"], "response_a": ["m1", "m2"],
                                                      "response_b": ["m2", "m3"], "text_a": ["hello", "x y"],
                                                      "text_b": ["hi there", "z"], "category": ["qa", "code"]})),
        _write(tmp_path / "judgments.parquet", pd.DataFrame({
            "pair_id": ["p1", "p1", "p2"], "worker": ["u1", "u2", "u1"], "choice": ["a", "tie", "b"],
            "shown_first": ["a", "b", "a"], "dimension": ["helpfulness", "helpfulness", None],
            "created_at": ["2026-06-01 10:00:00"] * 3})),
    ]
    counts = load_files(tmp_duckdb_url, files, project="pp", mapping={"worker": "annotator_id"})
    assert counts == {"annotators": 2, "preference_pairs": 2, "preference_judgments": 3}
    return tmp_path, tmp_duckdb_url


_SNAPSHOT = ("SELECT (SELECT COUNT(*) FROM preference_pairs), (SELECT COUNT(*) FROM preference_judgments), "
             "(SELECT COUNT(*) FROM annotators)")


def test_pairs_and_judgments_files_load(pref):
    _, url = pref
    assert _rows(url, "SELECT pair_id, annotator_id, choice, dimension, shown_first FROM preference_judgments "
                      "ORDER BY pair_id, annotator_id") == [
        ("p1", "u1", "a", "helpfulness", "a"), ("p1", "u2", "tie", "helpfulness", "b"), ("p2", "u1", "b", "overall", "a")]
    assert _rows(url, "SELECT pair_id, project_id, response_a, text_b, category FROM preference_pairs "
                      "ORDER BY pair_id") == [("p1", "pp", "m1", "hi there", "qa"), ("p2", "pp", "m2", "z", "code")]
    assert _rows(url, "SELECT annotator_id FROM annotators ORDER BY 1") == [("u1",), ("u2",)]


@pytest.mark.parametrize("name, files, messages", [
    ("choice outside a/b/tie",
     {"j.csv": "pair_id,annotator_id,choice,shown_first\np1,u3,a,a\np2,u3,left,b\n"},
     ["file {d}/j.csv row 2 column choice: 'left' is not one of a, b, tie"]),
    ("judgment of an unknown pair",
     {"j.csv": "pair_id,annotator_id,choice,shown_first\np1,u3,a,a\np9,u3,b,b\n"},
     ["file {d}/j.csv row 2 column pair_id: unknown pair 'p9' (not in the database nor in this load)"]),
    ("identical responses (ids and texts)",
     {"preference_pairs.csv": "pair_id,response_a,response_b,text_a,text_b\np3,m1,m1,x,y\np4,m1,m2,same,same\n"},
     ["file {d}/preference_pairs.csv row 1 column response_b: 'm1' is the same response as response_a "
      "(identical responses)",
      "file {d}/preference_pairs.csv row 2 column text_b: 'same' is the same text as text_a (identical responses)"]),
    ("missing position in a project that records positions",
     {"j.csv": "pair_id,annotator_id,choice,shown_first\np1,u3,a,a\np2,u3,b,\n"},
     ["file {d}/j.csv row 2 column shown_first: missing position: project 'pp' records which response was shown "
      "first (4 judgment(s) have shown_first), so every judgment needs shown_first (a or b)"]),
    ("strength against choice, position outside a/b",
     {"j.csv": "pair_id,annotator_id,choice,shown_first,strength\np1,u3,a,a,2\np2,u3,b,left,1\n"},
     ["file {d}/j.csv row 1 column strength: 2 does not match choice 'a'",
      "file {d}/j.csv row 2 column shown_first: 'left' is not one of a, b"]),
    ("duplicate pair id against the database",
     {"preference_pairs.csv": "pair_id,text_a,text_b\np1,u,v\n"},
     ["file {d}/preference_pairs.csv row 1 column pair_id: pair_id 'p1' is already in the database"]),
    ("pairs of a classification project",
     {"preference_pairs.csv": "pair_id,text_a,text_b,project_id\np5,u,v,cc\n"},
     ["file {d}/preference_pairs.csv row 1 column project_id: project 'cc' has task_type 'classification', "
      "not 'preference'"]),
])
def test_refused_loads_name_file_row_column_and_change_nothing(pref, name, files, messages):
    d, url = pref
    before = _rows(url, _SNAPSHOT)
    paths = []
    for fname, body in files.items():
        (d / fname).write_text(body)
        paths.append(d / fname)
    project = None if "classification" in name else "pp"
    with pytest.raises(IngestError) as exc:
        load_files(url, paths, project=project)
    msg = str(exc.value)
    assert msg.startswith("nothing loaded (database unchanged)")
    for m in messages:
        assert m.format(d=d) in msg, msg
    assert _rows(url, _SNAPSHOT) == before


def test_dpo_jsonl_loads_pairs_and_chosen_judgments(pref):
    d, url = pref
    lines = [{"_metadata": {"rule": "export"}},
             {"id": "d1", "prompt": "Say hi", "chosen": "Hi!", "rejected": "Go away.", "annotator_id": "rm"},
             {"prompt": "2+2?", "chosen": "4", "rejected": "5", "category": "math"}]
    f = d / "dpo.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    counts = load_files(url, [f], project="dd")  # a project without positions: DPO files record none
    assert counts == {"annotators": 2, "preference_pairs": 2, "preference_judgments": 2}
    assert _rows(url, "SELECT p.pair_id, p.prompt, p.text_a, p.text_b, p.category, j.annotator_id, j.choice, "
                      "j.shown_first FROM preference_pairs p JOIN preference_judgments j ON j.pair_id = p.pair_id "
                      "WHERE p.pair_id IN ('d1', '3') ORDER BY p.pair_id") == [
        ("3", "2+2?", "4", "5", "math", "source", "a", None), ("d1", "Say hi", "Hi!", "Go away.", None, "rm", "a", None)]
    # a DPO line whose chosen and rejected are the same text is refused, naming the line and the source field
    f.write_text(json.dumps({"id": "d9", "prompt": "p", "chosen": "same", "rejected": "same"}) + "\n")
    with pytest.raises(IngestError, match=r"dpo.jsonl row 1 column rejected \(-> text_b\): 'same' is the same text"):
        load_files(url, [f], project="dd")
    # into a project whose judgments record positions, the DPO judgments (no position) are refused
    f.write_text(json.dumps({"id": "d8", "prompt": "p", "chosen": "u", "rejected": "v"}) + "\n")
    with pytest.raises(IngestError, match=r"dpo.jsonl row 1 column shown_first: missing position: project 'pp'"):
        load_files(url, [f], project="pp")


def test_cli_load_exit_codes(pref, capsys):
    d, url = pref
    (d / "j.csv").write_text("pair_id,annotator_id,choice,shown_first\np1,u9,b,b\n")
    assert main(["load", "--db", url, str(d / "j.csv")]) == 0
    assert "preference_judgments" in capsys.readouterr().out
    (d / "j.csv").write_text("pair_id,annotator_id,choice,shown_first\np1,u9,maybe,b\n")
    assert main(["load", "--db", url, str(d / "j.csv")]) == 2
    assert "column choice: 'maybe' is not one of a, b, tie" in capsys.readouterr().err
