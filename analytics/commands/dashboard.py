"""``labelqa dashboard [--db URL] [--port N] [--host H]``: start the Streamlit dashboard shipped in the package.

The database follows the same precedence as every command (``--db`` > ``LABELQA_DB_URL`` >
``.streamlit/secrets.toml`` > the embedded demo file in the data home); the resolved URL is handed to the
app through ``LABELQA_DB_URL``. The app itself is package data (``analytics/dashboard/app.py``), so this
works from any directory with only the installed wheel.
"""
from __future__ import annotations

import os
import subprocess
import sys

from analytics.db import resolve_url
from analytics.resources import DASHBOARD_APP


def add_parser(sub) -> None:
    p = sub.add_parser("dashboard", help="start the dashboard (Streamlit) from the installed package")
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 for all)")
    p.set_defaults(func=run)


def command(args) -> list[str]:
    """The streamlit command line this runs (tested without starting a server)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
        "--server.port", str(args.port), "--server.address", args.host,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]


def run(args) -> int:
    if not DASHBOARD_APP.is_file():
        raise FileNotFoundError(f"the dashboard is missing from this installation ({DASHBOARD_APP}); reinstall labelqa")
    env = dict(os.environ, LABELQA_DB_URL=resolve_url(args.db))
    print(f"labelqa dashboard: http://{args.host}:{args.port} (database {env['LABELQA_DB_URL']})", flush=True)
    cmd = command(args)
    if os.name == "posix":
        # Become the Streamlit server (exec): a SIGTERM from systemd, CI or a test reaches the server itself. With a
        # child process the signal stopped only this wrapper and left the server running, orphaned.
        os.execve(sys.executable, cmd, env)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0
