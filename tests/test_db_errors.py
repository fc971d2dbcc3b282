"""Database failures: every command says in one line what is wrong and exits 2 (never 1, which for the gate means
"a rule failed"); read-only DuckDB connections cannot reach files, the network or their own configuration."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import duckdb
import pytest
from sqlalchemy import text

from analytics import cli
from analytics.db import make_engine
from analytics.sources.errors import explain


def _bad_databases(tmp_path):
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"not a database at all\n" * 10)
    truncated = tmp_path / "truncated.duckdb"
    c = duckdb.connect(str(truncated))
    c.execute("CREATE TABLE projects(project_id VARCHAR)")
    c.close()
    truncated.write_bytes(truncated.read_bytes()[:5000])
    no_tables = tmp_path / "other.duckdb"
    c = duckdb.connect(str(no_tables))
    c.execute("CREATE TABLE something_else(x INT)")
    c.close()
    wrong_cols = tmp_path / "wrongcols.duckdb"
    c = duckdb.connect(str(wrong_cols))
    c.execute("CREATE TABLE projects(x INT)")
    c.close()
    return {
        "missing file": (f"duckdb:///{tmp_path / 'nope.duckdb'}", "does not exist"),
        "not a database": (f"duckdb:///{garbage}", "is not a DuckDB database"),
        "truncated": (f"duckdb:///{truncated}", "DuckDB"),
        "missing table": (f"duckdb:///{no_tables}", "table projects is missing"),
        "missing column": (f"duckdb:///{wrong_cols}", "is missing"),  # info: a later table; gate: the column
        "closed port": ("postgresql+psycopg://u:p@127.0.0.1:1/labelqa", "connection refused"),
        "unparsable URL": ("this is not a url", "cannot be parsed"),
        "unknown dialect": ("nosuchdb://host/x", "unknown database type 'nosuchdb'"),
    }


COMMANDS = {
    "gate": ["gate", "--project", "streetscene"],
    "info": ["info"],
    "verify": ["verify"],
    "report weekly": ["report", "weekly", "--project", "streetscene", "--week", "2026-W47", "--out", "OUT"],
    "report delivery": ["report", "delivery", "--project", "streetscene", "--batch", "b", "--out", "OUT"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_every_broken_database_and_exits_2(command, tmp_path, capsys):
    for case, (url, words) in _bad_databases(tmp_path).items():
        argv = [a.replace("OUT", str(tmp_path / "r.html")) for a in COMMANDS[command]] + ["--db", url]
        rc = cli.main(argv)
        err = capsys.readouterr().err
        assert rc == 2, (command, case, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (command, case, err)
        assert words.lower() in lines[0].lower(), (command, case, lines[0])
        assert not (tmp_path / "r.html").exists()


def _hold_write_lock(tmp_path):
    """Another process holding the DuckDB file open for writing, as a running `labelqa load` does."""
    db = tmp_path / "busy.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, time
        c = duckdb.connect({str(db)!r})
        c.execute("CREATE TABLE projects(project_id VARCHAR)")
        print("holding", flush=True)
        time.sleep(120)
    """)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return db, holder


def test_a_load_holding_the_file_reads_as_locked_not_as_a_failed_rule(tmp_path, capsys):
    db, holder = _hold_write_lock(tmp_path)
    try:
        rc = cli.main(["gate", "--project", "p", "--db", f"duckdb:///{db}"])
        err = capsys.readouterr().err
        assert rc == 2 and "locked" in err and "retry" in err, err
        assert len(err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()


def test_explain_keeps_the_driver_line_for_unknown_errors():
    class Odd(Exception):
        pass
    assert str(explain(Odd("something new\nwith detail"))) == "database error: something new"


@pytest.mark.parametrize("statement", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM glob('/etc/*')",
    "COPY (SELECT 1) TO 'OUT/leak.csv'",
    "ATTACH 'OUT/other.duckdb' AS o",
    "INSTALL httpfs",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "CREATE TABLE t AS SELECT 1",
])
def test_read_only_duckdb_refuses_files_network_and_settings(statement, tmp_path):
    db = tmp_path / "ro.duckdb"
    duckdb.connect(str(db)).execute("CREATE TABLE projects(project_id VARCHAR)").close()
    eng = make_engine(f"duckdb:///{db}", read_only=True)
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM projects")).scalar_one() == 0  # the database itself works
        with pytest.raises(Exception) as info:
            c.execute(text(statement.replace("OUT", str(tmp_path))))
    assert any(w in str(info.value) for w in ("Permission", "Cannot change", "read-only", "Cannot execute")), info.value
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro.duckdb"]


