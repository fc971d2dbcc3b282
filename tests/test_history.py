import copy

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
    assert h.verify_chain([bad, r2]) == [1]
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
