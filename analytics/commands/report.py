"""``labelqa report weekly|delivery``: one self-contained HTML file (opens offline, mail or archive it).

    labelqa report weekly   [--db URL] --project P --week YYYY-Www --out FILE.html [--config FILE]
    labelqa report delivery [--db URL] --project P --batch B      --out FILE.html [--config FILE]

Exit code 0 when the file is written, 2 on a usage error (unknown project/batch, malformed week or config).
A batch of a project of another annotation kind (preference, spans, boxes, multilabel) gets that kind's
checks of the batch with a verdict each (``analytics.render.report.kind_delivery``); the weekly report of a spans,
boxes or multilabel project is judged by that kind's rules (``analytics.render.report.kind_weekly``). The weekly report includes the quality gate's results for the week but does not change the exit code:
use ``labelqa gate`` to block a pipeline.
"""
from __future__ import annotations

import sys
from pathlib import Path

from analytics.db import make_engine, resolve_url
from analytics.kinds import DEFAULT_KIND
from analytics.render.report.kind_delivery import kind_delivery_report, project_kind, render_kind_delivery_html
from analytics.render.report.kind_weekly import REGION_KINDS, kind_weekly_report, render_kind_weekly_html
from analytics.report import (
    delivery_report,
    parse_iso_week,
    render_delivery_html,
    render_weekly_html,
    weekly_report,
)
from analytics.thresholds import load_thresholds


def add_parser(sub) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML report (weekly QA report, client delivery report)")
    kinds = p.add_subparsers(dest="kind", required=True)
    w = kinds.add_parser("weekly", help="the QA lead's weekly report (overview + quality gate) for one ISO week")
    w.add_argument("--week", required=True, help="ISO week, e.g. 2026-W35")
    d = kinds.add_parser("delivery", help="the client's delivery report for one batch (annotators pseudonymised)")
    d.add_argument("--batch", required=True, help="batch_id")
    for q in (w, d):
        q.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
        q.add_argument("--project", required=True, help="project_id")
        q.add_argument("--out", required=True, help="HTML file to write")
        q.add_argument("--config", help="thresholds TOML (default: LABELQA_THRESHOLDS, ./labelqa.toml, else the packaged defaults)")
        q.set_defaults(func=run)


def run(args) -> int:
    th = load_thresholds(args.config)
    if args.kind == "weekly":
        parse_iso_week(args.week)  # a malformed week is a usage error before any database work
    out = Path(args.out)
    if not out.parent.exists():
        raise FileNotFoundError(f"output directory {out.parent} does not exist")
    engine = make_engine(resolve_url(args.db), read_only=True)
    try:
        if args.kind == "weekly":
            if project_kind(engine, args.project) in REGION_KINDS:  # boxes, spans, multilabel: the kind's rules
                report = kind_weekly_report(engine, args.project, args.week, thresholds=th)
                html = render_kind_weekly_html(report)
            else:
                report = weekly_report(engine, args.project, args.week, thresholds=th)
                html = render_weekly_html(report)
            what = f"weekly report {report.week} of project {args.project} (gate: {report.gate.outcome})"
        else:
            if project_kind(engine, args.project) != DEFAULT_KIND:  # judged by its kind's rules
                report = kind_delivery_report(engine, args.project, args.batch, thresholds=th)
                html = render_kind_delivery_html(report)
            else:
                report = delivery_report(engine, args.project, args.batch, thresholds=th)
                html = render_delivery_html(report)
            what = f"delivery report of batch {args.batch}, project {args.project}"
    finally:
        engine.dispose()
    out.write_text(html, encoding="utf-8")
    print(f"wrote {what} to {out} ({len(html.encode('utf-8')) / 1e6:.1f} MB)", file=sys.stderr)
    return 0
