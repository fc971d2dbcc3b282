"""``labelqa load [--db URL] [--table NAME] [--project P] [--map FILE.toml] [--column SRC=DST ...] [--dry-run] FILE...``

Validated, all-or-nothing ingest (see ``analytics.io.ingest`` and docs/INGEST.md). Prints rows loaded per
table; any problem exits 2 with a one-line summary followed by one line per problem, nothing written.
"""
from __future__ import annotations

from analytics.db import CANONICAL_TABLES, resolve_url


def add_parser(sub) -> None:
    p = sub.add_parser(
        "load",
        help="validate and load CSV / Parquet / JSONL / Label Studio JSON files (all or nothing)",
        description="Validate FILEs and load them into the canonical tables in one transaction: "
                    "after any problem nothing is written.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
    p.add_argument("--table", choices=CANONICAL_TABLES, metavar="NAME",
                   help="target table for every FILE, one of: " + ", ".join(CANONICAL_TABLES)
                        + " (default: from the file name, else from its columns)")
    p.add_argument("--project", help="project id: fills a missing project_id column; items must belong to it")
    p.add_argument("--map", metavar="FILE.toml", help="column mapping: [table] source_column = \"canonical_column\"")
    p.add_argument("--column", action="append", default=[], metavar="SRC=DST",
                   help="rename a source column to a canonical one (repeatable; every table)")
    p.add_argument("--dry-run", action="store_true", help="validate only and show what would be loaded")
    p.set_defaults(func=run)


def run(args) -> int:
    from analytics.io.ingest import load_files, parse_column_options, read_mapping

    mapping: dict[str, dict[str, str]] = read_mapping(args.map) if args.map else {}
    if args.column:
        mapping.setdefault("*", {}).update(parse_column_options(args.column))
    url = resolve_url(args.db)
    counts = load_files(url, args.files, table=args.table, project=args.project, mapping=mapping or None,
                        dry_run=args.dry_run, progress=print)
    head = "dry run, nothing written; would load" if args.dry_run else "loaded"
    total = sum(counts.values())
    print(f"{head} {total:,} rows into {_safe(url)}:")
    for table, n in counts.items():
        print(f"  {table:<16} {n:>12,}")
    return 0


def _safe(url: str) -> str:
    """The URL without a password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return url
