"""Status colours and number formatting shared by every page: one palette (``STATUS``), numbers with their
interval (``fmt_ci``) and sample size (``fmt_n``), and ``md`` for data placed in Markdown (escaped)."""
from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from analytics.quality.markdown import md_escape
from ui.context import Ctx, _to_date, ctx


# ------------------------------------------------------------------------------------------- status
# status -> (words shown, st.badge colour, markdown icon, hex for charts and table cells)
STATUS = {
    "green": ("on target", "green", ":green[:material/check_circle:]", "#1a9850"),
    "amber": ("watch", "orange", ":orange[:material/warning:]", "#f0a202"),
    "red": ("below target", "red", ":red[:material/error:]", "#d73027"),
    "grey": ("not judged", "gray", ":gray[:material/help:]", "#9e9e9e"),
}


_CELL = {"green": "#d9f0d3", "amber": "#fde9c4", "red": "#f8d0cb", "grey": "#eeeeee"}


def status_badge(status: str, where: Any = None, text: str | None = None) -> None:
    words, colour, _, _ = STATUS.get(status, STATUS["grey"])
    (where or st).badge(text or words, color=colour)


def status_icon(status: str) -> str:
    """Markdown icon of a status, e.g. for an alert line."""
    return STATUS.get(status, STATUS["grey"])[2]


def status_mark(status: str, text: str | None = None) -> str:
    """Table cell text for a status, e.g. 'red: below target' (coloured by ``table(..., status_cols=)``)."""
    words = STATUS.get(status, STATUS["grey"])[0]
    return f"{status}: {text or words}"


def small_n(c: Ctx | None = None) -> int:
    c = c or ctx()
    return c.thresholds.small_n(c.project_id)


# ----------------------------------------------------------------------------------------- formatting
def _nan(x) -> bool:
    try:
        return x is None or (isinstance(x, (float, int)) and math.isnan(float(x))) or pd.isna(x)
    except (TypeError, ValueError):
        return False


def fmt_num(x, digits: int = 3) -> str:
    if _nan(x):
        return "–"
    return f"{float(x):.{digits}f}"


def fmt_pct(x, digits: int = 1) -> str:
    if _nan(x):
        return "–"
    return f"{100 * float(x):.{digits}f}%"


def fmt_n(n) -> str:
    if _nan(n):
        return "n = –"
    return f"n = {int(n):,}"


def fmt_ci(lo, hi, pct: bool = False, digits: int | None = None) -> str:
    if _nan(lo) or _nan(hi):
        return "no interval"
    f = (lambda v: fmt_pct(v, digits if digits is not None else 1)) if pct else (
        lambda v: fmt_num(v, digits if digits is not None else 3))
    return f"95% CI {f(lo)}–{f(hi)}"


def fmt_date(d) -> str:
    d = _to_date(d)
    return d.isoformat() if d else "–"


def md(value: Any) -> str:
    """Data or URL text as literal Markdown (``analytics.render.text.md_escape``, shared with the reports)."""
    return md_escape(value)
