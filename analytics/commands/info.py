"""``labelqa info [--db URL]``: where the database is, how many rows each canonical table holds, and the projects
(id, name, client, annotations, first and last annotation date; ``sql/ui_projects.sql``, the dashboard's list)."""
from __future__ import annotations

import json

from analytics.db import make_engine, query_df, resolve_url, table_counts
from analytics.resources import DEFAULT_THRESHOLDS, data_home, version


def add_parser(sub) -> None:
    p = sub.add_parser("info", help="show the resolved database URL, table row counts and the projects")
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def _projects(engine) -> list[dict]:
    df = query_df(engine, "ui_projects")
    out = []
    for r in df.itertuples(index=False):
        out.append({"project_id": str(r.project_id), "name": str(r.name), "client": str(r.client),
                    "n_annotations": int(r.n_annotations),
                    "first_date": None if r.first_date is None or r.first_date != r.first_date else str(r.first_date)[:10],
                    "last_date": None if r.last_date is None or r.last_date != r.last_date else str(r.last_date)[:10]})
    return out


def run(args) -> int:
    url = resolve_url(args.db)
    engine = make_engine(url, read_only=True)
    counts = table_counts(engine)
    projects = _projects(engine)
    where = {"version": version(), "data_home": str(data_home()), "default_thresholds": str(DEFAULT_THRESHOLDS)}
    if args.json:
        print(json.dumps({"url": url, "tables": counts, "projects": projects, **where}))
    else:
        print(url)
        print(f"  labelqa {where['version']}; data home {where['data_home']} (LABELQA_HOME overrides)")
        for t, n in counts.items():
            print(f"  {t:<16} {n:>12,}")
        print(f"projects ({len(projects)}):" if projects else "projects: none")
        if projects:
            head = ["project_id", "name", "client", "annotations", "first", "last"]
            rows = [[p["project_id"], p["name"], p["client"], f"{p['n_annotations']:,}", p["first_date"] or "-",
                     p["last_date"] or "-"] for p in projects]
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
            right = {3}
            fmt = lambda cells: "  " + "  ".join(c.rjust(w) if i in right else c.ljust(w)  # noqa: E731
                                                 for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
            print(fmt(head))
            for r in rows:
                print(fmt(r))
    return 0
