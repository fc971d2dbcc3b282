import copy
import json

import pandas as pd
import pytest

from analytics.io import history as h

KEY = {"annotations": ["item_id", "annotator_id"]}


def _ann():
    return pd.DataFrame({"item_id": ["i1", "i1", "i2", "i3"], "annotator_id": ["a", "b", "a", "b"],
                         "label": ["cat", "dog", "cat", None]})


def _stored(frame, load_id):
    return h.row_fingerprints(frame, KEY["annotations"]).assign(load_id=load_id)


def test_digest_is_order_independent_and_sensitive():
    a = _ann()
    d = h.table_digest(a, KEY["annotations"])
    assert d == h.table_digest(a.iloc[::-1][["label", "item_id", "annotator_id"]], KEY["annotations"])
    assert len(d) == 64
    b = a.copy()
    b.loc[0, "label"] = "bird"
    assert h.table_digest(b, KEY["annotations"]) != d
    # NULL differs from the string "None"
    assert h.table_digest(a.fillna("None"), KEY["annotations"]) != d


def test_chain_and_tamper_detection():
    a = _ann()
    r1 = h.load_record(1, {"annotations": a.iloc[:2]}, KEY, who="u", when="2026-01-01T00:00:00Z", files={"x.csv": "ab"})
    r2 = h.load_record(2, {"annotations": a.iloc[2:]}, KEY, r1["digest"], who="u", when="2026-01-02T00:00:00Z")
    assert r2["prev_digest"] == r1["digest"] and r1["tables"]["annotations"]["rows"] == 2
    assert h.verify_chain([r1, r2]) == []
    bad = copy.deepcopy(r1)
    bad["tables"]["annotations"]["rows"] = 3
    # an edited record breaks its own digest and every later link (checked against the recomputed digest) ...
    assert h.verify_chain([bad, r2]) == [1, 2]
    # ... even when its stored digest was recomputed to match: only the later link shows it
    forged = h.load_record(1, {"annotations": a.iloc[:3]}, KEY, who="u", when="2026-01-01T00:00:00Z", files={"x.csv": "ab"})
    assert h.verify_chain([forged, r2]) == [2]
    stored = {"annotations": pd.concat([_stored(a.iloc[:2], 1), _stored(a.iloc[2:], 2)])}
    assert h.verify([r1, r2], stored, {"annotations": a}, KEY)["ok"]
    now = a.copy()
    now.loc[2, "label"] = "dog"                     # changed a row of load 2
    now = now.drop(index=0)                         # deleted a row of load 1
    now = pd.concat([now, pd.DataFrame({"item_id": ["i9"], "annotator_id": ["c"], "label": ["cat"]})])  # added
    rep = h.verify([r1, r2], stored, {"annotations": now}, KEY)
    t = rep["tables"]["annotations"]
    assert not rep["ok"] and (t["added"], t["deleted"], t["changed"]) == (1, 1, 1)
    assert t["details"]["changed"].to_dict("records") == [{"item_id": "i2", "annotator_id": "a", "load_id": 2}]
    assert t["details"]["deleted"].to_dict("records") == [{"item_id": "i1", "annotator_id": "a", "load_id": 1}]
    assert list(t["details"]["added"].item_id) == ["i9"]


