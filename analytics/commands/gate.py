"""``labelqa gate [--db URL] --project P [--batch B | --since DATE] [--config FILE] [--format text|json|junit]``

Evaluates every rule of the thresholds file on the database. Exit code: 0 when nothing fails (warnings
allowed), 1 when any rule fails, 2 on a usage or config error (unknown project/batch, malformed TOML).
"""
from __future__ import annotations

import sys
from pathlib import Path

from analytics.cli import UsageError
from analytics.db import make_engine, resolve_url
from analytics.gate import evaluate_gate, render_json, render_junit, render_text
from analytics.thresholds import load_thresholds


def add_parser(sub) -> None:
    p = sub.add_parser(
        "gate",
        help="quality gate: evaluate the thresholds on a project/batch (exit 0 pass, 1 fail, 2 usage error)",
        description="Evaluate every rule of the thresholds file (labelqa.toml) on a project, a batch or "
                    "everything since a date. Exit code 0 when no rule fails, 1 when one does, 2 on a usage "
                    "or config error.",
    )
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
    p.add_argument("--project", required=True, help="project_id to judge")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("--batch", help="judge one batch (batch_id)")
    scope.add_argument("--since", help="judge everything from this date on (YYYY-MM-DD)")
    p.add_argument("--until", help="with --since: last day of the window (YYYY-MM-DD, inclusive)")
    p.add_argument("--config", help="thresholds TOML (default: LABELQA_THRESHOLDS, ./labelqa.toml, else the packaged defaults)")
    p.add_argument("--format", choices=("text", "json", "junit"), default="text")
    p.add_argument("--out", help="also write the output to this file (stdout still gets the text table)")
    p.add_argument("--verbose", "-v", action="store_true", help="text: list passing per-class rows too")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.until and not args.since:
        raise UsageError("--until needs --since")
    th = load_thresholds(args.config)  # before touching the database: a bad config is exit 2 at once
    engine = make_engine(resolve_url(args.db), read_only=True)
    try:
        result = evaluate_gate(engine, args.project, batch_id=args.batch, since=args.since, until=args.until,
                               thresholds=th)
    finally:
        engine.dispose()
    render = {"text": lambda r: render_text(r, verbose=args.verbose), "json": render_json, "junit": render_junit}
    body = render[args.format](result)
    if args.out:
        Path(args.out).write_text(body, encoding="utf-8")
        if args.format != "text":
            sys.stdout.write(render_text(result, verbose=args.verbose))
        else:
            sys.stdout.write(body)
    else:
        sys.stdout.write(body)
    return result.exit_code
