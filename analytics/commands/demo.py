"""``labelqa demo [--db URL] [--annotations N] [--seed S] [--if-missing] [--force]``: build the seeded demo data.

Without ``--db`` the URL comes from ``analytics.db.resolve_url`` (env, secrets.toml, else the embedded default
file ``data/labelqa.duckdb``). A DuckDB file is built under a temporary name and renamed at the end, so an
interrupted build never leaves a half-filled database (and ``--force`` keeps the old file until the new one is
complete). For a server database ``--force`` empties every canonical table in one transaction first.

``--if-missing`` does nothing when the target already holds data (``make run`` calls it on every start).
Without either flag an existing, non-empty target is an error (exit code 2).
"""
from __future__ import annotations

import os
from pathlib import Path

from analytics.cli import UsageError
from analytics.db import CANONICAL_TABLES, DEFAULT_DB_PATH, is_duckdb, make_engine, resolve_url


def add_parser(sub) -> None:
    from analytics.io.demo import DEFAULT_ANNOTATIONS

    p = sub.add_parser("demo", help="build the seeded demo database (3 projects, injected quality problems)")
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo file)")
    p.add_argument("--annotations", type=int, default=DEFAULT_ANNOTATIONS,
                   help=f"number of annotation rows (default {DEFAULT_ANNOTATIONS:,}; 10000000 = benchmark scale)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--if-missing", action="store_true", help="do nothing when the target already has data")
    group.add_argument("--force", action="store_true", help="replace existing data in the target")
    p.set_defaults(func=run)


def _rows(url: str) -> int:
    """Rows in the canonical tables that exist at ``url`` (0 for a missing file or an empty schema)."""
    from sqlalchemy import inspect, text

    if is_duckdb(url) and not _duck_path(url).exists():
        return 0
    eng = make_engine(url, read_only=True)
    try:
        with eng.connect() as c:
            present = set(inspect(c).get_table_names())
            return sum(int(c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                       for t in CANONICAL_TABLES if t in present)
    finally:
        eng.dispose()


def _duck_path(url: str) -> Path:
    from sqlalchemy.engine import make_url

    db = make_url(url).database
    if not db or db == ":memory:":
        raise UsageError("labelqa demo needs a DuckDB file URL (duckdb:////abs/path.duckdb), not :memory:")
    return Path(db)


def _clear(url: str) -> None:
    """Empty every canonical table and every kind's table (the kinds' demo projects fill theirs) in one transaction
    (server databases)."""
    from sqlalchemy import inspect, text

    from analytics import kinds

    eng = make_engine(url)
    try:
        with eng.begin() as c:
            present = set(inspect(c).get_table_names())
            kind_tables = [t for k in kinds.all_kinds() if k.name != kinds.DEFAULT_KIND for t in k.table_columns()]
            for t in (*kind_tables, *CANONICAL_TABLES):
                if t in present:
                    c.execute(text(f"DELETE FROM {t}"))
    finally:
        eng.dispose()


def _build_duck_file(path: Path, annotations: int, seed: int) -> None:
    """Build into ``<stem>.building<suffix>`` next to ``path`` and rename it over ``path`` at the end."""
    from analytics.io.demo import build_demo

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.building{path.suffix or '.duckdb'}")
    for p in (tmp, Path(f"{tmp}.wal")):
        if p.exists():
            p.unlink()
    try:
        build_demo(f"duckdb:///{tmp}", annotations=annotations, seed=seed, progress=print)
    except BaseException:
        for p in (tmp, Path(f"{tmp}.wal")):
            if p.exists():
                p.unlink()
        raise
    wal = Path(f"{path}.wal")
    if wal.exists():
        wal.unlink()
    os.replace(tmp, path)


def run(args) -> int:
    from analytics.io.demo import build_demo

    if args.annotations < 100:
        raise UsageError(f"--annotations must be at least 100, got {args.annotations}")
    url = resolve_url(args.db)
    default_url = f"duckdb:///{DEFAULT_DB_PATH}"
    if url == default_url and args.if_missing and DEFAULT_DB_PATH.exists():
        print(f"labelqa demo: {DEFAULT_DB_PATH} exists; nothing to do")
        return 0
    rows = _rows(url)
    if rows:
        if args.if_missing:
            print(f"labelqa demo: {url} already holds data ({rows:,} rows); nothing to do")
            return 0
        if not args.force:
            raise UsageError(f"{url} already holds data ({rows:,} rows in the canonical tables); "
                             "use --force to replace it (or --if-missing to keep it)")
    if is_duckdb(url):
        path = _duck_path(url)
        if url == default_url and not path.exists() and args.seed == 42:
            from analytics.io.demo import ensure_default_db

            ensure_default_db(progress=print, annotations=args.annotations)
        elif rows or not path.exists():
            _build_duck_file(path, args.annotations, args.seed)
        else:  # an existing file with an empty schema: fill it in place
            build_demo(url, annotations=args.annotations, seed=args.seed, progress=print)
    else:
        if rows:
            print(f"labelqa demo: --force: emptying the canonical tables of {url}")
            _clear(url)
        build_demo(url, annotations=args.annotations, seed=args.seed, progress=print)
    return 0
