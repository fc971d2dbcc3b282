"""Self-contained HTML reports: the client's delivery report for one batch and the QA lead's weekly report.

Computation and rendering are separate steps (Evidently's metric / renderer split):
``delivery_report(engine, project_id, batch_id) -> DeliveryReport`` and
``weekly_report(engine, project_id, week) -> WeeklyReport`` read everything from the metric modules
(SQL sufficient statistics); ``render_delivery_html(report)`` / ``render_weekly_html(report)`` only
format. Both the CLI (``labelqa report``) and the dashboard's download button call these.

The HTML is one file that opens offline: plotly.js is inlined once (``<script id="plotly-js">``), every
figure is drawn with ``include_plotlyjs=False``, styles are inline, fonts are the system's; no element
loads anything over the network.

The delivery report is for the client: annotators appear only as pseudonyms ("Annotator A", "B", ... in
order of first annotation in the project, the same in every batch), and only the chosen project's own data is read (every query is filtered
by ``project_id``), so nothing of another project or client can appear.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
import re
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import SMALL_N, Estimate, NoData
from analytics.quality import ScopeRequest, evaluate, headline_accuracy, project_batches, project_row
from analytics.thresholds import STATUS_COLOURS, Thresholds, load_thresholds

__all__ = [
    "DeliveryReport",
    "WeeklyReport",
    "delivery_report",
    "weekly_report",
    "render_delivery_html",
    "render_weekly_html",
    "pseudonyms",
    "project_pseudonyms",
    "parse_iso_week",
]


# ---------------------------------------------------------------------------------------------- data
@dataclasses.dataclass
class DeliveryReport:
    """Everything the client's delivery report shows (numbers only; no annotator ids).

    ``classes``: one row per class ``label, tier, annotations, share, items, accuracy, ci_low, ci_high,
    n_gold, small_sample, agreement, agreement_ci_low, agreement_ci_high, agreement_n_items,
    items_checked, qa_rate`` (accuracy is per gold class; NaN where the class has no gold-checked labels).
    ``annotators``: ``pseudonym, annotations, share, accuracy, ci_low, ci_high, n_gold, small_sample``.
    """

    project_id: str
    project_name: str
    client: str
    batch_id: str
    batch_name: str
    delivered_at: dt.datetime | None
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    n_annotations: int
    n_items: int
    n_annotators: int
    accuracy: Estimate
    accuracy_pooled: Estimate
    agreement: Estimate
    items_checked: int
    qa_rate: float
    classes: pd.DataFrame
    annotators: pd.DataFrame
    confidence: float = 0.95
    small_n: int = SMALL_N
    generated_at: str = ""


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


# ------------------------------------------------------------------------------------------- helpers
def pseudonyms(first_seen: pd.DataFrame, id_col: str = "annotator_id", order_col: str = "first_at") -> dict[str, str]:
    """Pseudonyms stable within a project: ordered by first annotation in the project (ties by id), "Annotator A",
    ..., "Annotator Z", "Annotator AA", ... (spreadsheet column letters). A newcomer gets the next letter and no
    existing letter moves, so "Annotator C" is the same person in every batch of the project. No hash of the id is
    involved: nothing links a pseudonym to an id, or to the same person's pseudonym in another client's project."""
    order = first_seen.sort_values([order_col, id_col], ascending=[True, True])[id_col].astype(str).tolist()
    return {a: f"Annotator {_letters(i)}" for i, a in enumerate(order)}


def project_pseudonyms(engine: Engine | Connection, project_id: str) -> dict[str, str]:
    """:func:`pseudonyms` over every annotator of the whole project (not only of one batch)."""
    return pseudonyms(query_df(engine, "annotator_first_seen", **Filters(project_id).params()))


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def parse_iso_week(week: str) -> tuple[dt.date, dt.date]:
    """``YYYY-Www`` -> (Monday, Sunday); raises ``ValueError`` naming the expected format."""
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", week.strip())
    if not m:
        raise ValueError(f"week must look like 2026-W35 (ISO year-week), got {week!r}")
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ValueError(f"invalid ISO week {week!r}: {exc}") from None
    return monday, monday + dt.timedelta(days=6)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _ts(x: Any) -> dt.datetime | None:
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return None
    t = pd.Timestamp(x)
    return None if pd.isna(t) else t.to_pydatetime()


def _project(engine: Engine, project_id: str) -> pd.Series:
    return project_row(engine, project_id)


def _scope_summary(engine: Engine, f: Filters) -> pd.Series:
    return query_df(engine, "gate_scope_summary", **f.params()).iloc[0]


def _overall_accuracy(engine: Engine, f: Filters, conf: float) -> tuple[Estimate, Estimate]:
    """(headline, pooled): ``analytics.quality.headline_accuracy``, the figure the gate and the overview show."""
    headline, pooled, _ = headline_accuracy(engine, f, conf)
    return headline, pooled


def _class_table(engine: Engine, f: Filters, conf: float) -> pd.DataFrame:
    """Per class: distribution, accuracy vs gold, specific agreement, QA coverage (one row per class)."""
    from analytics import accuracy as acc
    from analytics import agreement as ag
    from analytics import coverage as cov

    dist = cov.class_distribution_from_db(engine, f)
    dist = dist[["label", "items", "annotations"]].copy()
    total = dist["annotations"].sum()
    dist["share"] = dist["annotations"] / total if total else np.nan

    a = acc.accuracy_from_db(engine, f, by="gold_label", confidence=conf)
    a = a.rename(columns={"gold_label": "label", "n": "n_gold"})[["label", "accuracy", "ci_low", "ci_high", "n_gold"]]

    pc = ag.per_category_agreement_from_db(engine, f, confidence=conf)
    pc = pc.rename(columns={"specific_agreement": "agreement", "ci_low": "agreement_ci_low",
                            "ci_high": "agreement_ci_high", "n_items": "agreement_n_items"})
    pc = pc[["label", "agreement", "agreement_ci_low", "agreement_ci_high", "agreement_n_items"]]

    qa = cov.qa_coverage_from_db(engine, f, confidence=conf)
    checked_col = "items_qa" if "items_qa" in qa.columns else None
    qa = qa.assign(items_checked=qa[checked_col] if checked_col else np.rint(qa["qa_rate"] * qa["items"]))
    qa = qa[["label", "tier", "items_checked", "qa_rate"]]

    out = dist.merge(a, on="label", how="outer").merge(pc, on="label", how="left").merge(qa, on="label", how="left")
    out["label"] = out["label"].astype(str)
    for c in ("items", "annotations", "n_gold", "items_checked", "agreement_n_items"):
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype(int)
    for c in ("accuracy", "ci_low", "ci_high", "agreement", "agreement_ci_low", "agreement_ci_high", "qa_rate", "share"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["tier"] = out["tier"].fillna("standard").astype(str)
    out = out[(out["annotations"] > 0) | (out["n_gold"] > 0)]
    return out.sort_values(["annotations", "label"], ascending=[False, True]).reset_index(drop=True)


def _annotator_table(engine: Engine, f: Filters, conf: float) -> pd.DataFrame:
    """Per annotator: volume (all annotations in scope) and accuracy vs gold: ``annotator_id, team,
    annotations, share, accuracy, ci_low, ci_high, n_gold``."""
    from analytics import accuracy as acc

    vol = query_df(engine, "gate_annotator_volume", **f.params())
    vol = (vol.assign(team=vol["team"].astype(object).where(vol["team"].notna(), None))
              .groupby("annotator_id", as_index=False, dropna=False)
              .agg(annotations=("n_annotations", "sum"), team=("team", "first")))
    vol["share"] = vol["annotations"] / vol["annotations"].sum()
    a = acc.accuracy_from_db(engine, f, by="annotator_id", confidence=conf)
    a = a.rename(columns={"n": "n_gold"})[["annotator_id", "accuracy", "ci_low", "ci_high", "n_gold"]]
    out = vol.merge(a, on="annotator_id", how="left")
    out["n_gold"] = pd.to_numeric(out["n_gold"], errors="coerce").fillna(0).astype(int)
    out["annotator_id"] = out["annotator_id"].astype(str)
    return out.sort_values(["annotations", "annotator_id"], ascending=[False, True]).reset_index(drop=True)


def _qa_totals(classes: pd.DataFrame) -> tuple[int, float]:
    items = int(classes["items"].sum())
    checked = int(classes["items_checked"].sum())
    return checked, (checked / items if items else math.nan)


# ----------------------------------------------------------------------------------------- builders
def delivery_report(engine: Engine | Connection, project_id: str, batch_id: str,
                    thresholds: Thresholds | None = None) -> DeliveryReport:
    """Build the client's delivery report for one batch. Unknown project or batch -> ``ValueError``."""
    from analytics import agreement as ag

    th = thresholds or load_thresholds()
    if isinstance(engine, Engine):  # one connection for every query
        with engine.connect() as con:
            return delivery_report(con, project_id, batch_id, th)
    p = _project(engine, project_id)
    batches = project_batches(engine, project_id)
    row = batches[batches["batch_id"] == batch_id]
    if row.empty:
        known = ", ".join(batches["batch_id"].astype(str)) or "none"
        raise ValueError(f"unknown batch {batch_id!r} in project {project_id!r}; batches: {known}")
    b = row.iloc[0]
    f = Filters(project_id, batch_id=batch_id)
    s = _scope_summary(engine, f)
    if int(s["n_annotations"] or 0) == 0:
        raise NoData(f"batch {batch_id!r} of project {project_id!r} has no annotations")
    conf = th.confidence(project_id)
    headline, pooled = _overall_accuracy(engine, f, conf)
    alpha = ag.agreement_from_db(engine, f, metric="krippendorff", confidence=conf)
    classes = _class_table(engine, f, conf)
    ann = _annotator_table(engine, f, conf)
    names = project_pseudonyms(engine, project_id)
    ann = ann.assign(pseudonym=ann["annotator_id"].astype(str).map(names)).drop(columns=["annotator_id"])
    small_n = th.small_n(project_id)
    ann["small_sample"] = ann["n_gold"] < small_n
    classes["small_sample"] = classes["n_gold"] < small_n
    checked, rate = _qa_totals(classes)
    return DeliveryReport(
        project_id=project_id, project_name=str(p["name"]), client=str(p["client"]),
        batch_id=batch_id, batch_name=str(b["name"]) if pd.notna(b["name"]) and b["name"] else batch_id,
        delivered_at=_ts(b["delivered_at"]), first_at=_ts(s["first_at"]), last_at=_ts(s["last_at"]),
        n_annotations=int(s["n_annotations"]), n_items=int(s["n_items"]), n_annotators=int(s["n_annotators"]),
        accuracy=headline, accuracy_pooled=pooled, agreement=alpha, items_checked=checked, qa_rate=rate,
        classes=classes, annotators=ann[["pseudonym", "annotations", "share", "accuracy", "ci_low", "ci_high",
                                         "n_gold", "small_sample"]],
        confidence=conf, small_n=small_n, generated_at=_now(),
    )


