"""Chart corrections the pages apply to ui.charts figures (issue 9 item 13): week ticks on Mondays, interval
bands that stop where the interval is undefined (no stray shapes across gaps), readable log axes, point labels
that do not overlap, and a shared scale for two series of the same unit."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["monday_ticks", "band_segments", "split_bands", "readable_log_axis", "label_points", "same_scale"]

WEEK_MS = 7 * 24 * 3600 * 1000


def monday_ticks(fig: go.Figure, weeks: Sequence, every: int | None = None, secondary: bool = False) -> go.Figure:
    """Date x axis ticks on the Mondays of ``weeks`` (every ``every`` weeks; default: about 13 ticks at most)."""
    w = pd.to_datetime(pd.Series(list(weeks))).dropna()
    if w.empty:
        return fig
    first = w.min().normalize()
    first = first - pd.Timedelta(days=first.day_of_week)  # the Monday of the first week
    span = max(1, int(round((w.max() - first).days / 7)) + 1)
    every = every or max(1, math.ceil(span / 13))
    fig.update_xaxes(tick0=first.strftime("%Y-%m-%d"), dtick=every * WEEK_MS, tickformat="%d %b<br>%Y",
                     ticklabelmode="instant")
    return fig


def band_segments(x: Sequence, lo: Sequence, hi: Sequence) -> tuple[list, list]:
    """Polygon coordinates of an interval band, one closed shape per run of weeks where both bounds are defined,
    separated by ``None`` (plotly fills each segment of a ``fill='toself'`` trace on its own)."""
    x, lo, hi = list(x), np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    ok = np.isfinite(lo) & np.isfinite(hi)
    xs: list = []
    ys: list = []
    i = 0
    while i < len(x):
        if not ok[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(x) and ok[j + 1]:
            j += 1
        seg = range(i, j + 1)
        if xs:
            xs.append(None)
            ys.append(None)
        if i == j:  # a single week: a thin vertical sliver so the interval stays visible
            xs += [x[i], x[i]]
            ys += [hi[i], lo[i]]
        else:
            xs += [x[k] for k in seg] + [x[k] for k in reversed(seg)]
            ys += [hi[k] for k in seg] + [lo[k] for k in reversed(seg)]
        i = j + 1
    return xs, ys


def split_bands(fig: go.Figure) -> go.Figure:
    """Rebuild every ``fill='toself'`` band trace of ``fig`` drawn as ``x + x[::-1]``, ``hi + lo[::-1]`` so that it
    breaks where a bound is missing instead of drawing a shape across the gap."""
    for tr in fig.data:
        if getattr(tr, "fill", None) != "toself" or tr.x is None or len(tr.x) % 2:
            continue
        n = len(tr.x) // 2
        x = list(tr.x[:n])
        hi = np.asarray([np.nan if v is None else v for v in tr.y[:n]], dtype=float)
        lo = np.asarray([np.nan if v is None else v for v in tr.y[n:]], dtype=float)[::-1]
        xs, ys = band_segments(x, lo, hi)
        tr.x, tr.y = xs, ys
        tr.line.width = 1 if any(v is None for v in xs) or len(xs) == 2 else tr.line.width
    return fig


def readable_log_axis(fig: go.Figure, values: Sequence[float], axis: str = "x") -> go.Figure:
    """Log axis ticks at 1, 2, 5 x powers of ten (or powers of ten alone over a wide range), written in full
    ('1,000' rather than '1k' or plotly's '2 5' minor labels)."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x) and x > 0], dtype=float)
    if v.size == 0:
        return fig
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    steps = (1,) if hi - lo > 3 else (1, 2, 5)
    ticks = [m * 10 ** e for e in range(lo, hi + 1) for m in steps if v.min() / 2 <= m * 10 ** e <= v.max() * 2]
    text = [f"{t:,.0f}" if t >= 1 else f"{t:g}" for t in ticks]
    upd = dict(type="log", tickmode="array", tickvals=ticks, ticktext=text, minor=dict(showgrid=False))
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**upd)
    return fig


def label_points(fig: go.Figure, x: Sequence[float], y: Sequence[float], labels: Sequence[str],
                 width_px: float = 700, height_px: float = 440, font_size: int = 11) -> go.Figure:
    """Name points with annotations placed so that no two labels overlap: each label tries offsets around its
    point (above, below, right, left, further out) and takes the first whose box (estimated from the text length)
    meets no label placed before it. Plot-area size in pixels is an estimate; boxes get a margin."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) == 0:
        return fig
    xr = (np.nanmin(x), np.nanmax(x))
    yr = (np.nanmin(y), np.nanmax(y))
    sx = width_px / max(xr[1] - xr[0], 1e-9)
    sy = height_px / max(yr[1] - yr[0], 1e-9)
    placed: list[tuple[float, float, float, float]] = []
    # every point is an obstacle too (a marker of about 14 px)
    points = [((xi - xr[0]) * sx, (yr[1] - yi) * sy) for xi, yi in zip(x, y)]
    obstacles = [(px - 7, py - 7, px + 7, py + 7) for px, py in points]
    cand = [(0, -16), (0, 16), (1, 0), (-1, 0), (0, -32), (0, 32), (1, -22), (-1, -22), (1, 22), (-1, 22),
            (0, -48), (0, 48)]
    order = np.argsort(x)
    for i in order:
        text = str(labels[i])
        if not text:
            continue
        w, h = 0.6 * font_size * len(text) + 6, font_size + 6
        px, py = points[i]
        best = None
        for dx, dy in cand:
            ox = dx * (w / 2 + 10)
            cx, cy = px + ox, py + dy
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            hit = any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3])
                      for b in placed + [o for k, o in enumerate(obstacles) if k != i])
            if not hit:
                best = (ox, dy, box)
                break
        if best is None:  # crowded: the last candidate, further out
            ox, dy = 0, -64
            best = (ox, dy, (px - w / 2, py + dy - h / 2, px + w / 2, py + dy + h / 2))
        ox, dy, box = best
        placed.append(box)
        fig.add_annotation(x=x[i], y=y[i], text=text, ax=ox, ay=dy, showarrow=True, arrowhead=0, arrowwidth=0.8,
                           arrowcolor="#888", font=dict(size=font_size), bgcolor="rgba(255,255,255,0.7)")
    return fig


def same_scale(fig: go.Figure, *series: Sequence[float], pad: float = 0.1, suffix: str = "%") -> go.Figure:
    """Give a dual-axis figure one range on both y axes (same unit: a difference reads the same on both sides)."""
    v = np.concatenate([np.asarray(s, dtype=float) for s in series])
    v = v[np.isfinite(v)]
    if v.size == 0:
        return fig
    lo, hi = float(v.min()), float(v.max())
    d = max(hi - lo, 1.0) * pad
    rng = [max(0.0, lo - d), min(100.0, hi + d)] if suffix == "%" else [lo - d, hi + d]
    fig.update_yaxes(range=rng, ticksuffix=suffix, secondary_y=False)
    fig.update_yaxes(range=rng, ticksuffix=suffix, secondary_y=True, showgrid=False)
    return fig
