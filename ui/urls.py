"""Page-level URL state: pickers, toggles and buttons whose choice lives in the address (``url_selectbox``,
``url_radio``, ``url_toggle``, ``url_button``), links to other pages that carry the filters (``filter_link``,
``link_params``), and ``url_warning`` for a value in the address that cannot be used (see ``ui.common``)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Sequence

import streamlit as st

from ui.context import (
    FILTER_KEYS, PAGES, _QUIET, _USER_CHANGED, Ctx, _parse_date, _set_param, _sync_widget, ctx,
)
from ui.fmt import md


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
