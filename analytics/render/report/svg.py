"""Static SVG charts for the client's delivery report: no script, nothing fetched, a few kilobytes each (the
plotly bundle alone is ~4.6 MB). Every label from data is HTML-escaped, so ``<b>x</b>`` shows as those
characters. The dashboard's delivery page draws the same charts (same rows, colours and legend) with plotly."""
from __future__ import annotations

import html
import math
from typing import Sequence

import pandas as pd

from analytics.thresholds import STATUS_COLOURS

__all__ = ["forest_svg", "bars_svg", "legend_html", "VERDICT_COLOURS", "VERDICT_WORDS"]

# One colour per verdict (the quality layer's status palette) and the words of its legend.
VERDICT_COLOURS = {"met": STATUS_COLOURS["green"], "not met": STATUS_COLOURS["red"],
                   "not enough evidence": STATUS_COLOURS["grey"]}
VERDICT_WORDS = {"met": "meets its target", "not met": "below its target",
                 "not enough evidence": "not enough evidence to judge"}
_INK, _MUTED, _LINE = "#1f2937", "#6b7280", "#e5e7eb"


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _clip(s: str, n: int = 28) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    """``(colour, words)`` pairs as an HTML legend under a chart."""
    return '<p class="legend">' + "".join(
        f'<span><span class="dot" style="background:{c}"></span>{_e(w)}</span>' for c, w in items) + "</p>"


def forest_svg(d: pd.DataFrame, title: str, *, label: str = "label", value: str = "accuracy",
               lo: str = "ci_low", hi: str = "ci_high", n: str = "n_gold", verdict: str = "verdict",
               star: str = "tier", ref: tuple[float, str] | None = None,
               width: int = 760) -> str:
    """Point + 95% interval per row (top first, the frame's order), x from 0 to 100%; colour = verdict against
    the class's target, ★ = critical class, dashed line = ``ref`` (x, words)."""
    rows = d.reset_index(drop=True)
    left, right, top, step = 210, 30, 44, 22
    h = top + step * len(rows) + 40
    x0, x1 = left, width - right
    sx = lambda v: x0 + (x1 - x0) * min(1.0, max(0.0, float(v)))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {h}" '
           f'width="100%" style="max-width:{width}px" aria-label="{_e(title)}">',
           f'<text x="0" y="18" font-size="15" font-weight="600" fill="{_INK}">{_e(title)}</text>']
    for t in range(0, 11, 2):
        x = sx(t / 10)
        out.append(f'<path d="M{x:.1f} {top - 6}V{h - 34}" stroke="{_LINE}"/>'
                   f'<text x="{x:.1f}" y="{h - 18}" font-size="11" text-anchor="middle" fill="{_MUTED}">{t * 10}%</text>')
    out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{h - 2}" font-size="11" text-anchor="middle" fill="{_MUTED}">'
               "share of checked labels that are correct</text>")
    for i, r in enumerate(rows.itertuples(index=False)):
        y = top + step * i + step / 2
        rd = r._asdict()
        name = ("★ " if rd.get(star) == "critical" else "") + _clip(str(rd[label]))
        bold = ' font-weight="600"' if rd.get(star) == "critical" else ""
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="{_INK}"{bold}>'
                   f"{_e(name)}<title>{_e(rd[label])}</title></text>")
        v, a, b = rd[value], rd[lo], rd[hi]
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        colour = VERDICT_COLOURS.get(str(rd.get(verdict)), VERDICT_COLOURS["not enough evidence"])
        if a is not None and b is not None and not (math.isnan(float(a)) or math.isnan(float(b))):
            out.append(f'<path d="M{sx(a):.1f} {y:.1f}H{sx(b):.1f}" stroke="#555" stroke-width="1.4"/>')
        tip = f"{rd[label]}: {100 * float(v):.1f}% ({100 * float(a):.1f}–{100 * float(b):.1f}%), n = {int(rd[n]):,}"
        out.append(f'<circle cx="{sx(v):.1f}" cy="{y:.1f}" r="5.5" fill="{colour}" stroke="#333" stroke-width="1">'
                   f"<title>{_e(tip)}</title></circle>")
    if ref is not None and ref[0] is not None and not math.isnan(float(ref[0])):
        x = sx(ref[0])
        out.append(f'<path d="M{x:.1f} {top - 10}V{h - 34}" stroke="#2f6690" stroke-dasharray="5,4"/>'
                   f'<text x="{x + 4:.1f}" y="{top - 14}" font-size="11" fill="#2f6690">{_e(ref[1])}</text>')
    out.append("</svg>")
    return "".join(out)


def bars_svg(d: pd.DataFrame, title: str, *, label: str = "label", value: str = "share", count: str = "annotations",
             width: int = 760, colour: str = "#64748b") -> str:
    """Horizontal bars (top first, the frame's order) of a share, with the count in the tooltip."""
    rows = d.reset_index(drop=True)
    left, right, top, step = 210, 60, 34, 20
    h = top + step * len(rows) + 10
    vmax = float(rows[value].max()) if len(rows) else 1.0
    vmax = vmax if vmax > 0 else 1.0
    x0, x1 = left, width - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {h}" '
           f'width="100%" style="max-width:{width}px" aria-label="{_e(title)}">',
           f'<text x="0" y="18" font-size="15" font-weight="600" fill="{_INK}">{_e(title)}</text>']
    for i, r in enumerate(rows.itertuples(index=False)):
        rd = r._asdict()
        y = top + step * i
        w = (x1 - x0) * float(rd[value]) / vmax
        tip = f"{rd[label]}: {100 * float(rd[value]):.2f}% ({int(rd[count]):,} labels)"
        out.append(f'<text x="{left - 8}" y="{y + 13}" font-size="12" text-anchor="end" fill="{_INK}">'
                   f"{_e(_clip(str(rd[label])))}</text>"
                   f'<rect x="{x0}" y="{y + 3}" width="{max(w, 0.5):.1f}" height="{step - 6}" fill="{colour}">'
                   f"<title>{_e(tip)}</title></rect>"
                   f'<text x="{x0 + w + 4:.1f}" y="{y + 13}" font-size="11" fill="{_MUTED}">{100 * float(rd[value]):.1f}%</text>')
    out.append("</svg>")
    return "".join(out)
