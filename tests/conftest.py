"""Shared fixtures: the tiny hand-built gate database, a seeded demo database (DuckDB), a real PostgreSQL
server started by the test session itself (never skipped when CI=true), and ``missing_tool``: skip locally,
fail when CI=true."""
from __future__ import annotations

import gc
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATASETS = (ROOT.parent / "shared" / "datasets").resolve()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Size of the demo database the tests build once per session: big enough that every injected truth is
# recoverable with clear margins, small enough to build in a few seconds.
TEST_DEMO_ANNOTATIONS = 60_000


def missing_tool(what: str, ci_hint: str) -> NoReturn:
    """A tool a test needs is absent: skip locally, but fail when CI=true (CI must provide it; ``ci_hint`` says how)."""
    if IN_CI:
        pytest.fail(f"{what} missing but CI=true: {ci_hint}")
    pytest.skip(f"{what} not installed")


@pytest.fixture(name="missing_tool", scope="session")
def _missing_tool_fixture():
    """``missing_tool`` for test modules (they never import conftest)."""
    return missing_tool


def dataset(name: str) -> Path:
    """Folder of a real crowd dataset from ../shared/datasets; skip cleanly when it is absent."""
    path = DATASETS / name
    if not path.is_dir():
        pytest.skip(f"real dataset {name} not found at {path}")
    return path


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    """The hand-built two-project database of tests/dbutil.py (one per test module): (url, read-only engine, rows)."""
    from analytics.db import make_engine
    from dbutil import build_tiny_db

    url = f"duckdb:///{tmp_path_factory.mktemp('tiny') / 'tiny.duckdb'}"
    rows = build_tiny_db(url)
    eng = make_engine(url, read_only=True)
    yield url, eng, rows
    eng.dispose()


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    """URL of a seeded demo DuckDB database (built once per session; tests must not write to it)."""
    from analytics.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    url = f"duckdb:///{path}"
    build_demo(url, annotations=TEST_DEMO_ANNOTATIONS, seed=7, progress=lambda _m: None)
    return url


@pytest.fixture(scope="session")
def demo_engine(demo_url):
    from analytics.db import make_engine

    eng = make_engine(demo_url, read_only=True)
    yield eng
    eng.dispose()


def _pg_bindir() -> str | None:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        if out and os.path.exists(os.path.join(out, "initdb")):
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on loopback; yields its base URL (database ``postgres``)."""
    bindir = _pg_bindir()
    if bindir is None:
        missing_tool("PostgreSQL binaries", ".ci/run must install postgresql")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing_tool("psycopg", "it is in the test extra")
    base = Path(tempfile.mkdtemp(prefix="labelqa-pg-"))
    port = _free_port()
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(base, "postgres", "postgres")
        os.chmod(base, 0o700)

    def run(cmd: list[str]) -> None:
        full = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)] if as_root else cmd
        subprocess.run(full, check=True, capture_output=True, text=True)

    data = base / "data"
    run([f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
    opts = f"'-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off'"
    run([f"{bindir}/pg_ctl", "-D", str(data), "-l", str(base / "pg.log"), "-o", opts if as_root else opts.strip("'"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run([f"{bindir}/pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    yield url
    gc.collect()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def demo_pg_url(pg_server):
    """The same seeded demo data as ``demo_url``, in PostgreSQL (for DataFrame == DuckDB == PostgreSQL tests)."""
    from sqlalchemy import create_engine, text

    from analytics.demo import build_demo

    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text('CREATE DATABASE "demo"'))
    admin.dispose()
    url = pg_server.rsplit("/", 1)[0] + "/demo"
    build_demo(url, annotations=TEST_DEMO_ANNOTATIONS, seed=7, progress=lambda _m: None)
    return url


@pytest.fixture
def tmp_duckdb_url(tmp_path) -> str:
    return f"duckdb:///{tmp_path / 'test.duckdb'}"


@pytest.fixture
def demo_db(demo_url, monkeypatch):
    """The demo database as the dashboard's database (LABELQA_DB_URL) with the packaged default thresholds."""
    monkeypatch.setenv("LABELQA_DB_URL", demo_url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    return demo_url