def test_allowed_dirs_open_views_over_files(tmp_path, monkeypatch):
    data = tmp_path / "lake"
    data.mkdir()
    duckdb.connect().execute(f"COPY (SELECT 'p1' AS project_id) TO '{data / 'p.parquet'}' (FORMAT parquet)")
    db = tmp_path / "views.duckdb"
    c = duckdb.connect(str(db))
    c.execute(f"CREATE VIEW projects AS SELECT * FROM read_parquet('{data / 'p.parquet'}')")
    c.close()
    with make_engine(f"duckdb:///{db}", read_only=True).connect() as con:
        with pytest.raises(Exception, match="Permission"):
            con.execute(text("SELECT * FROM projects")).fetchall()
    monkeypatch.setenv("LABELQA_DUCKDB_ALLOWED_DIRS", str(data))
    with make_engine(f"duckdb:///{db}", read_only=True).connect() as con:
        assert con.execute(text("SELECT project_id FROM projects")).scalar_one() == "p1"


def _app_text(url, monkeypatch, page="overview"):
    from streamlit.testing.v1 import AppTest

    from analytics.resources import DASHBOARD_APP

    monkeypatch.setenv("LABELQA_DB_URL", url)
    at = AppTest.from_file(str(DASHBOARD_APP), default_timeout=120).run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    body = " ".join(str(e.value) for kind in ("error", "warning", "markdown", "caption") for e in at.get(kind))
    return at, body


@pytest.mark.parametrize("case", ["missing file", "not a database", "missing table", "closed port"])
def test_dashboard_shows_a_page_level_message_for_a_broken_database(case, tmp_path, monkeypatch):
    url, words = _bad_databases(tmp_path)[case]
    for page in ("overview", "accuracy"):
        at, body = _app_text(url, monkeypatch, page)
        assert not at.exception, (case, page, [e.value for e in at.exception])
        assert "The database cannot be read" in body and words.lower() in body.lower(), (case, body)
        assert "Traceback" not in body and "site-packages" not in body


def test_dashboard_says_the_data_is_being_updated_while_a_load_holds_the_file(tmp_path, monkeypatch):
    import ui.problems

    monkeypatch.setattr(ui.problems, "LOCK_WAIT_S", 0.05)
    db, holder = _hold_write_lock(tmp_path)
    try:
        at, body = _app_text(f"duckdb:///{db}", monkeypatch)
        assert not at.exception, [e.value for e in at.exception]
        assert "The data is being updated" in body, body
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.postgres
def test_postgres_role_that_can_write_is_detected_and_warned(demo_pg_url, monkeypatch):
    """default_transaction_read_only is only a default (SET TRANSACTION READ WRITE overrides it): a role with write
    privileges is reported; a read-only role is not."""
    from sqlalchemy import create_engine

    from analytics.db import role_can_write

    owner = make_engine(demo_pg_url, read_only=True)
    assert role_can_write(owner) is True
    with owner.connect() as c:  # the override the warning is about
        c.execute(text("SET TRANSACTION READ WRITE"))
        c.execute(text("SELECT 1"))
    admin = create_engine(demo_pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP ROLE IF EXISTS lqa_reader"))
        c.execute(text("CREATE ROLE lqa_reader LOGIN"))
        c.execute(text("GRANT USAGE ON SCHEMA public TO lqa_reader"))
        c.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO lqa_reader"))
    reader_url = demo_pg_url.replace("postgres@", "lqa_reader@", 1)
    assert role_can_write(make_engine(reader_url, read_only=True)) is False
    assert role_can_write(make_engine("duckdb:///:memory:")) is None
    _, body_owner = _app_text(demo_pg_url, monkeypatch)
    assert "This database role can write" in body_owner
    _, body_reader = _app_text(reader_url, monkeypatch)
    assert "This database role can write" not in body_reader
