"""Plotly figure builders for the pages: they only draw frames that ``analytics`` computed.

Every figure has a title, axis titles with units, and sizes itself to its number of categories so that
30+ class names stay readable (one row per class, long names on the y axis, rotated x ticks on
heatmaps). Status colours come from ``ui.common.STATUS``.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.render.plotly_safe import escape_figure
from ui.common import STATUS

COLOUR = {k: v[3] for k, v in STATUS.items()}
BLUE = "#2f6690"
LIGHT_BLUE = "rgba(47,102,144,0.18)"
ROW_PX = 24  # pixels per category row: 30 classes -> ~720 px, every label readable
FONT = dict(size=13)


def rows_height(n_rows: int, base: int = 170, per_row: int = ROW_PX, min_h: int = 300, max_h: int = 2400) -> int:
    return int(min(max(base + per_row * max(n_rows, 1), min_h), max_h))


def style(fig: go.Figure, title: str, x_title: str | None = None, y_title: str | None = None,
          height: int | None = None, legend: bool = True) -> go.Figure:
    """Common layout: title, axis titles, margins, white template, legend on top."""
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)),
        template="plotly_white", font=FONT, margin=dict(l=10, r=20, t=70, b=10),
        showlegend=legend, legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
        hoverlabel=dict(font_size=12),
    )
    if height:
        fig.update_layout(height=height)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title, automargin=True)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title, automargin=True)
    return fig


def forest(df: pd.DataFrame, label: str, value: str, lo: str, hi: str, n: str, title: str, x_title: str,
           status: str | None = None, small: str | None = None, highlight: Iterable[str] = (),
           refs: Sequence[tuple[float, str, str]] = (), pct: bool = True, x_range: tuple[float, float] | None = None,
           label_title: str = "") -> go.Figure:
    """Point + interval per row, marker area proportional to ``n``; rows in the frame's order (top first).

    ``status`` column: green/amber/red/grey colours; ``small``: bool column, small samples drawn hollow grey
    and labelled "(small n)"; ``highlight``: labels shown in bold with a star (e.g. critical classes);
    ``refs``: vertical lines (x, text, colour).
    """
    d = df.reset_index(drop=True).copy()
    hl = set(map(str, highlight))
    names = [(f"★ {v}" if str(v) in hl else str(v)) + (" (small n)" if small and bool(d.loc[i, small]) else "")
             for i, v in enumerate(d[label])]
    d["_name"] = names
    nn = pd.to_numeric(d[n], errors="coerce").fillna(0).to_numpy(float)
    size = 7 + 17 * np.sqrt(nn / nn.max()) if len(nn) and nn.max() > 0 else np.full(len(d), 8.0)
    colours = [COLOUR.get(str(s), BLUE) for s in d[status]] if status else [BLUE] * len(d)
    if small:
        colours = [COLOUR["grey"] if bool(sm) else c for sm, c in zip(d[small], colours)]
    mult = 100.0 if pct else 1.0
    fmt = ".1f" if pct else ".3f"
    unit = "%" if pct else ""
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=d[value] * mult, y=d["_name"], mode="markers",
        marker=dict(size=size, color=colours, line=dict(width=1, color="#333"),
                    symbol=["circle-open" if small and bool(s) else "circle" for s in (d[small] if small else [False] * len(d))]),
        error_x=dict(type="data", symmetric=False, array=(d[hi] - d[value]) * mult,
                     arrayminus=(d[value] - d[lo]) * mult, color="#555", thickness=1.4, width=3),
        customdata=np.stack([d[lo] * mult, d[hi] * mult, nn], axis=-1),
        hovertemplate=f"<b>%{{y}}</b><br>%{{x:{fmt}}}{unit} (95% CI %{{customdata[0]:{fmt}}}–"
                      f"%{{customdata[1]:{fmt}}}{unit})<br>n = %{{customdata[2]:,.0f}}<extra></extra>",
        showlegend=False,
    ))
    refs = [r for r in refs if r[0] is not None and not (isinstance(r[0], float) and np.isnan(r[0]))]
    for i, (x, text, colour) in enumerate(sorted(refs, key=lambda r: r[0])):
        # Labels alternate above and below the plot so that close lines do not print over each other.
        fig.add_vline(x=x * mult, line=dict(color=colour, dash="dash", width=1.5),
                      annotation=dict(text=text, textangle=0, font=dict(size=11, color=colour),
                                      bgcolor="rgba(255,255,255,0.85)"),
                      annotation_position=("top" if i % 2 == 0 else "bottom") + (" left" if i < len(refs) / 2 else " right"))
    style(fig, title, x_title, label_title, height=rows_height(len(d), base=190), legend=False)
    fig.update_yaxes(autorange="reversed", type="category", tickmode="linear")
    if x_range:
        fig.update_xaxes(range=[x_range[0] * mult, x_range[1] * mult])
    fig.update_xaxes(ticksuffix=unit, showgrid=True)
    return fig


def heatmap(wide: pd.DataFrame, title: str, x_title: str, y_title: str, z_title: str, zmin: float | None = 0,
            zmax: float | None = 1, pct: bool = True, colorscale: str | list = "Blues",
            text: pd.DataFrame | None = None, hover_extra: pd.DataFrame | None = None,
            hover_extra_name: str = "n", marks: pd.DataFrame | None = None, square: bool = False) -> go.Figure:
    """A labelled heatmap of a wide frame (index = rows, columns = columns), every tick shown.

    ``text``: strings drawn in the cells (e.g. 'empty', 'thin'); ``hover_extra``: a frame of the same shape
    shown in the tooltip (e.g. counts); ``marks``: a boolean frame, True cells get an 'x' marker.
    """
    z = wide.to_numpy(dtype=float)
    mult = 100.0 if pct else 1.0
    xs = [str(c) for c in wide.columns]
    ys = [str(i) for i in wide.index]
    extra = hover_extra.reindex(index=wide.index, columns=wide.columns).to_numpy() if hover_extra is not None else None
    unit = "%" if pct else ""
    hover = f"{y_title}: %{{y}}<br>{x_title}: %{{x}}<br>{z_title}: %{{z:.1f}}{unit}" if pct else \
        f"{y_title}: %{{y}}<br>{x_title}: %{{x}}<br>{z_title}: %{{z:.3f}}"
    if extra is not None:
        hover += f"<br>{hover_extra_name}: %{{customdata:,.0f}}"
    fig = go.Figure(go.Heatmap(
        z=z * mult, x=xs, y=ys, colorscale=colorscale, zmin=None if zmin is None else zmin * mult,
        zmax=None if zmax is None else zmax * mult, customdata=extra, hovertemplate=hover + "<extra></extra>",
        colorbar=dict(title=dict(text=z_title + (" (%)" if pct else ""), side="right"), ticksuffix=unit),
        xgap=1, ygap=1, hoverongaps=False,
        text=text.reindex(index=wide.index, columns=wide.columns).fillna("").to_numpy() if text is not None else None,
        texttemplate="%{text}" if text is not None else None, textfont=dict(size=10),
    ))
    if marks is not None:
        m = marks.reindex(index=wide.index, columns=wide.columns).fillna(False).to_numpy(bool)
        yy, xx = np.nonzero(m)
        if len(yy):
            fig.add_trace(go.Scatter(x=[xs[i] for i in xx], y=[ys[i] for i in yy], mode="markers",
                                     marker=dict(symbol="x-thin", size=9, line=dict(width=1.5, color="#d73027")),
                                     name="empty / thin cell", hoverinfo="skip"))
    h = rows_height(len(ys), base=230, per_row=26 if len(ys) > 12 else 40)
    style(fig, title, x_title, y_title, height=h, legend=marks is not None)
    fig.update_xaxes(type="category", tickangle=-50 if len(xs) > 8 else 0, tickmode="linear", showgrid=False,
                     side="bottom")
    fig.update_yaxes(type="category", autorange="reversed", tickmode="linear", showgrid=False)
    if square:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def hbar(df: pd.DataFrame, label: str, value: str, title: str, x_title: str, log: bool = False,
         colour: str | None = None, colour_map: dict | None = None, highlight: Iterable[str] = (),
         hover: Sequence[str] = (), text: str | None = None, refs: Sequence[tuple[float, str, str]] = (),
         label_title: str = "") -> go.Figure:
    """Horizontal bars, one row per category in the frame's order (top first)."""
    d = df.reset_index(drop=True)
    hl = set(map(str, highlight))
    names = [f"★ {v}" if str(v) in hl else str(v) for v in d[label]]
    if colour and colour_map:
        colours = [colour_map.get(str(c), BLUE) for c in d[colour]]
    else:
        colours = [COLOUR["red"] if str(v) in hl else BLUE for v in d[label]]
    custom = np.stack([d[h].astype(str) for h in hover], axis=-1) if hover else None
    ht = f"<b>%{{y}}</b><br>{x_title}: %{{x:,}}"
    for i, h in enumerate(hover):
        ht += f"<br>{h}: %{{customdata[{i}]}}"
    fig = go.Figure(go.Bar(x=d[value], y=names, orientation="h", marker_color=colours, customdata=custom,
                           hovertemplate=ht + "<extra></extra>",
                           text=d[text] if text else None, textposition="outside" if text else None,
                           cliponaxis=False))
    for x, t, c in refs:
        # A line trace in data coordinates (vline shapes on log axes are placed in log units).
        fig.add_trace(go.Scatter(x=[x, x], y=[names[0], names[-1]], mode="lines+text", text=[t, ""],
                                 textposition="top right", textfont=dict(size=11, color=c),
                                 line=dict(color=c, dash="dash", width=1.5), hoverinfo="skip", showlegend=False))
    style(fig, title, x_title + (" (log scale)" if log else ""), label_title, height=rows_height(len(d)), legend=False)
    fig.update_yaxes(autorange="reversed", type="category", tickmode="linear")
    if log:
        fig.update_xaxes(type="log")
    return fig


