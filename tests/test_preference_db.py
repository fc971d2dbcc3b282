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
