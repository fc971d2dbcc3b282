"""The wheel is the product: build it, install it into a fresh venv outside the repository, and run every
user-facing command and the dashboard from an empty directory (no checkout on the path, no repo files).

Slow (a venv and a pip install from the local cache: about a minute or two); runs in CI.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "accuracy", "agreement", "coverage", "label_vs_model", "annotators", "delivery")

pytestmark = pytest.mark.slow


def _run(cmd, cwd, env, timeout=900):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    r = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(dist)], base, os.environ)
    assert r.returncode == 0, r.stderr
    (wheel,) = dist.glob("labelqa-*.whl")
    venv = base / "venv"
    r = _run([sys.executable, "-m", "venv", str(venv)], base, os.environ)
    assert r.returncode == 0, r.stderr
    r = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], base, os.environ)
    assert r.returncode == 0, r.stderr[-3000:]
    work = base / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABELQA_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["LABELQA_HOME"] = str(base / "home")
    return {"wheel": wheel, "venv": venv, "cwd": work, "env": env, "bin": venv / "bin"}


def test_wheel_carries_sql_thresholds_and_dashboard(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    sql_in_repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "sql").rglob("*.sql")}
    assert {f"analytics/{p}" for p in sql_in_repo} <= names
    assert "analytics/labelqa.toml" in names
    assert "analytics/dashboard/app.py" in names
    assert {f"analytics/dashboard/pages/{p}.py" for p in PAGES} <= names
    assert "analytics/dashboard/ui/common.py" in names


def test_installed_package_does_not_import_the_checkout(installed):
    py = installed["bin"] / "python"
    r = _run([str(py), "-c", "import analytics, json; print(json.dumps(analytics.__file__))"], installed["cwd"], installed["env"])
    assert r.returncode == 0, r.stderr
    assert str(ROOT) not in json.loads(r.stdout)
    assert str(installed["venv"]) in json.loads(r.stdout)


def test_commands_work_from_an_empty_directory(installed):
    lq, cwd, env = str(installed["bin"] / "labelqa"), installed["cwd"], installed["env"]
    r = _run([lq, "--version"], cwd, env)
    assert r.returncode == 0 and r.stdout.strip().startswith("labelqa 0."), r.stdout + r.stderr
    r = _run([lq, "demo"], cwd, env)
    assert r.returncode == 0, r.stderr[-2000:]
    db_file = Path(env["LABELQA_HOME"]) / "labelqa.duckdb"
    assert db_file.is_file()
    r = _run([lq, "info", "--json"], cwd, env)
    info = json.loads(r.stdout)
    assert info["data_home"] == env["LABELQA_HOME"] and info["tables"]["annotations"] == 200_000
    r = _run([lq, "gate", "--project", "streetscene", "--format", "json"], cwd, env)
    assert r.returncode == 1, r.stderr  # the demo plants failures: exit 1 as from a checkout
    gate = json.loads(r.stdout)
    assert gate["outcome"] == "fail" and any(c["outcome"] == "fail" for c in gate["checks"])
    out = cwd / "weekly.html"
    r = _run([lq, "report", "weekly", "--project", "streetscene", "--week", "2026-W47", "--out", str(out)], cwd, env)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10_000 and "2026-W47" in out.read_text(encoding="utf-8")
    assert sorted(p.name for p in cwd.iterdir()) == ["weekly.html"]  # nothing else written to the cwd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_serves_and_every_page_renders(installed):
    lq, cwd, env = str(installed["bin"] / "labelqa"), installed["cwd"], installed["env"]
    if not (Path(env["LABELQA_HOME"]) / "labelqa.duckdb").is_file():
        assert _run([lq, "demo"], cwd, env).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([lq, "dashboard", "--port", str(port)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body, deadline = "", time.time() + 90
        while time.time() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert body == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # stopping `labelqa dashboard` stops the server: nothing is left listening on the port
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    # Every page of the installed app, server-side, in the installed environment.
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from analytics.resources import DASHBOARD_APP\n"
        "bad = []\n"
        f"for page in {PAGES!r}:\n"
        "    at = AppTest.from_file(str(DASHBOARD_APP), default_timeout=240).run()\n"
        "    if page != 'overview':\n"
        "        at.switch_page(f'pages/{page}.py').run()\n"
        "    if at.exception or not at.get('plotly_chart') and page != 'delivery':\n"
        "        bad.append((page, [e.value for e in at.exception]))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = _run([str(installed["bin"] / "python"), "-c", script], cwd, env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
