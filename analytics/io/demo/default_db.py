"""The embedded default database (``analytics.db.DEFAULT_DB_PATH``), built with the demo scenario on first use.

Lives here rather than in :mod:`analytics.db` so that the dependency is one-way: the demo uses the database
layer, the database layer knows nothing of the demo.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from analytics import db
from analytics.io.demo.build import build_demo
from analytics.io.demo.scenario import DEFAULT_ANNOTATIONS


def ensure_default_db(progress: Callable[[str], None] = print, annotations: int | None = None) -> str:
    """Create and fill the embedded demo database on first use; return its URL.

    The file is built under a temporary name and renamed at the end, so an interrupted build never
    leaves a half-filled default database behind.
    """
    path = db.DEFAULT_DB_PATH  # read at call time (tests and the CLI point it elsewhere)
    url = f"duckdb:///{path}"
    if path.exists():
        return url
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building.duckdb")
    for p in (tmp, Path(str(tmp) + ".wal")):
        if p.exists():
            p.unlink()
    progress(f"LabelQA: first run, building the demo database at {path} ...")
    build_demo(f"duckdb:///{tmp}", annotations=annotations or DEFAULT_ANNOTATIONS, progress=progress)
    tmp.rename(path)
    progress("LabelQA: demo database ready.")
    return url