def weekly(df: pd.DataFrame, x: str, y: str, title: str, y_title: str, lo: str | None = None, hi: str | None = None,
           group: str | None = None, n: str | None = None, threshold: float | None = None,
           threshold_text: str = "target", events: Sequence[tuple[dt.date, str]] = (), pct: bool = False,
           small: str | None = None, y_range: tuple[float, float] | None = None, height: int = 420,
           x_title: str = "Week (Monday)", extra_lines: Sequence[tuple[str, str, str]] = ()) -> go.Figure:
    """A weekly line per ``group`` with an interval band (``lo``/``hi``), a dashed threshold line and
    vertical event markers (e.g. schema-version changes). Small-sample points are drawn hollow grey.

    ``extra_lines``: (column, name, colour) drawn dashed without band (e.g. control limits).
    """
    mult = 100.0 if pct else 1.0
    unit = "%" if pct else ""
    fig = go.Figure()
    groups = [(None, df)] if group is None else list(df.groupby(group, sort=False))
    palette = ["#2f6690", "#d1495b", "#66a182", "#edae49", "#8e6c8a", "#00798c", "#30638e", "#003d5b"]
    for gi, (g, d) in enumerate(groups):
        d = d.sort_values(x)
        colour = palette[gi % len(palette)]
        name = str(g) if g is not None else y_title
        if lo and hi:
            fig.add_trace(go.Scatter(
                x=list(d[x]) + list(d[x])[::-1], y=list(d[hi] * mult) + list(d[lo] * mult)[::-1],
                fill="toself", fillcolor=_rgba(colour, 0.15), line=dict(width=0), hoverinfo="skip",
                name=f"{name} 95% CI", showlegend=group is None))
        custom = None
        ht = f"%{{x|%Y-%m-%d}}<br>{y_title}: %{{y:.{1 if pct else 3}f}}{unit}"
        cols = [c for c in (lo, hi, n) if c]
        if cols:
            custom = np.stack([d[c].astype(float) * (mult if c in (lo, hi) else 1) for c in cols], axis=-1)
            if lo and hi:
                ht += f" (95% CI %{{customdata[0]:.{1 if pct else 3}f}}–%{{customdata[1]:.{1 if pct else 3}f}}{unit})"
            if n:
                ht += f"<br>n = %{{customdata[{len(cols) - 1}]:,.0f}}"
        sm = d[small].fillna(False).astype(bool).to_numpy() if small else np.zeros(len(d), bool)
        fig.add_trace(go.Scatter(
            x=d[x], y=d[y] * mult, mode="lines+markers", name=name, line=dict(color=colour, width=2),
            marker=dict(size=[9 if s else 7 for s in sm], color=["white" if s else colour for s in sm],
                        line=dict(width=1.5, color=[COLOUR["grey"] if s else colour for s in sm])),
            customdata=custom, hovertemplate=ht + ("<extra>" + name + "</extra>")))
    for col, name, colour in extra_lines:
        d = df.sort_values(x)
        fig.add_trace(go.Scatter(x=d[x], y=d[col] * mult, mode="lines", name=name,
                                 line=dict(color=colour, dash="dot", width=1.5)))
    if threshold is not None:
        fig.add_hline(y=threshold * mult, line=dict(color=COLOUR["red"], dash="dash", width=1.5),
                      annotation=dict(text=threshold_text, font=dict(size=11, color=COLOUR["red"])),
                      annotation_position="bottom right")
    for when, text in events:
        fig.add_vline(x=pd.Timestamp(when).timestamp() * 1000, line=dict(color="#555", dash="dot", width=1.5),
                      annotation=dict(text=text, font=dict(size=11)), annotation_position="top left")
    style(fig, title, x_title, y_title + (f" ({unit})" if unit else ""), height=height, legend=True)
    fig.update_xaxes(tickformat="%b %d<br>%Y", showgrid=True)
    if pct:
        fig.update_yaxes(ticksuffix="%")
    if y_range:
        fig.update_yaxes(range=[y_range[0] * mult, y_range[1] * mult])
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def top_n(df: pd.DataFrame, show_all: bool, n: int = 20) -> pd.DataFrame:
    """The first ``n`` rows unless ``show_all`` (the frame is already sorted by what matters)."""
    return df if show_all or len(df) <= n else df.head(n)


def plotly_chart(fig: go.Figure, **kwargs):
    """``st.plotly_chart`` with every label from data escaped (plotly would render ``<b>``/``<a>`` in it)."""
    return st.plotly_chart(escape_figure(fig), **kwargs)
