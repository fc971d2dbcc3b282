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

import dataclasses
import datetime as dt
import math
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import re

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analytics import kinds
from analytics.db import DEFAULT_DB_PATH, make_engine, resolve_url, role_can_write
from analytics.filters import Filters
from analytics.io.demo import ensure_default_db
from analytics.metrics.results import NoData
from analytics.render.csv import csv_bytes as _csv_bytes
from analytics.quality.markdown import md_escape
from analytics.thresholds import Thresholds, ThresholdsError, default_path, load_thresholds

__all__ = [
    "PAGES", "FILTER_KEYS", "Ctx", "setup", "ctx", "get_engine", "prepare_database", "get_thresholds",
    "url_selectbox", "url_radio", "url_toggle", "link_params", "url_button", "filter_link", "url_warning", "url_focus",
    "empty_reason", "filters_empty_state",
    "STATUS", "status_badge", "status_icon", "status_mark", "fmt_num", "fmt_pct", "fmt_ci", "fmt_n",
    "fmt_date", "md", "empty_state", "table", "csv_bytes", "week_start", "weeks_with_data", "page_header", "small_n",
]

ROOT = Path(__file__).resolve().parent.parent

# Page key -> (file relative to app.py, title, icon, url path). app.py builds st.navigation from this.
# Pages are declared by the annotation kinds (KindSpec.pages, analytics/kinds/<kind>/kind.py).
PAGES: dict[str, tuple[str, str, str, str]] = {
    p.key: (p.path, p.title, p.icon, p.url_path) for _kind, p in kinds.pages()
}

# Query-string keys of the sidebar filters (Filters field in brackets):
# project (project_id), from/to (date_from/date_to, ISO dates), team, schema (schema_version), split.
FILTER_KEYS = ("project", "from", "to", "team", "schema", "split")
_LAST = "_labelqa_last_filters"
_CTX = "_labelqa_ctx"
_RANGE_IS_DEFAULT = "_labelqa_range_is_default"
# Set by the callbacks of the user's own filter changes; setup() moves it to _QUIET for that run, in which a page
# choice the new filters no longer offer (a week outside the new range) re-defaults without a link warning.
_USER_CHANGED = "_labelqa_user_changed"
_QUIET = "_labelqa_quiet_run"
DEFAULT_WEEKS = 8  # default date range: the last 8 weeks ending at the project's latest annotation


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


# ------------------------------------------------------------------------------------------ context
@dataclasses.dataclass(frozen=True)
class Ctx:
    """What every page needs: the connection, the filters and what the project offers."""

    db: str                      # resolved database URL (part of every cache key)
    engine: Engine
    filters: Filters
    project: dict[str, Any]      # project_id, name, client, first_date, last_date, n_annotations
    options: dict[str, list]     # team, schema_version, split, batch, attr_key, annotator, week
    classes: pd.DataFrame        # label, tier, first_schema_version, last_schema_version
    thresholds: Thresholds
    # team, schema_version, split, annotator, attr_key, attr_value present in the sidebar's date range (the
    # choices a picker offers, issue 9 item 12); ``options`` holds the project's values over all dates.
    period_options: dict[str, list] = dataclasses.field(default_factory=dict)

    @property
    def project_id(self) -> str:
        return self.filters.project_id

    def tier(self, label: str) -> str:
        t = self.classes.loc[self.classes["label"] == label, "tier"]
        return str(t.iloc[0]) if len(t) else "standard"

    @property
    def critical(self) -> list[str]:
        return self.classes.loc[self.classes["tier"] == "critical", "label"].astype(str).tolist()

    def status(self, rule: str, value, ci_low=None, ci_high=None, n=None, tier: str | None = "standard") -> str:
        return self.thresholds.status(rule, _f(value), _f(ci_low), _f(ci_high), _i(n), tier, self.project_id)


