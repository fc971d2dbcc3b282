"""Shared dashboard plumbing: the read-only database engine, the URL-backed sidebar filters, page links
that carry the filters, status colours, number formatting, empty states and tables with CSV download.

URL state. The sidebar filters live in the query string (``?project=streetscene&from=2026-09-28&
to=2026-11-22&team=team_c&schema=2&split=val``) so that a link reproduces what its sender saw. The URL is
the source of truth: each run reads it, validates every value against what the database offers, puts
the result into the widgets, and writes the canonical values back. A widget change updates the URL in
its ``on_change`` callback (which runs before the script). Streamlit drops the query string when the
user follows the sidebar navigation, so the last filters are also kept in Session State and restored
when a page opens with none in its URL. Page-specific choices (``week``, ``annotator``, ``metric`` ...)
use the same mechanism through ``url_selectbox``, ``url_radio`` and ``url_toggle``.

A value in the URL that cannot be used (unknown project, team, annotator, class, week; a bad date; a reversed or
out-of-data range) is named in a page warning (``url_warning``), never dropped silently. A link that changes a
choice on the page it is on is a ``url_button`` (``filter_link``): a same-page ``st.page_link`` draws the view but
leaves its parameters out of the address. The pickers offer the values present in the chosen dates
(``Ctx.period_options``); ``filters_empty_state`` says why filters match nothing, with buttons for the fixes.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence


import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analytics import kinds
from analytics.db import DEFAULT_DB_PATH, make_engine, resolve_url, role_can_write
from analytics.filters import Filters
from analytics.io.demo import ensure_default_db
from analytics.render.csv import csv_bytes as _csv_bytes
from analytics.thresholds import Thresholds, ThresholdsError, default_path, load_thresholds
from ui.context import (  # re-exported: pages import the dashboard's helpers from ui.common
    _CTX, _LAST, _QUIET, _RANGE_IS_DEFAULT, _USER_CHANGED, DEFAULT_WEEKS, FILTER_KEYS, PAGES, Ctx, _set_param,
    _sync_widget, _to_date, ctx, week_start,
)
from ui.freshness import refresh_if_changed
from ui.fmt import (
    _CELL, STATUS, fmt_ci, fmt_date, fmt_n, fmt_num, fmt_pct, md, small_n, status_badge, status_icon, status_mark,
)
from ui.states import empty_reason, empty_state, filters_empty_state, no_data
from ui.urls import (
    _url_dates, filter_link, link_params, url_button, url_focus, url_radio, url_selectbox, url_toggle, url_warning,
)

__all__ = [
    "PAGES", "FILTER_KEYS", "Ctx", "setup", "ctx", "get_engine", "prepare_database", "get_thresholds",
    "url_selectbox", "url_radio", "url_toggle", "link_params", "url_button", "filter_link", "url_warning", "url_focus",
    "empty_reason", "filters_empty_state",
    "STATUS", "status_badge", "status_icon", "status_mark", "fmt_num", "fmt_pct", "fmt_ci", "fmt_n",
    "fmt_date", "md", "empty_state", "no_data", "table", "csv_bytes", "week_start", "weeks_with_data", "page_header", "small_n",
]

ROOT = Path(__file__).resolve().parent.parent




# ------------------------------------------------------------------------------------------ database
@st.cache_resource(show_spinner=False)
def get_engine(url: str) -> Engine:
    """Read-only engine without a pool (a DuckDB file is not kept locked between queries)."""
    return make_engine(url, read_only=True)


@st.cache_data(show_spinner=False, ttl=600)
def _role_can_write(url: str) -> bool:
    """Checked once per URL (PostgreSQL: any write privilege on a canonical table)."""
    return bool(role_can_write(get_engine(url)))


def prepare_database(url: str) -> None:
    """Build the embedded demo database on first use, with a visible progress message.

    Only for the embedded default URL; any other database is used as it is.
    """
    if url != f"duckdb:///{DEFAULT_DB_PATH}" or DEFAULT_DB_PATH.exists():
        return
    with st.status("First run: building the demo database (about a minute)...", expanded=True) as status:
        ensure_default_db(progress=lambda msg: status.write(msg))
        status.update(label="Demo database ready", state="complete", expanded=False)


@st.cache_resource(show_spinner=False)
def _thresholds(path: str, mtime: float) -> Thresholds:
    return load_thresholds(path if Path(path).is_file() else None)


def get_thresholds() -> Thresholds:
    """``labelqa.toml`` (or ``$LABELQA_THRESHOLDS``), reloaded when the file changes."""
    p = default_path()
    mtime = p.stat().st_mtime if p.is_file() else 0.0
    return _thresholds(str(p), mtime)
















def weeks_with_data(volume: pd.DataFrame) -> list[dt.date]:
    """The Mondays of the weeks holding at least one annotation in ``volume`` (``ui.data.weekly_volume`` of
    the current filters), oldest first: the weeks a page offers, its default the last of them."""
    if volume is None or volume.empty:
        return []
    rows = volume[pd.to_numeric(volume["annotations"], errors="coerce").fillna(0) > 0]
    return sorted({pd.Timestamp(w).date() for w in rows["week"]})


def default_range(last: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """The last ``DEFAULT_WEEKS`` calendar weeks ending at ``last`` (the latest annotation, not today)."""
    if last is None:
        return None, None
    return week_start(last) - dt.timedelta(weeks=DEFAULT_WEEKS - 1), last








def setup() -> Ctx:
    """Resolve the database, draw the sidebar filters (URL-backed) and return the run's ``Ctx``.

    Stops the script with a clear empty state when the database has no project.
    """
    from ui import data  # late: data imports this module

    st.session_state[_QUIET] = bool(st.session_state.pop(_USER_CHANGED, False))
    url = resolve_url()
    prepare_database(url)
    engine = get_engine(url)
    try:
        thresholds = get_thresholds()
    except ThresholdsError as exc:
        st.error(f"The thresholds file cannot be read: {exc}")
        st.stop()
    refresh_if_changed(engine, url)
    projects = data.projects(engine, url)
    if _role_can_write(url):
        st.sidebar.warning("This database role can write. The dashboard only reads, but a read-only session setting "
                           "can be overridden: connect it with a read-only role (see README).", icon=":material/lock_open:")
    if projects.empty:
        st.sidebar.caption(f"Database: `{_safe_url(url)}`")
        empty_state(
            "The database has no projects yet",
            "Every page fills once a project with annotations is loaded: `labelqa load` imports your "
            "annotations, gold labels, reviews and model results; `labelqa demo` builds the demo scenario.",
        )
        st.stop()

    # The URL is the truth; with no filter in it (sidebar navigation drops the query string), restore the
    # filters this session last used.
    qp = {k: st.query_params.get(k) for k in FILTER_KEYS if st.query_params.get(k) is not None}
    if not qp and st.session_state.get(_LAST):
        qp = dict(st.session_state[_LAST])

    ids = projects["project_id"].astype(str).tolist()
    default_pid = str(projects.sort_values("n_annotations", ascending=False)["project_id"].iloc[0])
    pid = qp.get("project") if qp.get("project") in ids else default_pid
    if qp.get("project") and qp.get("project") not in ids:
        url_warning("project", qp["project"], f"no such project in this database; showing {md(pid)}.")
    prow = projects.loc[projects["project_id"].astype(str) == pid].iloc[0]
    project = {k: (None if (isinstance(v, float) and math.isnan(v)) or v is pd.NaT else v) for k, v in prow.items()}
    first = _to_date(project.get("first_date"))
    last = _to_date(project.get("last_date"))
    project["first_date"], project["last_date"] = first, last

    options = data.filter_options(engine, url, pid)
    classes = data.label_classes(engine, url, pid)

    def pick(key: str, kind: str, cast: Callable[[str], Any] = str):
        raw = qp.get(key)
        if raw is None or raw == "":
            return None
        vals = [str(v) for v in options.get(kind, [])]
        if str(raw) in vals:
            return cast(raw)
        url_warning(key, raw, "does not occur in this project; showing all.")
        return None

    team = pick("team", "team")
    schema = pick("schema", "schema_version", int)
    split = pick("split", "split")

    # Dates: from the URL when valid, else the default range, which ends at the last annotation under the
    # team / schema / split filters (schema v1 ends before the project does); clamped to the data's span.
    last_f = last
    if last is not None and (team is not None or schema is not None or split is not None):
        weeks_f = weeks_with_data(data.weekly_volume(engine, url, Filters(pid, team=team, schema_version=schema,
                                                                           split=split)))
        if weeks_f:
            last_f = min(last, weeks_f[-1] + dt.timedelta(days=6))
    dflt_from, dflt_to = default_range(last_f)
    d_from, d_to = _url_dates(qp.get("from"), qp.get("to"), dflt_from, dflt_to)
    if first is not None and last is not None and d_from is not None:
        lo, hi = min(first, dflt_from), last
        if d_from < lo or d_from > hi:
            url_warning("from", d_from.isoformat(), f"outside the project's annotation dates ({fmt_date(first)} to "
                                                  f"{fmt_date(last)}); showing from {fmt_date(min(max(d_from, lo), hi))}.")
        if d_to > hi or d_to < lo:
            url_warning("to", d_to.isoformat(), f"outside the project's annotation dates ({fmt_date(first)} to "
                                              f"{fmt_date(last)}); showing to {fmt_date(min(max(d_to, lo), hi))}.")
        d_from = min(max(d_from, lo), hi)
        d_to = min(max(d_to, d_from), hi)
    # A range the user never chose follows the filters: changing team / schema / split re-defaults it.
    st.session_state[_RANGE_IS_DEFAULT] = (d_from, d_to) == (dflt_from, dflt_to) and d_from is not None

    # The pickers offer the values present in the chosen dates (a value chosen in the URL stays, marked).
    popts = data.period_options(engine, url, pid, d_from, d_to) if d_from is not None else {}

    sb = st.sidebar
    sb.markdown("### Filters")

    # Widgets mirror the resolved values; their callbacks write the URL (the next run reads it).
    _sync_widget("f_project", pid)
    labels = {str(r.project_id): f"{r.name} ({r.client})" for r in projects.itertuples()}

    def on_project():
        st.session_state[_USER_CHANGED] = True
        new = st.session_state["f_project"]
        st.query_params["project"] = new
        for k in ("from", "to", "team", "schema", "split"):  # the new project's own defaults
            if k in st.query_params:
                del st.query_params[k]
        st.session_state[_LAST] = {"project": new}
        for k in ("f_dates", "f_team", "f_schema", "f_split"):
            st.session_state.pop(k, None)

    sb.selectbox("Project", ids, key="f_project", format_func=lambda p: labels.get(p, p), on_change=on_project,
                 help="Every page shows one project; nothing from another project is mixed in.")

    if d_from is not None:
        _sync_widget("f_dates", (d_from, d_to))

        def on_dates():
            v = st.session_state.get("f_dates")
            if isinstance(v, (tuple, list)) and len(v) == 2:  # one date = the user is still choosing
                st.session_state[_USER_CHANGED] = True
                _set_param("from", v[0])
                _set_param("to", v[1])

        sb.date_input("Date range", value=(d_from, d_to), min_value=min(first, dflt_from), max_value=last,
                      key="f_dates", on_change=on_dates, format="YYYY-MM-DD",
                      help=f"Annotation dates, inclusive. Default: the last {DEFAULT_WEEKS} weeks up to the "
                           f"latest annotation ({fmt_date(last)}).")
    else:
        task = kinds.kind_of(project.get("task_type"))
        if task != kinds.DEFAULT_KIND:
            sb.caption(f"A {md(task)} project: the date range, team, schema and split filters apply to "
                       "classification annotations; its own page filters its data.")
        else:
            sb.caption("This project has no annotations yet, so there is no date range to choose.")

    def choice(label: str, key: str, wkey: str, opts: list, value, fmt: Callable[[Any], str], help: str):
        # "" stands for "all" (a None option would show as an empty selectbox).
        # Chosen, but absent from these dates: kept, and said under the box (not in the option's label: the
        # browser keeps showing a selected option's old label when only its label changes).
        absent = value is not None and value not in opts
        if absent:
            opts = sorted([*opts, value])
        help = f"{help} Offers the values present in the chosen dates."
        _sync_widget(wkey, "" if value is None else value)

        def cb():
            st.session_state[_USER_CHANGED] = True
            _set_param(key, st.session_state[wkey] if st.session_state[wkey] != "" else None)
            if st.session_state.get(_RANGE_IS_DEFAULT):  # the default range follows the new filters
                _set_param("from", None)
                _set_param("to", None)
                st.session_state.pop("f_dates", None)

        sb.selectbox(label, ["", *opts], key=wkey, format_func=lambda v: fmt(None if v == "" else v),
                     on_change=cb, help=help)
        if absent:
            sb.caption(f"{md(fmt(value))}: no annotation in the chosen dates.")

    shown = popts if d_from is not None else options
    choice("Team", "team", "f_team", [str(t) for t in shown.get("team", [])], team,
           lambda v: "All teams" if v is None else str(v), "Annotators' team (annotators.team).")
    choice("Schema version", "schema", "f_schema", [int(s) for s in shown.get("schema_version", [])], schema,
           lambda v: "All versions" if v is None else f"v{v}", "Taxonomy version the annotation was made under.")
    choice("Split", "split", "f_split", [str(s) for s in shown.get("split", [])], split,
           lambda v: "All splits" if v is None else str(v), "Dataset split of the item (items.split).")

    # Canonical URL: the full filter set, so a copied link reproduces this view even after new data lands.
    resolved = {"project": pid, "from": d_from, "to": d_to, "team": team, "schema": schema, "split": split}
    for k, v in resolved.items():
        _set_param(k, v)
    st.session_state[_LAST] = {k: (v.isoformat() if isinstance(v, dt.date) else str(v))
                               for k, v in resolved.items() if v is not None}

    filters = Filters(project_id=pid, date_from=d_from, date_to=d_to, team=team, schema_version=schema, split=split)
    sb.caption(f"Database: `{_safe_url(url)}`  \nThresholds: `{Path(thresholds.path).name if thresholds.path else 'built-in'}`")
    c = Ctx(db=url, engine=engine, filters=filters, project=project, options=options, classes=classes,
            thresholds=thresholds, period_options=popts)
    st.session_state[_CTX] = c
    return c






def _safe_url(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


























































def page_header(title: str, caption: str, c: Ctx | None = None) -> None:
    c = c or ctx()
    f = c.filters
    st.title(title)
    scope = [f"**{md(c.project.get('name', f.project_id))}** ({md(c.project.get('client', ''))})"]
    if f.date_from and f.date_to:
        scope.append(f"{fmt_date(f.date_from)} – {fmt_date(f.date_to)}")
    for label, v in (("team", f.team), ("schema v", f.schema_version), ("split", f.split)):
        if v is not None:
            scope.append(f"{label} {md(v)}" if label != "schema v" else f"schema v{md(v)}")
    st.caption(caption + "  \n" + " · ".join(scope))


def csv_bytes(df: pd.DataFrame) -> bytes:
    """Every download goes through the one CSV writer (formula cells neutralised, analytics.render.csv)."""
    return _csv_bytes(df)


def table(df: pd.DataFrame, name: str, key: str, column_config: dict | None = None, height: int | str = "auto",
          where: Any = None, caption: str | None = None, column_order: Iterable[str] | None = None,
          status_cols: Sequence[str] = ()) -> None:
    """A dataframe with a 'Download CSV' button (the CSV holds every column, not only the shown ones).

    ``status_cols``: columns holding ``status_mark`` text, drawn with the status's background colour.
    """
    w = where or st
    shown: Any = df
    cols_present = [c for c in status_cols if c in df.columns]
    if cols_present and len(df) <= 5000:
        def _bg(v):
            key_ = str(v).split(":", 1)[0]
            return f"background-color: {_CELL[key_]}" if key_ in _CELL else ""
        shown = df.style.map(_bg, subset=cols_present)
    w.dataframe(shown, hide_index=True, column_config=column_config, height=height,
                column_order=list(column_order) if column_order is not None else None, width="stretch")
    cols = w.columns([3, 1])
    if caption:
        cols[0].caption(caption)
    cols[1].download_button("Download CSV", csv_bytes(df), file_name=f"{name}.csv", mime="text/csv",
                            key=f"dl_{key}", on_click="ignore", icon=":material/download:", width="stretch")
