"""The client's delivery report for one batch of a project of another annotation kind (preference, spans, boxes,
multilabel): ``kind_delivery_report(engine, project_id, batch_id) -> KindDeliveryReport`` and
``render_kind_delivery_html(report)``.

The kind's own quality rules judge the batch (``analytics.quality.evaluate`` hands the project to its
``KindSpec.rules``, the same evaluation as ``labelqa gate --project P --batch B``); the report lists every check
with its value, interval and n and a verdict a client can read (met / not met / not enough evidence), with a
legend. No annotator ids appear: checks about one annotator or judge are counted, not named. Static HTML, no
script, nothing from the network.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics import kinds
from analytics.metrics.results import NoData
from analytics.quality import Check, ScopeRequest, batch_row, evaluate
from analytics.render.report.client import check_verdict
from analytics.render.report.delivery import _short_batch_name
from analytics.render.report.html import _date, _document, _e, _table
from analytics.render.report.svg import VERDICT_COLOURS, VERDICT_WORDS, legend_html
from analytics.render.report.tables import _now, _project, _ts
from analytics.thresholds import Thresholds, load_thresholds

__all__ = ["KindDeliveryReport", "kind_delivery_report", "render_kind_delivery_html", "verdict_of", "project_kind"]

# Subjects naming one person (annotator / judge): counted in the client's copy, never named.
_PERSONAL = ("annotator ", "judge ")


@dataclasses.dataclass
class KindDeliveryReport:
    """``checks``: the kind's checks of the batch (``analytics.quality.Check``), ``verdicts`` one per check."""

    project_id: str
    project_name: str
    client: str
    kind: str
    kind_title: str
    batch_id: str
    batch_name: str
    delivered_at: dt.datetime | None
    checks: list[Check]
    verdicts: list[str]
    generated_at: str = ""


def project_kind(engine: Engine | Connection, project_id: str) -> str:
    """The registered kind name of the project (``ValueError`` naming the known projects when it is unknown)."""
    return kinds.kind_of(_project(engine, project_id).get("task_type"))


def verdict_of(c: Check, th: Thresholds, project_id: str) -> str:
    """The client's verdict of one check: the classification report's rule (``check_verdict``) where the
    thresholds know the rule, else from the gate's outcome (pass = met, a judged warn or fail = not met)."""
    try:
        return check_verdict(c, th, project_id)
    except (KeyError, ValueError):
        if not c.judged:
            return "not enough evidence"
        return "met" if c.outcome == "pass" else "not met"


def kind_delivery_report(engine: Engine | Connection, project_id: str, batch_id: str,
                         thresholds: Thresholds | None = None) -> KindDeliveryReport:
    """Judge one batch of a non-classification project with its kind's rules. ``ValueError`` for an unknown
    batch; ``NoData`` when the kind judges nothing in it."""
    th = thresholds or load_thresholds()
    if isinstance(engine, Engine):
        with engine.connect() as con:
            return kind_delivery_report(con, project_id, batch_id, th)
    p = _project(engine, project_id)
    kind = kinds.get(kinds.kind_of(p.get("task_type")))
    b = batch_row(engine, project_id, batch_id)
    ev = evaluate(engine, project_id, ScopeRequest.batch(batch_id), th)
    if not ev.checks:
        raise NoData(f"the {kind.title.lower()} rules judge nothing in batch {batch_id!r} of project {project_id!r}")
    return KindDeliveryReport(
        project_id=project_id, project_name=str(p["name"]), client=str(p["client"]), kind=kind.name,
        kind_title=kind.title, batch_id=batch_id,
        batch_name=str(b["name"]) if pd.notna(b["name"]) and b["name"] else batch_id,
        delivered_at=_ts(b["delivered_at"]), checks=list(ev.checks),
        verdicts=[verdict_of(c, th, project_id) for c in ev.checks], generated_at=_now())


def _value(c: Check) -> str:
    if c.value is None or c.value != c.value:
        return "–"
    if c.kind == "count":
        return f"{c.value:,.0f}"
    v = f"{100 * c.value:.1f}%" if c.kind == "proportion" else f"{c.value:.3f}"
    if c.ci_low is None or c.ci_high is None or c.ci_low != c.ci_low or c.ci_high != c.ci_high:
        return v
    lo, hi = ((f"{100 * c.ci_low:.1f}%", f"{100 * c.ci_high:.1f}%") if c.kind == "proportion"
              else (f"{c.ci_low:.3f}", f"{c.ci_high:.3f}"))
    return f"{v} (95% CI {lo}–{hi})"


def _verdict_cell(v: str) -> str:
    return (f'<span class="dot" style="background:{VERDICT_COLOURS.get(v, VERDICT_COLOURS["not enough evidence"])}">'
            f"</span>{_e(VERDICT_WORDS.get(v, v))}")


def render_kind_delivery_html(r: KindDeliveryReport) -> str:
    """The report as one self-contained HTML document (every value from the data escaped)."""
    shown = [(c, v) for c, v in zip(r.checks, r.verdicts) if not c.scope.startswith(_PERSONAL)]
    personal = [(c, v) for c, v in zip(r.checks, r.verdicts) if c.scope.startswith(_PERSONAL)]
    rows = [[_e(c.rule.replace("_", " ")), _e(c.scope), _value(c), _e(f"{c.n:,}" if c.n is not None else "–"),
             _e(c.threshold), _verdict_cell(v)] for c, v in shown]
    counts = {k: r.verdicts.count(k) for k in ("met", "not met", "not enough evidence")}
    short = _short_batch_name(r)  # the batch's name without the project's repeated
    batch = f"{r.batch_id} ({short})" if short else r.batch_id
    head = (f"Batch {_e(batch)} of {_e(r.project_name)} ({_e(r.kind_title.lower())} annotations), "
            f"delivered {_e(_date(r.delivered_at))}: {len(r.checks)} quality checks, "
            f"{counts['met']} met, {counts['not met']} not met, {counts['not enough evidence']} without enough "
            "evidence to judge.")
    body = [f"<h1>Delivery report: {_e(r.project_name)}, batch {_e(batch)}</h1>",
            f'<p class="lead">{head}</p>',
            "<h2>Quality checks of the batch</h2>",
            _table([("Check", False), ("Subject", False), ("Value (95% CI)", True), ("n", True),
                    ("Threshold", False), ("Verdict", False)], rows),
            legend_html([(VERDICT_COLOURS[k], VERDICT_WORDS[k]) for k in ("met", "not met", "not enough evidence")])]
    if personal:
        pc = {k: sum(1 for _, v in personal if v == k) for k in ("met", "not met", "not enough evidence")}
        body.append(f"<p>Checks of individual annotators or judges ({len(personal)}): {pc['met']} met, "
                    f"{pc['not met']} not met, {pc['not enough evidence']} not enough evidence. Individuals are not "
                    "named in this report.</p>")
    body.append(f"<h2>Method</h2><p>Judged by the {_e(r.kind_title.lower())} kind's quality rules on this batch only "
                f"(the same evaluation as <code>labelqa gate --project {_e(r.project_id)} --batch "
                f"{_e(r.batch_id)}</code>); n is what each check counts; intervals are 95%. Generated "
                f"{_e(r.generated_at)}.</p>")
    return _document(f"Delivery report: {r.project_name}, batch {batch}", "\n".join(body), figures=False)
