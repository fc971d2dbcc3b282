"""Concurrent sessions asking the same question compute it once (issue 10 item 13): every dashboard loader is
a Streamlit cache whose key leaves the engine out, and identical calls in flight at the same time wait for the
first one (Streamlit's per-key compute lock) instead of each running the SQL."""
from __future__ import annotations

import inspect
import threading
import time

import pandas as pd
import pytest

from analytics.filters import Filters
from ui import data


def _public_functions():
    return {name: fn for name, fn in vars(data).items()
            if not name.startswith("_") and callable(fn) and not inspect.isclass(fn)
            and (hasattr(fn, "clear") or getattr(fn, "__module__", "") == data.__name__)}


def test_every_loader_is_cached_and_keyed_without_the_engine():
    loaders = _public_functions()
    assert len(loaders) >= 20
    uncached = [n for n, f in loaders.items() if not hasattr(f, "clear")]
    assert not uncached, f"loaders that would run their SQL once per session: {uncached}"
    with_engine = {n: list(inspect.signature(f).parameters) for n, f in loaders.items()}
    with_engine = {n: p for n, p in with_engine.items() if "_engine" in p}
    assert len(with_engine) >= 20
    for name, params in with_engine.items():
        assert params[:2] == ["_engine", "db"], (name, params)  # engine out of the key, the URL in it


@pytest.mark.parametrize("sessions", [12])
def test_identical_requests_in_flight_run_the_query_once(monkeypatch, sessions):
    calls: list[str] = []
    lock = threading.Lock()

    def slow_query(engine, name, **params):
        with lock:
            calls.append(name)
        time.sleep(0.5)  # long enough that every session asks while the first one is still computing
        return pd.DataFrame({"week": ["2026-11-16"], "annotations": [10], "items": [5], "annotators": [2],
                             "seconds": [100.0]})

    monkeypatch.setattr(data, "query_df", slow_query)
    data.weekly_volume.clear()
    f = Filters(project_id="in-flight-test")
    results, errors = [], []
    barrier = threading.Barrier(sessions)

    def session():
        try:
            barrier.wait()
            results.append(data.weekly_volume(object(), "duckdb:///in-flight.duckdb", f))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=session) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors and len(results) == sessions
    assert calls == ["ui_weekly_volume"]  # one computation for twelve sessions
    assert all(r.equals(results[0]) for r in results)
    # a different database is a different key: computed again
    data.weekly_volume(object(), "duckdb:///other.duckdb", f)
    assert calls == ["ui_weekly_volume"] * 2
    data.weekly_volume.clear()