def _ensure_app_routing() -> None:
    """Rerun through ``app.py`` when Streamlit ran a page file on its own.

    With a ``pages/`` folder next to the entry script, Streamlit (1.4x-1.67) serves the very first request of a
    fresh server the old folder-based way until some run has called ``st.navigation``: a shared deep link
    (``/annotators?annotator=ann_07``) would run the page without ``app.py``, with the folder's page list in
    the sidebar. Switching that mode off and rerunning routes the same URL through ``app.py``.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def ctx() -> Ctx:
    """The context ``app.py`` set up for this run (pages call this first)."""
    _ensure_app_routing()
    c = st.session_state.get(_CTX)
    if c is None:  # a page run without app.py (should not happen): set up here
        c = setup()
    return c


def _f(x):
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _i(x):
    if x is None:
        return None
    try:
        if isinstance(x, float) and math.isnan(x):
            return None
        return int(x)
    except (TypeError, ValueError):
        return None


def _parse_date(s: str | None) -> dt.date | None:
    if not s:
        return None
    try:
        return dt.date.fromisoformat(str(s))
    except ValueError:
        return None


def week_start(d: dt.date) -> dt.date:
    """Monday of the week holding ``d`` (the SQL ``date_trunc('week', ...)``)."""
    return d - dt.timedelta(days=d.weekday())


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


def _set_param(key: str, value: Any) -> None:
    """Write one query parameter (``None`` removes it); no-op when already equal."""
    qp = st.query_params
    if value is None or value == "":
        if key in qp:
            del qp[key]
        return
    s = value.isoformat() if isinstance(value, dt.date) else str(value)
    if qp.get(key) != s:
        qp[key] = s


def _sync_widget(wkey: str, value: Any) -> None:
    if st.session_state.get(wkey, _MISSING) != value:
        st.session_state[wkey] = value


_MISSING = object()


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


def _url_dates(raw_from: str | None, raw_to: str | None, dflt_from: dt.date | None,
               dflt_to: dt.date | None) -> tuple[dt.date | None, dt.date | None]:
    """``?from=&to=`` read with a page warning for each value not used as given: not a date (the default side
    is used), or a reversed range (read the other way round). A missing side takes the default's."""
    d_from, d_to = _parse_date(raw_from), _parse_date(raw_to)
    for key, raw, d in (("from", raw_from, d_from), ("to", raw_to, d_to)):
        if raw not in (None, "") and d is None:
            url_warning(key, raw, "not a date (YYYY-MM-DD); the default date range is used for it.")
    if d_from is not None and d_to is not None and d_from > d_to:
        url_warning("from", raw_from, f"after to = {md(raw_to)}; the range is read the other way round "
                                      f"({d_to.isoformat()} to {d_from.isoformat()}).")
        d_from, d_to = d_to, d_from
    if d_from is None and d_to is None:
        return dflt_from, dflt_to
    if d_from is None:
        d_from = min(dflt_from, d_to) if dflt_from is not None else d_to
    if d_to is None:
        d_to = max(dflt_to, d_from) if dflt_to is not None else d_from
    return d_from, d_to


def _to_date(v) -> dt.date | None:
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, pd.Timestamp):
        return v.date()
    return _parse_date(str(v)[:10])