def test_file_sha256(tmp_path):
    p = tmp_path / "f.txt"
    p.write_bytes(b"abc")
    # SHA-256("abc"), FIPS 180-2 appendix B.1
    assert h.file_sha256(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_errors():
    with pytest.raises(ValueError, match="not unique"):
        h.table_digest(pd.concat([_ann(), _ann()]), KEY["annotations"])
    with pytest.raises(ValueError, match="not in the table"):
        h.table_digest(_ann(), ["nope"])


# ---------------------------------------------------------------------------------------------- in the database
def _files(d, n0, n1, label="car"):
    import pandas as pd

    ids = [f"i{k}" for k in range(n0, n1)]
    pd.DataFrame({"item_id": ids, "project_id": "p"}).to_csv(d / f"items_{n0}.csv", index=False)
    pd.DataFrame({"annotation_id": [f"a{k}" for k in range(n0, n1)], "item_id": ids, "annotator_id": "x",
                  "label": label, "created_at": "2026-06-01 10:00:00.25", "duration_s": 1.5}).to_csv(
        d / f"annotations_{n0}.csv", index=False)
    pd.DataFrame({"item_id": ids[:2], "label": "car"}).to_csv(d / f"gold_labels_{n0}.csv", index=False)
    return [d / f"items_{n0}.csv", d / f"annotations_{n0}.csv", d / f"gold_labels_{n0}.csv"]


def test_every_load_is_chained_and_edits_outside_labelqa_are_found(tmp_path, tmp_duckdb_url):
    import pandas as pd
    from sqlalchemy import text

    from analytics.db import make_engine
    from analytics.io.history import GENESIS, file_sha256, verify_db
    from analytics.io.ingest import IngestError, load_files

    d = tmp_path
    pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]}).to_csv(d / "projects.csv", index=False)
    pd.DataFrame({"project_id": "p", "label": ["car", "van"]}).to_csv(d / "label_classes.csv", index=False)
    load_files(tmp_duckdb_url, [d / "projects.csv", d / "label_classes.csv"] + _files(d, 0, 5))
    load_files(tmp_duckdb_url, _files(d, 5, 8, "van"))
    with pytest.raises(IngestError):  # a refused load leaves no entry
        load_files(tmp_duckdb_url, _files(d, 8, 9, "truck"))
    eng = make_engine(tmp_duckdb_url)
    v = verify_db(eng)
    assert v["ok"] and v["n_loads"] == 2 and v["broken_loads"] == []
    with eng.connect() as c:
        recs = [json.loads(r[0]) for r in c.execute(text("SELECT record FROM ingest_log ORDER BY load_id"))]
    assert recs[0]["prev_digest"] == GENESIS and recs[1]["prev_digest"] == v["loads"].digest.iloc[0]
    assert recs[0]["counts"]["annotations"] == 5 and recs[1]["tables"]["annotations"]["rows"] == 3
    assert recs[0]["files"][str(d / "annotations_0.csv")] == file_sha256(d / "annotations_0.csv")

    with eng.begin() as c:  # edits outside labelqa
        c.execute(text("UPDATE annotations SET label = 'van' WHERE annotation_id = 'a1'"))
        c.execute(text("DELETE FROM annotations WHERE annotation_id = 'a6'"))
        c.execute(text("INSERT INTO annotations (annotation_id, item_id, annotator_id, label, created_at) "
                       "VALUES ('a99', 'i0', 'x', 'car', TIMESTAMP '2026-06-02 00:00:00')"))
        c.execute(text("UPDATE gold_labels SET label = 'van' WHERE item_id = 'i5'"))
    v = verify_db(eng)
    a, g = v["tables"]["annotations"], v["tables"]["gold_labels"]
    assert not v["ok"] and (a["added"], a["deleted"], a["changed"]) == (1, 1, 1)
    assert a["details"]["changed"].values.tolist() == [["a1", 1]]
    assert a["details"]["deleted"].values.tolist() == [["a6", 2]]
    assert a["details"]["added"].annotation_id.tolist() == ["a99"]
    assert (g["changed"], g["details"]["changed"].values.tolist()) == (1, [["i5", 2]])

    with eng.begin() as c:  # rewriting history breaks the chain from that load on
        c.execute(text("UPDATE ingest_log SET record = replace(record, :a, :b) WHERE load_id = 1"),
                  {"a": '"rows":5', "b": '"rows":6'})
    assert verify_db(eng)["broken_loads"] == [1, 2]
    eng.dispose()


def test_verify_without_a_log_is_nodata(tmp_duckdb_url):
    from analytics.db import ensure_schema, make_engine
    from analytics.io.history import verify_db
    from analytics.metrics.results import NoData

    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    with pytest.raises(NoData, match="no load is recorded"):
        verify_db(eng)
    eng.dispose()
