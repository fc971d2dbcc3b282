"""``labelqa verify``: a loaded DuckDB file edited directly (UPDATE / DELETE / INSERT outside LabelQA) is found,
table by table and load by load (exit 1); an untouched one passes (exit 0); no log or a broken database is exit 2."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from analytics import cli


def _load_two(tmp_path, url):
    from analytics.io.ingest import load_files

    d = tmp_path
    pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]}).to_csv(d / "projects.csv", index=False)
    pd.DataFrame({"project_id": "p", "label": ["car", "van"]}).to_csv(d / "label_classes.csv", index=False)
    files = []
    for n0, n1, label in ((0, 6, "car"), (6, 10, "van")):
        ids = [f"i{k}" for k in range(n0, n1)]
        pd.DataFrame({"item_id": ids, "project_id": "p"}).to_csv(d / f"items_{n0}.csv", index=False)
        pd.DataFrame({"annotation_id": [f"a{k}" for k in range(n0, n1)], "item_id": ids, "annotator_id": "x",
                      "label": label, "created_at": "2026-06-01 10:00:00"}).to_csv(d / f"annotations_{n0}.csv",
                                                                                  index=False)
        pd.DataFrame({"item_id": ids[:2], "label": label}).to_csv(d / f"gold_labels_{n0}.csv", index=False)
        pd.DataFrame({"review_id": [f"r{n0}"], "annotation_id": [f"a{n0}"], "reviewer_id": "rv",
                      "verdict": "accepted", "created_at": "2026-06-02 10:00:00"}).to_csv(d / f"reviews_{n0}.csv",
                                                                                       index=False)
        files.append([d / f"items_{n0}.csv", d / f"annotations_{n0}.csv", d / f"gold_labels_{n0}.csv",
                      d / f"reviews_{n0}.csv"])
    load_files(url, [d / "projects.csv", d / "label_classes.csv"] + files[0])
    load_files(url, files[1])
    return tmp_path / "test.duckdb"


def _verify(capsys, url, *extra):
    rc = cli.main(["verify", "--db", url, *extra])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_untouched_database_is_intact(tmp_path, tmp_duckdb_url, capsys):
    _load_two(tmp_path, tmp_duckdb_url)
    rc, out, err = _verify(capsys, tmp_duckdb_url, "--json")
    s = json.loads(out)
    assert (rc, err, s["ok"], s["status"], s["n_loads"], s["broken_loads"]) == (0, "", True, "intact", 2, [])
    assert {t: (v["rows"], v["added"], v["deleted"], v["changed"]) for t, v in s["tables"].items()} == {
        "annotations": (10, 0, 0, 0), "gold_labels": (4, 0, 0, 0), "reviews": (2, 0, 0, 0)}
    rc, out, _ = _verify(capsys, tmp_duckdb_url)
    assert rc == 0 and out.startswith("INTACT: 2 load(s)") and "hash chain: every link verified" in out


@pytest.mark.parametrize("table, statement, kind, key, load", [
    ("annotations", "UPDATE annotations SET label = 'van' WHERE annotation_id = 'a2'", "changed", "a2", "1"),
    ("annotations", "DELETE FROM annotations WHERE annotation_id = 'a7'", "deleted", "a7", "2"),
    ("annotations", "INSERT INTO annotations (annotation_id, item_id, annotator_id, label, created_at) "
                    "VALUES ('a99', 'i0', 'y', 'van', TIMESTAMP '2026-06-03 00:00:00')", "added", "a99", None),
    ("gold_labels", "UPDATE gold_labels SET label = 'car' WHERE item_id = 'i6'", "changed", "i6", "2"),
    ("gold_labels", "DELETE FROM gold_labels WHERE item_id = 'i0'", "deleted", "i0", "1"),
    ("gold_labels", "INSERT INTO gold_labels (item_id, label) VALUES ('i3', 'van')", "added", "i3", None),
    ("reviews", "UPDATE reviews SET verdict = 'rejected' WHERE review_id = 'r6'", "changed", "r6", "2"),
    ("reviews", "DELETE FROM reviews WHERE review_id = 'r0'", "deleted", "r0", "1"),
    ("reviews", "INSERT INTO reviews (review_id, annotation_id, reviewer_id, verdict, created_at) "
                "VALUES ('r9', 'a1', 'rv', 'accepted', TIMESTAMP '2026-06-04 00:00:00')", "added", "r9", None),
])
def test_each_edit_outside_labelqa_is_found_with_its_load(tmp_path, tmp_duckdb_url, capsys, table, statement,
                                                          kind, key, load):
    path = _load_two(tmp_path, tmp_duckdb_url)
    con = duckdb.connect(str(path))  # the file itself, no LabelQA in between
    con.execute(statement)
    con.close()
    rc, out, err = _verify(capsys, tmp_duckdb_url, "--json")
    s = json.loads(out)
    assert (rc, err, s["ok"], s["status"], s["broken_loads"]) == (1, "", False, "tampered", [])
    v = s["tables"][table]
    assert v[kind] == 1 and v["examples"][kind] == [key]
    others = {k for k in ("added", "deleted", "changed") if k != kind}
    assert all(v[k] == 0 for k in others)
    assert all(w[k] == 0 for t, w in s["tables"].items() if t != table for k in ("added", "deleted", "changed"))
    if kind != "added":
        assert v[f"{kind}_by_load"] == {load: 1}
    rc, out, _ = _verify(capsys, tmp_duckdb_url)
    assert rc == 1 and out.startswith("TAMPERED") and f"{kind}: {key}" in out


def test_edited_log_record_breaks_the_chain(tmp_path, tmp_duckdb_url, capsys):
    path = _load_two(tmp_path, tmp_duckdb_url)
    con = duckdb.connect(str(path))
    con.execute("UPDATE ingest_log SET record = replace(record, '\"rows\":6', '\"rows\":7') WHERE load_id = 1")
    con.close()
    rc, out, _ = _verify(capsys, tmp_duckdb_url, "--json")
    s = json.loads(out)
    assert rc == 1 and s["broken_loads"] == [1, 2]
    assert all(v["added"] == v["deleted"] == v["changed"] == 0 for v in s["tables"].values())
    rc, out, _ = _verify(capsys, tmp_duckdb_url)
    assert "hash chain broken at load(s) #1, #2" in out


def test_no_log_and_broken_databases_exit_2(tmp_path, tmp_duckdb_url, capsys):
    from analytics.db import ensure_schema, make_engine

    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    eng.dispose()
    rc, out, err = _verify(capsys, tmp_duckdb_url)
    assert rc == 2 and out == "" and "no load is recorded" in err and len(err.strip().splitlines()) == 1
    rc, out, err = _verify(capsys, f"duckdb:///{tmp_path / 'nope.duckdb'}")
    assert rc == 2 and "does not exist" in err and "Traceback" not in err
