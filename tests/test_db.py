"""Connection precedence (--db > LABELQA_DB_URL > .streamlit/secrets.toml > embedded default) and query files."""
import pytest

from analytics import db


def test_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LABELQA_DB_URL", raising=False)
    monkeypatch.setattr(db, "ROOT", tmp_path)  # no secrets.toml in the repo root either
    assert db.resolve_url() == f"duckdb:///{db.DEFAULT_DB_PATH}"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[connections.labelqa]\nurl = "duckdb:///from_secrets.duckdb"\n')
    assert db.resolve_url() == "duckdb:///from_secrets.duckdb"
    monkeypatch.setenv("LABELQA_DB_URL", "duckdb:///from_env.duckdb")
    assert db.resolve_url() == "duckdb:///from_env.duckdb"
    assert db.resolve_url("duckdb:///from_cli.duckdb") == "duckdb:///from_cli.duckdb"


def test_include_expands_shared_snippets():
    text = db.sql_text("agreement_bucket_stats")
    from analytics.sources.queries import _INCLUDE

    assert not _INCLUDE.search(text)  # every include line was replaced
    assert "fa AS (" in text and "unit_b AS (" in text


def test_missing_query_file_is_named():
    with pytest.raises(FileNotFoundError, match="no_such_query"):
        db.sql_text("no_such_query")


def test_expanding_in_list_is_bound(tmp_duckdb_url):
    from sqlalchemy import text

    eng = db.make_engine(tmp_duckdb_url)
    db.ensure_schema(eng)
    with eng.begin() as c:
        for p in ("a", "b", "c"):
            c.execute(text("INSERT INTO projects (project_id, name, client) VALUES (:p, :p, 'x')"), {"p": p})
    stmt = db._statement("SELECT project_id FROM projects WHERE project_id IN :ids ORDER BY 1", {"ids": ["a", "c"]})
    with eng.connect() as c:
        assert [r[0] for r in c.execute(stmt, {"ids": ["a", "c"]})] == ["a", "c"]
    eng.dispose()
