"""What the region kinds (spans, boxes, multilabel) read the same way from the database: the item attributes of a
project as columns (``sql/regions_item_attributes.sql``), and the filters of a quality-layer scope."""
from __future__ import annotations

import pandas as pd

from analytics.db import query_df

__all__ = ["item_attributes", "scope_filters"]


def item_attributes(engine, project_id: str) -> pd.DataFrame:
    """``item_id`` + one column per attribute key (``lighting``, ``topic``...) of the project's items."""
    a = query_df(engine, "regions_item_attributes", project_id=project_id)
    if a.empty:
        return pd.DataFrame({"item_id": pd.Series(dtype=str)})
    w = a.pivot_table(index="item_id", columns="key", values="value", aggfunc="first")
    w.columns = [str(c) for c in w.columns]
    return w.reset_index()


def scope_filters(project_id: str, scope=None):
    """The :class:`analytics.filters.Filters` of a ``ScopeRequest`` (batch, since / until, dashboard filters) or
    of ``None`` (the whole project), and the scope's label (``whole project``, ``batch b01``, ``since ...``)."""
    import datetime as dt

    from analytics.filters import Filters

    base = getattr(scope, "filters", None)
    f = base.replace(project_id=project_id) if base is not None else Filters(project_id)
    day = lambda v: None if v is None else (v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))  # noqa: E731
    batch, since, until = (getattr(scope, k, None) for k in ("batch_id", "since", "until"))
    if batch is not None:
        return f.replace(batch_id=batch), f"batch {batch}"
    if since is not None or until is not None:
        label = " ".join(x for x in (since and f"since {since}", until and f"until {until}") if x)
        return f.replace(date_from=day(since), date_to=day(until)), label
    return f, "whole project"
