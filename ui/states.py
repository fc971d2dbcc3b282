"""Empty states that say the real reason: ``empty_state``, ``filters_empty_state`` (why the sidebar filters match
nothing, with buttons that apply the fixes), ``empty_reason`` and ``no_data`` for a typed ``NoData``."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from analytics.metrics.results import NoData
from ui.context import Ctx, ctx
from ui.fmt import fmt_date, md
from ui.urls import url_button


# ------------------------------------------------------------------------------------ empty / tables
def empty_state(title: str, body: str, where: Any = None, icon: str = ":material/info:") -> None:
    """A clear 'nothing to show' box that says what data would fill it."""
    (where or st).info(f"**{title}.** {body}", icon=icon)


def _span_words(rows: pd.DataFrame) -> tuple[int, dt.date | None, dt.date | None]:
    if rows.empty:
        return 0, None, None
    return int(rows["n"].sum()), min(rows["first_date"]), max(rows["last_date"])


def _empty_why(c: Ctx) -> tuple[str, list[tuple[str, dict[str, Any]]]] | None:
    """(reason, fixes) when the sidebar filters match no annotation; a fix is (button label, URL params)."""
    from ui import data  # late: data imports this module

    f = c.filters
    vol = data.weekly_volume(c.engine, c.db, f)
    if not vol.empty and float(pd.to_numeric(vol["annotations"], errors="coerce").fillna(0).sum()) > 0:
        return None
    spans = data.filter_spans(c.engine, c.db, f.project_id)
    if spans.empty:
        return "This project has no annotations yet.", []
    active = [(col, v, w, key) for col, v, w, key in (
        ("team", f.team, f"team {md(f.team)}", "team"),
        ("schema_version", f.schema_version, f"schema v{md(f.schema_version)}", "schema"),
        ("split", f.split, f"split {md(f.split)}", "split")) if v is not None]

    def rows(which):
        m = pd.Series(True, index=spans.index)
        for col, v, _w, _k in which:
            m &= spans[col].astype("string") == str(v)
        return spans[m]

    def clear(which):
        return [(f"Clear the {w.split(' ')[0]} filter", {k: None}) for _c, _v, w, k in which]

    n, a, b = _span_words(rows(active))
    if n == 0:
        alone = "; ".join(f"{x[2]} {fmt_date(a1)} to {fmt_date(b1)}"
                          for x in active for _n1, a1, b1 in [_span_words(rows([x]))])
        return (f"No annotation of this project is {' and '.join(x[2] for x in active)} at once (each alone: "
                f"{alone}). Clear one of these filters.", clear(active))
    rng = f"the chosen dates ({fmt_date(f.date_from)} to {fmt_date(f.date_to)})"
    # the one filter whose own dates miss the range, else the combination (or the project)
    for which in [[x] for x in active] + [active]:
        _n1, a1, b1 = _span_words(rows(which))
        who = " with ".join(x[2] for x in which) or "this project"
        who = who[:1].upper() + who[1:]
        show = [(f"Show {fmt_date(a1)} to {fmt_date(b1)}", {"from": a1, "to": b1})]
        if f.date_from is not None and b1 is not None and b1 < f.date_from:
            return (f"{who} ends {fmt_date(b1)} (its last annotation), before {rng} begin. Move the date range "
                    f"to {fmt_date(a1)} to {fmt_date(b1)}" + (", or clear the filter." if which else "."),
                    show + clear(which))
        if f.date_to is not None and a1 is not None and a1 > f.date_to:
            return (f"{who} starts {fmt_date(a1)} (its first annotation), after {rng} end. Move the date range "
                    f"to {fmt_date(a1)} to {fmt_date(b1)}" + (", or clear the filter." if which else "."),
                    show + clear(which))
    who = " with ".join(x[2] for x in active) or "this project"
    return (f"{who[:1].upper() + who[1:]} has annotations from {fmt_date(a)} to {fmt_date(b)}, but none in {rng}.",
            [(f"Show {fmt_date(a)} to {fmt_date(b)}", {"from": a, "to": b})] + clear(active))


def empty_reason(c: Ctx | None = None) -> str | None:
    """Why the sidebar filters match no annotation, in words (issue 9 item 12: "Schema v1 ends 2026-07-26,
    before the chosen dates (2026-10-05 to 2026-10-25) begin."); None when they match some annotation."""
    why = _empty_why(c or ctx())
    return why[0] if why else None


def filters_empty_state(title: str, body: str, c: Ctx | None = None, where: Any = None) -> None:
    """The empty state of a page whose data come from the filtered annotations: when the filters match no
    annotation at all, that is the reason shown (``empty_reason``), not what data would fill the view, with a
    button per fix (a date range that has data, clearing a filter) that writes it to the address."""
    why = _empty_why(c or ctx())
    if not why:
        empty_state(title, body, where)
        return
    reason, fixes = why
    empty_state("No annotations match these filters", reason, where)
    if fixes:
        row = (where or st).container(horizontal=True)
        for k, (label, params) in enumerate(fixes):
            url_button(label, params, key=f"empty_fix_{k}", where=row)


def no_data(exc: NoData, title: str, hint: str = "", where: Any = None) -> None:
    """The empty state for a ``NoData`` raised by analytics: ``title``, the exception's user-facing ``reason``, then
    ``hint`` (what data would fill the view). Pages catch ``NoData`` and call this; never match message text."""
    reason = exc.reason.strip()
    body = (reason[:1].upper() + reason[1:]).rstrip(".") + "."
    empty_state(title, f"{body} {hint}".strip(), where)
