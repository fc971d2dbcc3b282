"""Labels from data inside plotly figures, shown as the characters they are.

Plotly renders a pseudo-HTML subset in text, hover, tick and legend strings (``<b>`` turns bold, ``<a href>``
becomes a link, ``<br>`` breaks a line), so a class label ``<b>car</b>`` would misstate itself in a chart.
:func:`escape_figure` entity-escapes ``&``, ``<`` and ``>`` in every string of a figure's data arrays (x, y, z
labels, text, hover text, custom data, names, category labels) and in tick texts, which plotly turns back into
the literal characters. Hover *templates* and titles are written by LabelQA and keep their formatting.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["escape_text", "escape_figure"]

_DATA_KEYS = ("x", "y", "text", "hovertext", "customdata", "labels", "ids", "name", "legendgroup")


def escape_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            return np.vectorize(_escape, otypes=[object])(value) if value.size else value
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_escape(v) for v in value)
    return value


def escape_figure(fig):
    """``fig`` with every data string escaped (in place; returned for chaining). Idempotence is not needed:
    call it once, right before the figure is shown or written."""
    for trace in fig.data:
        for key in _DATA_KEYS:
            if key in trace and trace[key] is not None:
                trace[key] = _escape(trace[key])
    for axis in [k for k in fig.layout if k.startswith(("xaxis", "yaxis"))]:
        ax = fig.layout[axis]
        if ax.ticktext is not None:
            ax.ticktext = _escape(list(ax.ticktext))
        if ax.categoryarray is not None:
            ax.categoryarray = _escape(list(ax.categoryarray))
    return fig
