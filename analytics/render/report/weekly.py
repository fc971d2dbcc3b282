"""The QA lead's weekly report: ``weekly_report(engine, project_id, week) -> WeeklyReport`` (the week's headline
numbers, trends up to that week, per class, per annotator with real ids, drift flags and the quality layer's
checks for the week) and ``render_weekly_html(report)`` (one self-contained HTML file)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics import accuracy as acc
from analytics import agreement as ag
from analytics.filters import Filters
from analytics.gate import format_observed  # the gate's text rendering of a check
from analytics.metrics.results import SMALL_N, Estimate, NoData
from analytics.quality import ScopeRequest, evaluate
from analytics.render.report.html import (
    _CLASS_HEADERS, _class_rows, _date, _document, _e, _figure_html, _idx_ci, _int, _kpi, _pct, _pct_ci, _table,
)
from analytics.render.report.tables import (
    _annotator_table, _class_table, _now, _project, _qa_totals, _scope_summary, parse_iso_week,
)
from analytics.thresholds import STATUS_COLOURS, Thresholds, load_thresholds

__all__ = ["WeeklyReport", "weekly_report", "render_weekly_html"]


@dataclasses.dataclass
class WeeklyReport:
    """The QA lead's weekly report: the week's headline numbers, trends up to that week, per class,
    per annotator (real ids: an internal report), drift flags and the gate's checks for the week.

    ``trend``: one row per week ``week, annotations, accuracy, ci_low, ci_high, n_gold`` (+ ``agreement,
    agreement_ci_low, agreement_ci_high, agreement_n_items``). ``classes``/``annotators`` as in
    ``DeliveryReport`` but annotators keep ``annotator_id`` and ``team``.
    """

    project_id: str
    project_name: str
    client: str
    week: str  # ISO week, e.g. 2026-W35
    week_start: dt.date
    week_end: dt.date
    n_annotations: int
    n_items: int
    n_annotators: int
    accuracy: Estimate
    agreement: Estimate
    items_checked: int
    qa_rate: float
    classes: pd.DataFrame
    annotators: pd.DataFrame
    trend: pd.DataFrame
    gate: Any  # analytics.quality.Evaluation of the week (the gate's checks)
    confidence: float = 0.95
    small_n: int = SMALL_N
    generated_at: str = ""


def weekly_report(engine: Engine | Connection, project_id: str, week: str,
                  thresholds: Thresholds | None = None) -> WeeklyReport:
    """Build the QA lead's weekly report for ISO week ``week`` (e.g. ``2026-W35``).

    Unknown project, malformed week or a week without annotations -> ``ValueError``.
    """
    th = thresholds or load_thresholds()
    start, end = parse_iso_week(week)
    if isinstance(engine, Engine):  # one connection for every query
        with engine.connect() as con:
            return weekly_report(con, project_id, week, th)
    p = _project(engine, project_id)
    f = Filters(project_id, date_from=start, date_to=end)
    s = _scope_summary(engine, f)
    if int(s["n_annotations"] or 0) == 0:
        raise NoData(f"project {project_id!r} has no annotations in week {week} ({start} to {end})")
    conf = th.confidence(project_id)
    # The gate's evaluation of the week: its checks, drift flags and headline accuracy are the report's.
    gate = evaluate(engine, project_id, ScopeRequest.dates(start, end), th)
    headline = gate.accuracy
    alpha = ag.agreement_from_db(engine, f, metric="krippendorff", confidence=conf)
    classes = _class_table(engine, f, conf)
    small_n = th.small_n(project_id)
    classes["small_sample"] = classes["n_gold"] < small_n
    ann = _annotator_table(engine, f, conf)
    ann["small_sample"] = ann["n_gold"] < small_n
    checked, rate = _qa_totals(classes)

    # Trends up to (and including) the report's week.
    upto = Filters(project_id, date_to=end)
    wa = acc.accuracy_from_db(engine, upto, by="week", confidence=conf).rename(columns={"n": "n_gold"})
    wa = wa[["week", "accuracy", "ci_low", "ci_high", "n_gold"]]
    wg = ag.agreement_from_db(engine, upto, metric="krippendorff", by="week", confidence=conf)
    wg = wg.rename(columns={"value": "agreement", "ci_low": "agreement_ci_low", "ci_high": "agreement_ci_high",
                            "n_items": "agreement_n_items"})[["week", "agreement", "agreement_ci_low",
                                                              "agreement_ci_high", "agreement_n_items"]]
    wa["week"] = pd.to_datetime(wa["week"])
    wg["week"] = pd.to_datetime(wg["week"])
    trend = wa.merge(wg, on="week", how="outer").sort_values("week").reset_index(drop=True)

    drifted = {c.scope.removeprefix("annotator "): c for c in gate.by_rule("annotator_drift")
               if c.judged and c.outcome != "pass"}
    ann["drift"] = ann["annotator_id"].isin(list(drifted))
    return WeeklyReport(
        project_id=project_id, project_name=str(p["name"]), client=str(p["client"]), week=week.strip(),
        week_start=start, week_end=end, n_annotations=int(s["n_annotations"]), n_items=int(s["n_items"]),
        n_annotators=int(s["n_annotators"]), accuracy=headline, agreement=alpha, items_checked=checked,
        qa_rate=rate, classes=classes, annotators=ann, trend=trend, gate=gate,
        confidence=th.confidence(project_id), small_n=small_n, generated_at=_now(),
    )


def _class_accuracy_figure(classes: pd.DataFrame, small_n: int, title: str):
    import plotly.graph_objects as go

    d = classes[classes["n_gold"] > 0].sort_values("accuracy")
    if d.empty:
        return None
    colours = np.where(d["n_gold"] < small_n, "#c4c4c4", np.where(d["tier"] == "critical", "#d73027", "#2563eb"))
    fig = go.Figure(go.Bar(
        x=d["accuracy"], y=d["label"], orientation="h", marker_color=colours,
        error_x=dict(type="data", symmetric=False, array=(d["ci_high"] - d["accuracy"]).clip(lower=0),
                     arrayminus=(d["accuracy"] - d["ci_low"]).clip(lower=0)),
        customdata=np.stack([d["n_gold"], d["ci_low"], d["ci_high"]], axis=1),
        hovertemplate="%{y}: %{x:.1%} (%{customdata[1]:.1%}–%{customdata[2]:.1%}), n=%{customdata[0]}<extra></extra>",
    ))
    fig.update_layout(title=title, xaxis=dict(range=[0, 1], tickformat=".0%", title="accuracy vs expert labels"),
                      height=max(260, 22 * len(d) + 100), margin=dict(l=10, r=10, t=50, b=40),
                      template="plotly_white")
    return fig



def _trend_figure(trend: pd.DataFrame, week_start: dt.date):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if trend.empty:
        return None
    t = trend.sort_values("week")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Accuracy vs gold by week", "Krippendorff's alpha by week"))
    for col, lo, hi, c, colour in (("accuracy", "ci_low", "ci_high", 1, "#2563eb"),
                                    ("agreement", "agreement_ci_low", "agreement_ci_high", 2, "#059669")):
        fig.add_trace(go.Scatter(x=list(t["week"]) + list(t["week"][::-1]), y=list(t[hi]) + list(t[lo][::-1]),
                                 fill="toself", line=dict(width=0), fillcolor=colour, opacity=0.15,
                                 hoverinfo="skip", showlegend=False), row=1, col=c)
        fig.add_trace(go.Scatter(x=t["week"], y=t[col], mode="lines+markers", line=dict(color=colour),
                                 name=col, showlegend=False), row=1, col=c)
    fig.add_vline(x=pd.Timestamp(week_start).timestamp() * 1000, line=dict(color="#9ca3af", dash="dot"))
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=50, b=30), template="plotly_white")
    return fig


def render_weekly_html(r: WeeklyReport) -> str:
    """The QA lead's weekly report (overview + gate results) as one self-contained HTML document."""
    conf = f"{round(100 * r.confidence)}%"
    g = r.gate
    k = g.counts
    verdict = {"fail": "FAILS", "warn": "passes with warnings", "pass": "passes"}[g.outcome]
    kpis = "".join([
        _kpi("Annotations", f"{r.n_annotations:,}", f"{r.n_items:,} items, {r.n_annotators} annotators"),
        _kpi("Accuracy vs gold", _pct(r.accuracy.value),
             f"{conf} CI {_pct(r.accuracy.ci_low)}–{_pct(r.accuracy.ci_high)}, n={r.accuracy.n:,}"
             if r.accuracy.defined else (r.accuracy.reason or "")),
        _kpi("Krippendorff's α", _idx_ci(r.agreement.value, None, None),
             f"{conf} CI {r.agreement.ci_low:.2f}–{r.agreement.ci_high:.2f}" if r.agreement.defined
             else (r.agreement.reason or "")),
        _kpi("QA coverage", _pct(r.qa_rate), f"{r.items_checked:,} items checked"),
        _kpi("Quality gate", g.outcome.upper(), f"{k['fail']} fail, {k['warn']} warn, {k['pass']} pass"),
    ])
    problems = [c for c in g.checks if c.outcome != "pass" and (c.judged or c.scope == "overall")]
    order = {"fail": 0, "warn": 1, "pass": 2}
    problems.sort(key=lambda c: (order[c.outcome], c.rule, c.scope))
    gate_rows = [[
        f'<span class="dot" style="background:{STATUS_COLOURS[c.status]}"></span>{_e(c.rule)}',
        _e(c.scope) + (' <span class="crit">critical</span>' if c.tier == "critical" else ""),
        _e(format_observed(c)), _e(c.threshold),
        f'<span class="{c.outcome}">{_e(c.outcome.upper())}{"" if c.judged else " (not judged)"}</span>',
        _e(c.note or ""),
    ] for c in problems]
    # Checks that could not be judged (too few units): one row a rule, listing the scopes.
    unjudged: dict[tuple[str, str], list] = {}
    for c in g.checks:
        if not c.judged and c.scope != "overall" and c.outcome != "pass":
            unjudged.setdefault((c.rule, c.outcome), []).append(c)
    for (rule, outcome), cs in sorted(unjudged.items(), key=lambda kv: (order[kv[0][1]], kv[0][0])):
        names = ", ".join(c.scope.split(" ", 1)[-1] for c in cs)
        reasons = "; ".join(sorted({(c.note or "").split(" (n=")[0] for c in cs}))
        gate_rows.append([
            f'<span class="dot" style="background:{STATUS_COLOURS["grey"]}"></span>{_e(rule)}',
            f"{len(cs)} not judged", "", "",
            f'<span class="{outcome}">{_e(outcome.upper())} (not judged)</span>',
            _e(f"{reasons}: {names}"),
        ])
    passed: dict[str, int] = {}
    for c in g.checks:
        if c.outcome == "pass":
            passed[c.rule] = passed.get(c.rule, 0) + 1
    gate_hdr = [("Rule", False), ("Scope", False), ("Observed", False), ("Threshold", False), ("Result", False),
                ("Note", False)]
    figs = [f for f in (_trend_figure(r.trend, r.week_start),
                        _class_accuracy_figure(r.classes, r.small_n, "Accuracy per class this week")) if f is not None]
    ann_rows = [[_e(a.annotator_id), _e(a.team if isinstance(a.team, str) else "–"), _int(a.annotations), _pct(a.share),
                 _pct_ci(a.accuracy, a.ci_low, a.ci_high) if a.n_gold else "–", _int(a.n_gold),
                 ('<span class="warn">drift</span> ' if a.drift else "")
                 + ('<span class="flag">small sample</span>' if a.small_sample else "")]
                for a in r.annotators.itertuples(index=False)]
    body = [
        f"<h1>Weekly label-quality report: {_e(r.project_name)}, {_e(r.week)}</h1>",
        f'<p class="sub">Client {_e(r.client)}. Week {_date(r.week_start)} to {_date(r.week_end)}. '
        f"Thresholds: {_e(g.thresholds_path or 'built-in')}.</p>",
        f'<div class="headline">The quality gate <b>{verdict}</b> for this week: {k["fail"]} rule checks fail, '
        f'{k["warn"]} warn ({k["not_judged"]} could not be judged) and {k["pass"]} pass.</div>',
        f'<div class="kpis">{kpis}</div>',
        "<h2>Quality gate</h2>",
        _table(gate_hdr, gate_rows) if gate_rows else "<p>Every check passes.</p>",
        "<p class=\"sub\">Passing checks: " + ", ".join(f"{_e(rule)} {n}" for rule, n in passed.items()) + ".</p>",
        "<h2>Trends</h2>",
        *[_figure_html(f) for f in figs[:1]],
        "<h2>Per class</h2>",
        _table(_CLASS_HEADERS, _class_rows(r.classes, r.small_n)),
        *[_figure_html(f) for f in figs[1:]],
        "<h2>Annotators</h2>",
        _table([("Annotator", False), ("Team", False), ("Annotations", True), ("Share", True),
                ("Accuracy (95% CI)", True), ("Gold-checked", True), ("Flags", False)], ann_rows),
        "<h2>Method</h2>",
        '<ul class="notes">'
        f"<li>Accuracy is stratified by gold class (classes weighted by their frequency); intervals are {conf} "
        "(Wilson per class, normal approximation for the stratified estimate).</li>"
        "<li>Agreement intervals come from a cluster bootstrap over items.</li>"
        f"<li>Rows with fewer than {r.small_n} gold-checked labels are flagged as small samples; the gate does "
        "not judge them and reports them as warnings.</li>"
        "<li>Drift: an annotator's accuracy this week against their own previous weeks (one-sided "
        "two-proportion test at the threshold file's level).</li></ul>",
        f"<footer>Generated {_e(r.generated_at)} by LabelQA.</footer>",
    ]
    return _document(f"Weekly report: {r.project_name}, {r.week}", "\n".join(body), bool(figs))