def _safe_url(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url


# ------------------------------------------------------------------------------- page-level URL state
def _opt_str(v: Any) -> str:
    return v.isoformat() if isinstance(v, dt.date) else str(v)


def url_warning(param: str, raw: Any, why: str, where: Any = None) -> None:
    """A visible warning on the page that a value in the address was not used as given (issue 9 item 11):
    names the parameter and the value (escaped), then ``why`` (what is shown instead)."""
    (where or st).warning(f"Address parameter `{param}` = **{md(raw)}**: {why}", icon=":material/link_off:")


def _url_value(param: str, options: Sequence[Any], default: Any, format_func: Callable[[Any], str] | None = None,
               where: Any = None) -> Any:
    raw = st.query_params.get(param)
    if raw is not None:
        for o in options:
            if o is not None and _opt_str(o) == raw:
                return o
    value = default if default in options else (options[0] if options else None)
    if raw not in (None, "") and format_func is not None and not st.session_state.get(_QUIET):
        url_warning(param, raw, f"not one of this page's choices for these filters; showing "
                                f"{md(format_func(value)) if options else 'nothing'}.", where)
    return value


def url_selectbox(label: str, options: Sequence[Any], param: str, default: Any = None,
                  format_func: Callable[[Any], str] = str, where: Any = None, help: str | None = None,
                  keep_default_in_url: bool = True) -> Any:
    """A selectbox whose value lives in ``?param=``; returns the chosen option.

    An unknown value in the URL falls back to ``default`` (or the first option). A ``None`` option (e.g.
    "all teams") is allowed; it is left out of the URL.
    """
    where = where or st
    options = list(options)
    value = _url_value(param, options, default, format_func, where)
    wkey = f"p_{param}"
    # The widget holds "" for a None option: a None value would show as an empty selectbox.
    w_opts = ["" if o is None else o for o in options]
    _sync_widget(wkey, "" if value is None else value)

    def cb():
        v = st.session_state[wkey]
        _set_param(param, None if v == "" else _opt_str(v))

    where.selectbox(label, w_opts, key=wkey, format_func=lambda v: format_func(None if v == "" else v),
                    on_change=cb, help=help, disabled=not options)
    _set_param(param, None if value is None or (not keep_default_in_url and value == default) else _opt_str(value))
    return value


def url_radio(label: str, options: Sequence[Any], param: str, default: Any = None,
              format_func: Callable[[Any], str] = str, where: Any = None, help: str | None = None,
              horizontal: bool = True) -> Any:
    """A radio group whose value lives in ``?param=``."""
    where = where or st
    options = list(options)
    value = _url_value(param, options, default, format_func, where)
    wkey = f"p_{param}"
    _sync_widget(wkey, value)

    def cb():
        _set_param(param, _opt_str(st.session_state[wkey]))

    where.radio(label, options, key=wkey, format_func=format_func, on_change=cb, help=help, horizontal=horizontal)
    _set_param(param, _opt_str(value) if value is not None else None)
    return value


def url_toggle(label: str, param: str, default: bool, where: Any = None, help: str | None = None) -> bool:
    """A toggle whose value lives in ``?param=1|0`` (left out of the address while it is the default)."""
    where = where or st
    raw = st.query_params.get(param)
    value = default
    if raw in ("1", "0"):
        value = raw == "1"
    elif raw not in (None, "") and not st.session_state.get(_QUIET):
        url_warning(param, raw, f"not 1 or 0; showing {'on' if default else 'off'}.", where)
    wkey = f"p_{param}"
    _sync_widget(wkey, value)

    def cb():
        v = bool(st.session_state[wkey])
        _set_param(param, None if v == default else ("1" if v else "0"))

    where.toggle(label, key=wkey, on_change=cb, help=help)
    _set_param(param, None if value == default else ("1" if value else "0"))
    return value


def link_params(c: Ctx | None = None, **extra: Any) -> dict[str, str]:
    """Query parameters of a link to another page: the current filters plus ``extra`` (None drops one)."""
    c = c or ctx()
    f = c.filters
    base = {"project": f.project_id, "from": f.date_from, "to": f.date_to, "team": f.team,
            "schema": f.schema_version, "split": f.split}
    base.update(extra)
    return {k: _opt_str(v) for k, v in base.items() if v is not None and v != ""}


def url_button(label: str, params: dict[str, Any], key: str, where: Any = None, icon: str | None = None,
               help: str | None = None) -> None:
    """A button that sets page choices in the address (``None`` removes one) and reruns this page: the address
    bar then reproduces the view. A ``st.page_link`` to the page already open draws the view but leaves the
    address without the link's parameters (Streamlit 1.67), so same-page links are buttons."""
    def cb():
        if any(k in FILTER_KEYS for k in params):
            st.session_state[_USER_CHANGED] = True
        for k, v in params.items():
            _set_param(k, None if v is None or v == "" else _opt_str(v))

    (where or st).button(label, key=key, on_click=cb, icon=icon, help=help)


def filter_link(page: str, label: str, extra: dict[str, Any], here: str, key: str, where: Any = None,
                icon: str | None = None, c: Ctx | None = None) -> None:
    """A link that opens ``page`` (a ``PAGES`` key) with the sidebar filters and ``extra``: a page link to
    another page, a ``url_button`` on the page ``here`` (so the address always holds what the link set)."""
    w = where or st
    if page == here:
        url_button(label, extra, key=key, where=w, icon=icon)
    else:
        w.page_link(PAGES[page][0], label=label, icon=icon, query_params=link_params(c, **extra))


def url_focus(c: Ctx | None = None) -> str | None:
    """``?focus=`` (the class an alert names) when it is a class of the project; else a page warning and None."""
    c = c or ctx()
    raw = st.query_params.get("focus")
    if not raw:
        return None
    labels = set(c.classes["label"].astype(str)) if not c.classes.empty else set()
    if raw in labels:
        return raw
    url_warning("focus", raw, "not a class of this project; no row is marked.")
    _set_param("focus", None)
    return None


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


def md(value: Any) -> str:
    """Data or URL text as literal Markdown (``analytics.render.text.md_escape``, shared with the reports)."""
    return md_escape(value)


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
