"""``labelqa info [--db URL]``: where the database is and how many rows each canonical table holds."""
from __future__ import annotations

import json

from analytics.db import make_engine, resolve_url, table_counts
from analytics.resources import DEFAULT_THRESHOLDS, data_home, version


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="show the resolved database URL and table row counts")
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    url = resolve_url(args.db)
    counts = table_counts(make_engine(url, read_only=True))
    where = {"version": version(), "data_home": str(data_home()), "default_thresholds": str(DEFAULT_THRESHOLDS)}
    if args.json:
        print(json.dumps({"url": url, "tables": counts, **where}))
    else:
        print(url)
        print(f"  labelqa {where['version']}; data home {where['data_home']} (LABELQA_HOME overrides)")
        for t, n in counts.items():
            print(f"  {t:<16} {n:>12,}")
    return 0
