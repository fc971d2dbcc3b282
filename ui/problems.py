"""Page-level messages for a database that cannot be read (missing, not a database, locked by a running load,
unreachable server, missing tables): one clear sentence and what to do, never a traceback with install paths.

``app.py`` runs every page inside :func:`guarded`. A file locked by a running ``labelqa load`` is retried a few
times first (a short load finishes while the page waits); after that the page says the data is being updated and
offers a retry. The words come from :func:`analytics.sources.errors.explain`, shared with the CLI.
"""
from __future__ import annotations

import time
from typing import Callable

import streamlit as st

from analytics.sources.errors import LOCKED, explain, is_database_error

__all__ = ["guarded", "LOCK_RETRIES", "LOCK_WAIT_S"]

LOCK_RETRIES = 3
LOCK_WAIT_S = 1.0


def guarded(run: Callable[[], None], retries: int | None = None, wait_s: float | None = None) -> None:
    """Run ``run`` (setup + the page); a database failure becomes a page-level message."""
    retries = LOCK_RETRIES if retries is None else retries
    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    for attempt in range(retries + 1):
        try:
            run()
            return
        except Exception as exc:  # Streamlit's stop/rerun signals are not Exceptions and pass through
            if not is_database_error(exc):
                raise
            problem = explain(exc)
            if problem.kind == LOCKED and attempt < retries:
                time.sleep(wait_s)
                continue
            _show(problem)
            return


def _show(problem) -> None:
    if problem.kind == LOCKED:
        st.warning(
            "**The data is being updated.** Another process is writing to the database (a `labelqa load` or "
            "`labelqa demo`); the dashboard only reads, so it waits. Retry in a moment.",
            icon=":material/hourglass_top:",
        )
    else:
        st.error(f"**The database cannot be read.** {problem}", icon=":material/database:")
        st.caption("The database comes from `LABELQA_DB_URL`, `.streamlit/secrets.toml` or the embedded demo file; "
                   "`labelqa info` shows which one is used.")
    if st.button("Retry", icon=":material/refresh:"):
        st.rerun()