def weekly_report(engine: Engine | Connection, project_id: str, week: str,
                  thresholds: Thresholds | None = None) -> WeeklyReport:
    """Build the QA lead's weekly report for ISO week ``week`` (e.g. ``2026-W35``).

    Unknown project, malformed week or a week without annotations -> ``ValueError``.
    """
    from analytics import accuracy as acc
    from analytics import agreement as ag

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


# ------------------------------------------------------------------------------------------ rendering
_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#ffffff; --soft:#f9fafb; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: var(--bg); margin: 0; line-height: 1.45; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; } h2 { font-size: 1.25rem; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.headline { font-size: 1.15rem; background: var(--soft); border-left: 4px solid #2563eb; padding: 12px 16px; margin: 16px 0; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 12px 0; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.kpi .v { font-size: 1.35rem; font-weight: 600; } .kpi .l { color: var(--muted); font-size: .85rem; }
.kpi .d { color: var(--muted); font-size: .8rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: 8px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { white-space: nowrap; }
th { background: var(--soft); font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.flag { color: #92400e; font-size: .8rem; } .crit { color: #b91c1c; font-weight: 600; font-size: .8rem; }
.dot { display: inline-block; width: .7em; height: .7em; border-radius: 50%; margin-right: .35em; vertical-align: baseline; }
.pass { color: #166534; } .warn { color: #92400e; font-weight: 600; } .fail { color: #b91c1c; font-weight: 700; }
.notes li { margin-bottom: 6px; } footer { color: var(--muted); font-size: .8rem; margin-top: 36px; }
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _pct(x: Any, digits: int = 1) -> str:
    v = _num(x)
    return "–" if v is None else f"{100 * v:.{digits}f}%"


def _pct_ci(v: Any, lo: Any, hi: Any, digits: int = 1) -> str:
    if _num(v) is None:
        return "–"
    s = _pct(v, digits)
    if _num(lo) is not None and _num(hi) is not None:
        s += f" ({100 * float(lo):.{digits}f}–{100 * float(hi):.{digits}f}%)"
    return s


def _idx_ci(v: Any, lo: Any, hi: Any) -> str:
    if _num(v) is None:
        return "–"
    s = f"{float(v):.2f}"
    if _num(lo) is not None and _num(hi) is not None:
        s += f" ({float(lo):.2f}–{float(hi):.2f})"
    return s


def _int(x: Any) -> str:
    v = _num(x)
    return "–" if v is None else f"{int(round(v)):,}"


def _date(x: Any) -> str:
    if x is None:
        return "–"
    return pd.Timestamp(x).strftime("%d %b %Y").lstrip("0")


def _table(headers: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """headers: (title, numeric); rows: already-escaped cell HTML."""
    th = "".join(f'<th class="num">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>" for h, num in headers)
    body = []
    for r in rows:
        tds = "".join(f'<td class="num">{c}</td>' if headers[i][1] else f"<td>{c}</td>" for i, c in enumerate(r))
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _kpi(label: str, value: str, detail: str = "") -> str:
    d = f'<div class="d">{_e(detail)}</div>' if detail else ""
    return f'<div class="kpi"><div class="l">{_e(label)}</div><div class="v">{_e(value)}</div>{d}</div>'


def _figure_html(fig) -> str:
    return fig.to_html(include_plotlyjs=False, full_html=False,
                       config={"displaylogo": False, "responsive": True})


def _document(title: str, body: str, figures: bool) -> str:
    lib = ""
    if figures:
        from plotly.offline import get_plotlyjs

        lib = f'<script id="plotly-js" type="text/javascript">{get_plotlyjs()}</script>'
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style>{lib}</head>"
            f"<body><main>{body}</main></body></html>\n")


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


def _class_share_figure(classes: pd.DataFrame, title: str):
    import plotly.graph_objects as go

    d = classes[classes["annotations"] > 0].sort_values("annotations")
    if d.empty:
        return None
    fig = go.Figure(go.Bar(x=d["share"], y=d["label"], orientation="h", marker_color="#64748b",
                           customdata=d["annotations"],
                           hovertemplate="%{y}: %{x:.2%} (%{customdata:,} labels)<extra></extra>"))
    fig.update_layout(title=title, xaxis=dict(tickformat=".1%", title="share of labels"),
                      height=max(260, 22 * len(d) + 100), margin=dict(l=10, r=10, t=50, b=40),
                      template="plotly_white")
    return fig


def _class_rows(classes: pd.DataFrame, small_n: int) -> list[list[str]]:
    rows = []
    for r in classes.itertuples(index=False):
        flag = ""
        if r.n_gold == 0:
            flag = '<span class="flag">not checked against expert labels</span>'
        elif r.n_gold < small_n:
            flag = f'<span class="flag">only {r.n_gold} checks: too few to judge</span>'
        tier = ' <span class="crit">critical</span>' if r.tier == "critical" else ""
        rows.append([
            _e(r.label) + tier,
            _int(r.annotations),
            _pct(r.share, 2),
            _pct_ci(r.accuracy, r.ci_low, r.ci_high) if r.n_gold else "–",
            _int(r.n_gold),
            _idx_ci(r.agreement, r.agreement_ci_low, r.agreement_ci_high),
            f"{_int(r.items_checked)} of {_int(r.items)} ({_pct(r.qa_rate)})",
            flag,
        ])
    return rows


_CLASS_HEADERS = [("Class", False), ("Labels", True), ("Share", True), ("Accuracy (95% CI)", True),
                  ("Checked labels", True), ("Agreement (95% CI)", True), ("Items checked by QA", True),
                  ("Note", False)]


def render_delivery_html(r: DeliveryReport) -> str:
    """The client's delivery report as one self-contained HTML document."""
    conf = f"{round(100 * r.confidence)}%"
    acc = r.accuracy
    if acc.defined:
        head = (f"Of the {r.n_annotations:,} labels delivered in batch {_e(r.batch_id)}, we estimate "
                f"<b>{_pct(acc.value)}</b> ({_pct(acc.ci_low)}–{_pct(acc.ci_high)}) are correct, based on "
                f"{acc.n:,} labels checked against expert (gold) labels.")
    else:
        head = (f"{r.n_annotations:,} labels were delivered in batch {_e(r.batch_id)}. Their accuracy could not "
                f"be estimated: {_e(acc.reason or 'no labels were checked against expert labels')}.")
    crit = r.classes[r.classes["tier"] == "critical"]
    crit_txt = ""
    for c in crit.itertuples(index=False):
        if 0 < c.n_gold < r.small_n:
            crit_txt += (f" The critical class <b>{_e(c.label)}</b> had only {c.n_gold:,} labels checked against "
                         f"expert labels in this batch, too few to judge its accuracy (observed {_pct(c.accuracy)}, "
                         f"range {_pct(c.ci_low)}–{_pct(c.ci_high)}).")
        elif c.n_gold:
            crit_txt += (f" For the critical class <b>{_e(c.label)}</b> the estimate is {_pct(c.accuracy)} "
                         f"({_pct(c.ci_low)}–{_pct(c.ci_high)}, {c.n_gold:,} checked labels).")
        else:
            crit_txt += f" The critical class <b>{_e(c.label)}</b> has no labels checked against expert labels."
    period = f"{_date(r.first_at)} to {_date(r.last_at)}"
    kpis = "".join([
        _kpi("Labels delivered", f"{r.n_annotations:,}", f"on {r.n_items:,} items"),
        _kpi("Estimated accuracy", _pct(acc.value), f"{conf} CI {_pct(acc.ci_low)}–{_pct(acc.ci_high)}" if acc.defined else (acc.reason or "")),
        _kpi("Agreement (Krippendorff's α)", _idx_ci(r.agreement.value, None, None),
             f"{conf} CI {r.agreement.ci_low:.2f}–{r.agreement.ci_high:.2f}, {r.agreement.n_items or r.agreement.n:,} items"
             if r.agreement.defined else (r.agreement.reason or "")),
        _kpi("Items checked by QA", f"{r.items_checked:,}", f"{_pct(r.qa_rate)} of items"),
        _kpi("Annotators", f"{r.n_annotators:,}", "shown under pseudonyms"),
    ])
    figs = [f for f in (_class_accuracy_figure(r.classes, r.small_n, "Accuracy per class (with 95% interval)"),
                        _class_share_figure(r.classes, "What the batch contains")) if f is not None]
    ann_rows = [[_e(a.pseudonym), _int(a.annotations), _pct(a.share),
                 _pct_ci(a.accuracy, a.ci_low, a.ci_high) if a.n_gold else "–", _int(a.n_gold),
                 '<span class="flag">too few checks to judge</span>' if a.small_sample else ""]
                for a in r.annotators.itertuples(index=False)]
    notes = [
        "<b>Accuracy.</b> Some items in the batch were also labelled by experts (gold labels). We compare "
        "each label on those items with the expert's label. The overall figure combines the classes in "
        "proportion to how often each class occurs in the batch (a stratified estimate), so classes we "
        "checked more heavily do not tilt it." + (
            f" Counting every checked label equally gives {_pct(r.accuracy_pooled.value)}."
            if r.accuracy_pooled.defined and r.accuracy is not r.accuracy_pooled else ""),
        f"<b>Ranges in brackets</b> are {conf} confidence intervals: given how many labels we checked, the "
        "true value very likely lies inside. For a single class we use the Wilson score interval; a range is "
        "wide when few labels of that class were checked.",
        f"<b>Small samples.</b> A class or annotator with fewer than {r.small_n} checked labels is shown but "
        "flagged: that is too few to draw a conclusion.",
        "<b>Agreement</b> (Krippendorff's alpha) measures how often independent annotators chose the same label "
        "for the same item, beyond what chance alone would give: 1 is perfect agreement, 0 is chance level; 0.8 "
        "or more is conventionally taken as reliable. Per class we show specific agreement: when one annotator "
        "chose the class, how often another annotator of the same item chose it too. Its range comes from "
        "resampling items (bootstrap).",
        "<b>QA coverage</b> counts items that were checked by an expert label or a reviewer.",
        "<b>Annotators</b> are shown under pseudonyms (Annotator A is the one who labelled the most in this batch).",
    ]
    body = [
        f"<h1>Delivery report: {_e(r.project_name)}, batch {_e(r.batch_id)}</h1>",
        f'<p class="sub">Prepared for {_e(r.client)}. '
        + (f"{_e(r.batch_name)}. " if r.batch_name != r.batch_id else "") + f"Labels created {period}"
        + (f", delivered {_date(r.delivered_at)}" if r.delivered_at else "") + ".</p>",
        f'<div class="headline">{head}{crit_txt}</div>',
        f'<div class="kpis">{kpis}</div>',
        "<h2>Quality per class</h2>",
        _table(_CLASS_HEADERS, _class_rows(r.classes, r.small_n)),
        *[_figure_html(f) for f in figs],
        "<h2>Annotators</h2>",
        _table([("Annotator", False), ("Labels", True), ("Share", True), ("Accuracy (95% CI)", True),
                ("Checked labels", True), ("Note", False)], ann_rows),
        "<h2>How these numbers were computed</h2>",
        '<ul class="notes">' + "".join(f"<li>{n}</li>" for n in notes) + "</ul>",
        f"<footer>Generated {_e(r.generated_at)} by LabelQA.</footer>",
    ]
    return _document(f"Delivery report: {r.project_name}, batch {r.batch_id}", "\n".join(body), bool(figs))


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
    from analytics.gate import format_observed  # the gate's text rendering of a check

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
