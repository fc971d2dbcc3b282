"""The dashboard's run context: :class:`Ctx` (connection, filters, what the project offers), the page list,
the Session State keys of the URL-backed filters and the query-parameter primitives every ``ui`` module uses.
A leaf of ``ui``: it imports no other ``ui`` module (``ui.common.setup`` builds the context, pages read it with
:func:`ctx`)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analytics import kinds
from analytics.filters import Filters
from analytics.thresholds import Thresholds

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
    if c is None:  # app.py sets it up before any page runs (ui.common.setup)
        raise RuntimeError("a LabelQA page ran without app.py: start the dashboard with `labelqa dashboard` "
                           "or `streamlit run app.py`")
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
