"""The schema contract creates on both engines and is idempotent; every canonical table exists and is empty."""
import pytest
from sqlalchemy import inspect

from analytics.db import CANONICAL_TABLES, create_indexes, ensure_schema, make_engine, table_counts


def _check(url):
    eng = make_engine(url)
    ensure_schema(eng)
    ensure_schema(eng)  # idempotent
    create_indexes(eng)
    names = set(inspect(eng).get_table_names())
    assert set(CANONICAL_TABLES) <= names
    assert table_counts(eng) == {t: 0 for t in CANONICAL_TABLES}
    eng.dispose()


def test_schema_on_duckdb(tmp_duckdb_url):
    _check(tmp_duckdb_url)


@pytest.mark.postgres
def test_schema_on_postgres(pg_url):
    _check(pg_url)


def test_read_only_duckdb_refuses_writes(tmp_duckdb_url):
    from sqlalchemy import text

    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    eng.dispose()
    ro = make_engine(tmp_duckdb_url, read_only=True)
    with pytest.raises(Exception, match="read-only"):
        with ro.begin() as c:
            c.execute(text("INSERT INTO projects (project_id, name, client) VALUES ('x', 'x', 'x')"))
    ro.dispose()


@pytest.mark.postgres
def test_read_only_postgres_refuses_writes(pg_url):
    from sqlalchemy import text

    eng = make_engine(pg_url)
    ensure_schema(eng)
    eng.dispose()
    ro = make_engine(pg_url, read_only=True)
    with pytest.raises(Exception, match="read-only"):
        with ro.begin() as c:
            c.execute(text("INSERT INTO projects (project_id, name, client) VALUES ('x', 'x', 'x')"))
    ro.dispose()
