"""HTML building blocks shared by the weekly and the delivery report: the stylesheet, number formatting,
tables, KPI tiles and the document shell. Every string from data goes through ``_e`` (HTML escape); every
plotly figure goes through ``analytics.render.plotly_safe.escape_figure`` before it is written."""
from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from analytics.render.plotly_safe import escape_figure

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
    """A plotly figure as a ``<div>`` + ``Plotly.newPlot`` script (the library is inlined once by ``_document``);
    labels from data are escaped first (plotly renders pseudo-HTML in text, hover and tick strings)."""
    return escape_figure(fig).to_html(include_plotlyjs=False, full_html=False,
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

