"""The shared result cache follows the data: every page run asks (at most every :data:`VERSION_CHECK_S` seconds)
for the database's data version (:func:`analytics.sources.version.data_version`: a DuckDB file's stamp, or
LabelQA's ingest log) and empties ``st.cache_data`` when it differs from the last one this server saw, so a
``labelqa load`` shows on the next page run. A database with neither gets a version that turns every
:data:`UNVERSIONED_S` seconds, the lifetime results had before.
"""
from __future__ import annotations

import time

import streamlit as st
from sqlalchemy.engine import Engine

__all__ = ["refresh_if_changed", "UNVERSIONED_S", "VERSION_CHECK_S"]

UNVERSIONED_S = 600  # a database without a data version: results stay at most ten minutes
VERSION_CHECK_S = 5  # how often a session asks the database for its data version


@st.cache_data(ttl=VERSION_CHECK_S, show_spinner=False)
def _version(_engine: Engine, db: str) -> str | None:
    from analytics.sources.version import data_version

    try:
        return data_version(_engine, db)
    except Exception:  # noqa: BLE001 - no version means the time-based fallback, never a broken page
        return None


@st.cache_resource(show_spinner=False)
def _seen() -> dict[str, str]:
    """The last data version seen per database URL, shared by all sessions of this server."""
    return {}


def refresh_if_changed(_engine: Engine, db: str, now: float | None = None) -> bool:
    """Empty the shared result cache when ``db``'s data version differs from the last one seen; True if it did."""
    v = _version(_engine, db)
    if v is None:
        v = f"time {int((time.time() if now is None else now) // UNVERSIONED_S)}"
    seen = _seen()
    changed = db in seen and seen[db] != v
    seen[db] = v
    if changed:
        st.cache_data.clear()
    return changed


