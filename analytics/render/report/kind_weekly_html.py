"""HTML of the region kinds' weekly report (:mod:`analytics.render.report.kind_weekly`): the gate's checks of the
week with n and intervals, the trends (pairwise F1 per label and F1 against the reference, by week), the week's
labels and the kind's findings. Every value from the data goes through ``_e``; plotly figures through
``_figure_html`` (escaped labels), plotly.js inlined once by ``_document``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.gate import format_observed
from analytics.render.report.html import _date, _document, _e, _figure_html, _idx_ci, _int, _kpi, _pct, _pct_ci, _table
from analytics.thresholds import STATUS_COLOURS

__all__ = ["render_kind_weekly_html"]

_ORDER = {"fail": 0, "warn": 1, "pass": 2}
_PALETTE = ("#2563eb", "#d97706", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626")
_AGREEMENT = {"boxes": "pairwise F1 between annotators (same-label boxes matched one-to-one at IoU ≥ 0.5)",
              "spans": "pairwise F1 between annotators (identical spans: start, end and label)",
              "multilabel": "Krippendorff's alpha with the MASI distance"}


def _gate_rows(g) -> list[list[str]]:
    rows = []
    for c in sorted(g.checks, key=lambda c: (_ORDER[c.outcome], c.rule, c.scope)):
        rows.append([f'<span style="white-space:nowrap"><span class="dot" style="background:{STATUS_COLOURS[c.status]}">'
                     f"</span>{_e(c.rule)}</span>",
                     _e(c.scope) + (' <span class="crit">critical</span>' if c.tier == "critical" else ""),
                     _e(format_observed(c)), _e(c.threshold),
                     f'<span class="{c.outcome}">{_e(c.outcome.upper())}{"" if c.judged else " (not judged)"}</span>',
                     _e(c.note or "")])
    return rows


def _band(fig, x, lo, hi, colour, row, col):
    import plotly.graph_objects as go

    fig.add_trace(go.Scatter(x=list(x) + list(x[::-1]), y=list(hi) + list(lo[::-1]), fill="toself", mode="lines",
                             line=dict(width=0), fillcolor=colour, opacity=0.15, hoverinfo="skip", showlegend=False),
                  row=row, col=col)


def _trend_figure(r):
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    agr, acc = r.agreement, r.accuracy
    if agr.empty and acc.empty:
        return None
    two = not acc.empty
    titles = (("Agreement by week: pairwise F1 per label" if r.kind != "multilabel" else "MASI alpha by week"),
              *(("Detection F1 vs reference by week" if r.kind == "boxes" else "Span F1 vs reference by week",)
                if two else ()))
    fig = make_subplots(rows=1, cols=2 if two else 1, subplot_titles=titles, horizontal_spacing=0.08)
    if not agr.empty:
        labels = [lab for lab in sorted(agr["label"].unique()) if lab != ""]
        for k, lab in enumerate(labels):
            d = agr[agr["label"] == lab].sort_values("week")
            fig.add_trace(go.Scatter(x=d["week"], y=d["mean"], mode="lines+markers", name=str(lab),
                                     line=dict(color=_PALETTE[k % len(_PALETTE)], width=1.5), marker=dict(size=5),
                                     customdata=np.stack([d["ci_low"], d["ci_high"], d["n_items"]], axis=1),
                                     hovertemplate=f"{lab}: %{{y:.2f}} (%{{customdata[0]:.2f}}–%{{customdata[1]:.2f}}),"
                                                   " n=%{customdata[2]} items<extra></extra>"), row=1, col=1)
        d = agr[agr["label"] == ""].sort_values("week")
        if len(d):
            _band(fig, list(d["week"]), list(d["ci_low"]), list(d["ci_high"]), "#111827", 1, 1)
            fig.add_trace(go.Scatter(x=d["week"], y=d["mean"], mode="lines+markers", name="all labels (95% CI)",
                                     line=dict(color="#111827", width=3)), row=1, col=1)
    if two:
        d = acc.sort_values("week")
        _band(fig, list(d["week"]), list(d["f1_ci_low"]), list(d["f1_ci_high"]), "#dc2626", 1, 2)
        fig.add_trace(go.Scatter(x=d["week"], y=d["f1"], mode="lines+markers", name="F1 vs reference (95% CI)",
                                 line=dict(color="#dc2626", width=3),
                                 customdata=np.stack([d["n_gold"], d["n_annotated"]], axis=1),
                                 hovertemplate="%{y:.3f}, n=%{customdata[0]} reference / %{customdata[1]} "
                                               "annotated<extra></extra>"), row=1, col=2)
    for c in range(1, 3 if two else 2):
        fig.add_vline(x=pd.Timestamp(r.week_start).timestamp() * 1000, line=dict(color="#9ca3af", dash="dot"),
                      row=1, col=c)
    # one y range for both panels, from just under the lowest interval bound to 1 (lines near 0.9 stay apart)
    lows = [v for v in (agr.get("ci_low"), agr.get("mean"), acc.get("f1_ci_low"), acc.get("f1")) if v is not None]
    low = float(np.nanmin(pd.concat(lows, ignore_index=True).astype(float))) if lows else 0.0
    floor = max(0.0, np.floor(10 * (low - 0.05)) / 10) if np.isfinite(low) else 0.0
    fig.update_yaxes(range=[floor, 1.01], title_text="F1" if r.kind != "multilabel" else "alpha", row=1, col=1)
    if two:
        fig.update_yaxes(range=[floor, 1.01], title_text="F1", row=1, col=2)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=50, b=30), template="plotly_white",
                      legend=dict(orientation="h", y=-0.12))
    return fig


def _forest(d: pd.DataFrame, y: str, x: str, lo: str, hi: str, title: str, xtitle: str, red, fmt: str = ".2f",
            ref: float | None = None):
    import plotly.graph_objects as go

    if d.empty:
        return None
    fig = go.Figure(go.Scatter(
        x=d[x], y=d[y].astype(str), mode="markers", marker=dict(size=10, color=np.where(red, "#dc2626", "#2563eb")),
        error_x=dict(type="data", symmetric=False, array=(d[hi] - d[x]).clip(lower=0),
                     arrayminus=(d[x] - d[lo]).clip(lower=0)),
        hovertemplate=f"%{{y}}: %{{x:{fmt}}}<extra></extra>"))
    if ref is not None:
        fig.add_vline(x=ref, line=dict(color="#9ca3af", dash="dot"))
    fig.update_layout(title=title, xaxis=dict(title=xtitle), height=max(260, 30 * len(d) + 110),
                      margin=dict(l=10, r=10, t=50, b=40), template="plotly_white")
    fig.update_yaxes(autorange="reversed")
    return fig


def _box_findings(f: dict, figs: list) -> list[str]:
    out = []
    b = f.get("size_bias")
    if b is not None and len(b):
        pct = lambda v: f"{100 * (np.exp(v) - 1):+.1f}%"  # noqa: E731
        rows = [[_e(r.annotator_id), _e(r.team if isinstance(r.team, str) else "–"),
                 f"{pct(r.log_area_ratio)} ({pct(r.log_area_ratio_ci_low)} to {pct(r.log_area_ratio_ci_high)})",
                 f"{100 * r.dx:+.1f}% / {100 * r.dy:+.1f}%", _int(r.n),
                 f'<span class="{r.outcome}">{_e(str(r.outcome).upper())}</span>' if isinstance(r.outcome, str)
                 else "–"] for r in b.itertuples(index=False)]
        out += ["<h3>Localisation bias per annotator</h3>",
                '<p class="sub">Matched boxes against the reference: area change (mean log area ratio, t 95% CI) '
                "and centre offset in gold widths / heights. The gate's <code>region_size_bias</code> result "
                "in the last column.</p>",
                _table([("Annotator", False), ("Team", False), ("Area vs reference (95% CI)", True),
                        ("Centre offset x / y", True), ("Matched boxes", True), ("Gate", False)], rows)]
        d = b.assign(pct=100 * (np.exp(b["log_area_ratio"]) - 1), lo=100 * (np.exp(b["log_area_ratio_ci_low"]) - 1),
                     hi=100 * (np.exp(b["log_area_ratio_ci_high"]) - 1))
        figs.append(("size_bias", _forest(d, "annotator_id", "pct", "lo", "hi", "Box area vs reference per annotator",
                                          "area change (%), 95% CI", (d["outcome"] == "fail").to_numpy(), "+.1f",
                                          ref=0.0)))
        out.append("{fig:size_bias}")
    c = f.get("confusions")
    if c is not None and len(c):
        out += ["<h3>Label confusions among matched boxes</h3>",
                '<p class="sub">Boxes matched to a reference box on IoU alone but labelled otherwise; share of that '
                "reference label's matched boxes (Wilson 95% CI), the eight with the highest lower bound.</p>",
                _table([("Reference label", False), ("Annotated as", False), ("Boxes", True), ("Share (95% CI)", True),
                        ("Matched boxes of the label", True)],
                       [[_e(r.gold_label), _e(r.label), _int(r.n), _pct_ci(r.share, r.share_ci_low, r.share_ci_high),
                         _int(r.n_gold_matched)] for r in c.itertuples(index=False)])]
    m = f.get("misses")
    if m is not None and len(m):
        keys = [k for k in ("team", "lighting", "size") if k in m.columns]
        out += ["<h3>Missed reference boxes by " + " × ".join(keys) + "</h3>",
                '<p class="sub">Share of reference boxes an annotator who saw the image left out (no same-label '
                "IoU ≥ 0.5 match; Wilson 95% CI); the ten highest.</p>",
                _table([*((k.capitalize(), False) for k in keys), ("Missed (95% CI)", True), ("Reference boxes", True)],
                       [[*(_e(getattr(r, k)) for k in keys), _pct_ci(r.miss_rate, r.miss_rate_ci_low,
                                                                     r.miss_rate_ci_high), _int(r.n_gold)]
                        for r in m.itertuples(index=False)])]
    return out


def _span_findings(f: dict, figs: list) -> list[str]:
    a = f.get("annotators")
    if a is None or a.empty:
        return []
    rows = [[_e(r.annotator_id), _idx_ci(r.f1, r.f1_ci_low, r.f1_ci_high),
             _idx_ci(r.f1_token, r.f1_ci_low_token, r.f1_ci_high_token), _pct(r.boundary_rate), _pct(r.label_rate),
             _pct(r.spurious_rate), _pct(r.miss_rate), _int(r.n_spans), _int(r.n_gold),
             '<span class="warn">merges or splits entities</span>' if r.merges else ""]
            for r in a.itertuples(index=False)]
    d = a.sort_values("f1")
    figs.append(("spans", _span_figure(d)))
    return ["<h3>Annotators against the reference</h3>",
            '<p class="sub">Instance F1 (identical spans) and token F1 (labelled tokens) against the reference, 95% '
            "bootstrap intervals over item buckets; shares of the annotator's spans with a boundary error, a wrong "
            "label or no reference counterpart, and the share of reference spans they missed. An instance F1 whose "
            "interval lies under the other annotators' median, falling short of it more than twice as far as the "
            "token F1 falls short of theirs, flags an annotator who merges or splits entities.</p>",
            _table([("Annotator", False), ("Instance F1 (95% CI)", True), ("Token F1 (95% CI)", True),
                    ("Boundary", True), ("Label", True), ("Spurious", True), ("Missed", True), ("Spans", True),
                    ("Reference spans", True), ("Flag", False)], rows),
            "{fig:spans}"]


def _span_figure(d: pd.DataFrame):
    import plotly.graph_objects as go

    fig = go.Figure()
    for col, lo, hi, name, colour in (("f1", "f1_ci_low", "f1_ci_high", "instance F1", "#2563eb"),
                                      ("f1_token", "f1_ci_low_token", "f1_ci_high_token", "token F1", "#d97706")):
        fig.add_trace(go.Scatter(x=d[col], y=d["annotator_id"].astype(str), mode="markers", name=name,
                                 marker=dict(size=10, color=colour),
                                 error_x=dict(type="data", symmetric=False, array=(d[hi] - d[col]).clip(lower=0),
                                              arrayminus=(d[col] - d[lo]).clip(lower=0))))
    fig.update_layout(title="Span F1 vs reference per annotator: instance and token level",
                      xaxis=dict(range=[0, 1.02], title="F1, 95% CI"), height=max(260, 34 * len(d) + 120),
                      margin=dict(l=10, r=10, t=50, b=40), template="plotly_white",
                      legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(autorange="reversed")
    return fig


def _label_rows(r) -> list[list[str]]:
    rows = []
    for x in r.labels.itertuples(index=False):
        rows.append([_e(x.label), _int(x.n_annotated), _int(x.n_items), _int(x.n_annotators), _int(x.n_gold),
                     _idx_ci(getattr(x, "mean", None), getattr(x, "ci_low", None), getattr(x, "ci_high", None)),
                     _int(getattr(x, "n_pair_items", None))])
    return rows


def render_kind_weekly_html(r) -> str:
    """The weekly report of a region project as one self-contained HTML document."""
    g, k = r.gate, r.gate.counts
    verdict = {"fail": "FAILS", "warn": "passes with warnings", "pass": "passes"}[g.outcome]
    wk = pd.Timestamp(r.week_start)
    agr = r.agreement[(r.agreement["week"] == wk) & (r.agreement["label"] == "")] if len(r.agreement) else r.agreement
    acc = r.accuracy[r.accuracy["week"] == wk] if len(r.accuracy) else r.accuracy
    a0, c0 = (agr.iloc[0] if len(agr) else None), (acc.iloc[0] if len(acc) else None)
    unit = {"boxes": "boxes", "spans": "spans", "multilabel": "chosen labels"}[r.kind]
    kpis = "".join([
        _kpi(unit.capitalize(), f"{r.n_regions:,}", f"{r.n_items:,} items, {r.n_annotators} annotators"),
        _kpi("Agreement" + (" (MASI α)" if r.kind == "multilabel" else " (pairwise F1)"),
             _idx_ci(a0["mean"], None, None) if a0 is not None else "–",
             f"95% CI {a0['ci_low']:.2f}–{a0['ci_high']:.2f}, n={int(a0['n_items']):,} items"
             if a0 is not None and pd.notna(a0["ci_low"]) else "no item with two annotators"),
        *([] if r.kind == "multilabel" else [_kpi(
            "F1 vs reference", _idx_ci(c0["f1"], None, None) if c0 is not None else "–",
            f"95% CI {c0['f1_ci_low']:.2f}–{c0['f1_ci_high']:.2f}, n={int(c0['n_gold']):,} reference regions"
            if c0 is not None and pd.notna(c0["f1_ci_low"]) else "no reference this week")]),
        _kpi("Quality gate", g.outcome.upper(), f"{k['fail']} fail, {k['warn']} warn, {k['pass']} pass"),
    ])
    figs: list = []
    trend = _trend_figure(r)
    findings = (_box_findings(r.findings, figs) if r.kind == "boxes"
                else _span_findings(r.findings, figs) if r.kind == "spans" else [])
    if r.kind == "multilabel" and len(r.findings.get("per_label", [])):
        pl = r.findings["per_label"]
        findings = ["<h3>Binary alpha per label</h3>",
                    _table([("Label", False), ("Alpha (95% CI)", True), ("Times chosen", True)],
                           [[_e(x.label), _idx_ci(x.alpha, x.ci_low, x.ci_high), _int(x.n_chosen)]
                            for x in pl.itertuples(index=False)])]
    shown = {name: fig for name, fig in figs if fig is not None}
    findings = [_figure_html(shown[s[5:-1]]) if s.startswith("{fig:") else s for s in findings
                if not s.startswith("{fig:") or s[5:-1] in shown]
    body = [
        f"<h1>Weekly label-quality report: {_e(r.project_name)}, {_e(r.week)}</h1>",
        f'<p class="sub">Client {_e(r.client)}. {_e(r.kind_title)} project. Week {_date(r.week_start)} to '
        f"{_date(r.week_end)}. Thresholds: {_e(g.thresholds_path or 'built-in')}."
        + (f" The {_e(r.reference)}." if r.reference else "") + "</p>",
        f'<div class="headline">The {_e(r.kind_title.lower())} quality gate <b>{verdict}</b> for this week: '
        f'{k["fail"]} rule checks fail, {k["warn"]} warn ({k["not_judged"]} could not be judged) and {k["pass"]} '
        "pass.</div>",
        f'<div class="kpis">{kpis}</div>',
        "<h2>Quality gate</h2>",
        _table([("Rule", False), ("Subject", False), ("Observed (95% CI) n", False), ("Threshold", False),
                ("Result", False), ("Note", False)], _gate_rows(g)) if g.checks
        else "<p>The kind's rules judge nothing this week.</p>",
        "<h2>Trends up to this week</h2>",
        f'<p class="sub">{_e(_AGREEMENT[r.kind])}, per label and over all labels (95% bootstrap interval over item '
        "buckets)" + ("; F1 against the reference regions (95% bootstrap interval)." if len(r.accuracy) else ".")
        + " The dotted line marks this week.</p>",
        _figure_html(trend) if trend is not None else "<p>No week with two annotators on an item yet.</p>",
        "<h2>Labels this week</h2>",
        _table([("Label", False), (unit.capitalize(), True), ("Items", True), ("Annotators", True),
                ("Reference", True), ("Agreement (95% CI)", True), ("Items with a pair", True)], _label_rows(r)),
        "<h2>Findings this week</h2>",
        *(findings or ["<p>No reference regions this week: nothing to compare the annotators with.</p>"]),
        "<h2>Method</h2>",
        '<ul class="notes">'
        f"<li>The checks are the {_e(r.kind_title.lower())} kind's rules on this week's annotations (the same "
        f"evaluation as <code>labelqa gate --project {_e(r.project_id)} --since {_e(r.week_start)} --until "
        f"{_e(r.week_end)}</code>).</li>"
        "<li>Reference: an item's gold regions; on an item without gold, the regions of an annotator whose every "
        "region there was reviewed, as reviewed (accepted kept, corrections applied, rejected dropped). Annotators "
        "are scored as they drew; items with neither gold nor a complete review are left out.</li>"
        "<li>Agreement intervals: percentile bootstrap over 64 md5 item buckets; proportions: Wilson 95%.</li>"
        "</ul>",
        f"<footer>Generated {_e(r.generated_at)} by LabelQA.</footer>",
    ]
    return _document(f"Weekly report: {r.project_name}, {r.week}", "\n".join(body), trend is not None or bool(shown))
