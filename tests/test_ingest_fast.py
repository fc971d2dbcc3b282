"""The fast ingest paths give exactly what the reference paths give (issue 11).

* ingest-log fingerprints from Arrow (:mod:`analytics.io.ingest.fingerprints`) = ``history.row_fingerprints`` and
  ``history.fingerprint_digest`` (which ``labelqa verify`` recomputes), on values that stress the text forms:
  NULLs in every type, fractional and midnight timestamps, floats with many digits, unicode, empty strings.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analytics.io import history
from analytics.io.ingest.fingerprints import fingerprints
from analytics.io.ingest.schema import TABLE_COLUMNS


def _con_with(table: str, tbl: pa.Table):
    con = duckdb.connect()
    types = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DOUBLE PRECISION": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}
    cols = ", ".join(f"{c} {types[t]}" for c, t in TABLE_COLUMNS[table].items())
    con.execute(f"CREATE TABLE {table} ({cols})")
    con.register("src_", tbl)
    con.execute(f"INSERT INTO {table} SELECT {', '.join(TABLE_COLUMNS[table])} FROM src_")
    con.unregister("src_")
    return con


def _reference(con, table: str, key: list[str]):
    frame = con.execute(history._select(table, table)).df()   # as history._read reads a DuckDB table
    ref = history.row_fingerprints(frame, key)
    return ref, history.fingerprint_digest(ref, key)


def _annotations(n: int, seed: int, fractional: bool, midnight: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    base = np.datetime64("2026-05-25T00:00:00", "us")
    step = rng.integers(0, 10**6 * 86400 * 30, n)
    if midnight:
        step = step // (86400 * 10**6) * (86400 * 10**6)
    elif not fractional:
        step = step // 10**6 * 10**6
    ts = pa.array(base + step.astype("timedelta64[us]"), mask=rng.random(n) < 0.1)
    words = np.array(["car", "", "Ünïcödé", "a,b", 'q"uote', "tab\tx", "nul?", "van", "日本", "\\N"], dtype=object)
    text = lambda p: pa.array(words[rng.integers(0, len(words), n)].tolist(), mask=rng.random(n) < p)  # noqa: E731
    return pa.table({
        "annotation_id": pa.array([f"a{i:07d}" if i % 7 else f"é{i}" for i in range(n)]),
        "item_id": text(0.0), "annotator_id": text(0.0), "label": text(0.0), "created_at": ts,
        "duration_s": pa.array(rng.random(n) * 10.0 ** rng.integers(-6, 9, n), mask=rng.random(n) < 0.2),
        "schema_version": pa.array(rng.integers(1, 4, n).astype(np.int32), mask=rng.random(n) < 0.3),
        "batch_id": text(0.3), "source": text(0.0), "model_suggestion": text(0.5),
        "model_confidence": pa.array([round(x, int(d)) for x, d in zip(rng.random(n), rng.integers(0, 17, n))],
                                     mask=rng.random(n) < 0.4),
    })


@pytest.mark.parametrize("fractional,midnight", [(True, False), (False, False), (False, True)])
def test_fingerprints_equal_history(fractional, midnight):
    tbl = _annotations(5000, 7, fractional, midnight)
    con = _con_with("annotations", tbl)
    key = history.TRACKED["annotations"]
    out, digest = fingerprints(con, history._select("annotations", "annotations"), list(TABLE_COLUMNS["annotations"]), key)
    ref, ref_digest = _reference(con, "annotations", key)
    mine = out.to_pandas().sort_values(key).reset_index(drop=True)
    assert mine["annotation_id"].tolist() == ref["annotation_id"].astype(str).tolist()
    assert (mine["row_hash"].to_numpy() == ref["row_hash"].to_numpy()).all()
    assert digest == ref_digest
    # sensitive: one changed value changes that row's hash only
    con.execute("UPDATE annotations SET label = 'other' WHERE annotation_id = 'a0000001'")
    out2, digest2 = fingerprints(con, history._select("annotations", "annotations"), list(TABLE_COLUMNS["annotations"]), key)
    diff = (out2.column("row_hash").to_numpy() != out.column("row_hash").to_numpy())
    assert diff.sum() == 1 and digest2 != digest


def test_fingerprints_of_reviews_and_gold_equal_history():
    n = 300
    for table, cols in (("reviews", {"review_id": pa.array([f"r{i}" for i in range(n)]),
                                     "annotation_id": pa.array([f"a{i % 50}" for i in range(n)]),
                                     "reviewer_id": pa.array([None if i % 3 else "rev" for i in range(n)], pa.string()),
                                     "verdict": pa.array(["accepted", "corrected"] * (n // 2)),
                                     "corrected_label": pa.array([None, "car"] * (n // 2), pa.string()),
                                     "created_at": pa.array([dt.datetime(2026, 6, 1, 12, 0, i % 60) for i in range(n)])}),
                        ("gold_labels", {"item_id": pa.array([f"i{i}" for i in range(n)]),
                                         "label": pa.array(["car", "van", "bus"] * (n // 3)),
                                         "source": pa.array([None] * n, pa.string()),
                                         "created_at": pa.array([None] * n, pa.timestamp("us"))})):
        con = _con_with(table, pa.table(cols))
        key = history.TRACKED[table]
        out, digest = fingerprints(con, history._select(table, table), list(TABLE_COLUMNS[table]), key)
        ref, ref_digest = _reference(con, table, key)
        mine = out.to_pandas().sort_values(key).reset_index(drop=True)
        assert (mine["row_hash"].to_numpy() == ref["row_hash"].to_numpy()).all(), table
        assert digest == ref_digest, table


def test_loaded_database_verifies(tmp_path, tmp_duckdb_url):
    """labelqa load (fast log) then labelqa verify's recomputation: intact; an edit outside labelqa is found."""
    from sqlalchemy import text

    from analytics.db import make_engine
    from analytics.io.ingest import load_files

    (tmp_path / "projects.csv").write_text("project_id,name,client\np1,P,C\n")
    (tmp_path / "label_classes.csv").write_text("project_id,label\np1,car\np1,van\n")
    (tmp_path / "items.csv").write_text("item_id,project_id\ni1,p1\ni2,p1\n")
    (tmp_path / "annotations.csv").write_text(
        "annotation_id,item_id,annotator_id,label,created_at,duration_s,model_confidence\n"
        "x1,i1,a,car,2026-06-01 10:00:00.25,1.5,0.1\nx2,i2,b,van,2026-06-01T10:00:00+02:00,,\n"
        "x3,i1,b,car,2026-06-02,3,0.3333333333333333\n")
    load_files(tmp_duckdb_url, [tmp_path / f for f in ("projects.csv", "label_classes.csv", "items.csv", "annotations.csv")])
    engine = make_engine(tmp_duckdb_url)
    try:
        out = history.verify_db(engine)
        assert out["ok"], out
        with engine.begin() as con:
            con.execute(text("UPDATE annotations SET duration_s = 2.5 WHERE annotation_id = 'x1'"))
        out = history.verify_db(engine)
        assert not out["ok"] and out["tables"]["annotations"]["changed"] == 1
    finally:
        engine.dispose()


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \t\r\nab\u00a0\u200b\u200c\u200d\u2060\ufeffé,", max_size=6)),
                max_size=8))
def test_clean_text_columns_pass_through_unchanged(values):
    """A text column _clean_text passes is exactly what the normalising expression would make of it."""
    from analytics.io.ingest.readers import _clean_text, _typed_expr

    arr = pa.chunked_array([pa.array(values, pa.string())])
    con = duckdb.connect()
    con.register("t", pa.table({"x": arr}))
    full = con.sql(f"SELECT {_typed_expr('x', 'VARCHAR', pa.string())} FROM t").fetchall()
    fast = con.sql(f"SELECT {_typed_expr('x', 'VARCHAR', pa.string(), clean=True)} FROM t").fetchall()
    if _clean_text(arr):
        assert fast == full
    else:  # the check only refuses columns the normalisation changes
        assert fast != full
