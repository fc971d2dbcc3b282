"""Resolving what is judged: project, batch or date range (+ the dashboard's filters) -> ``Scope``."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.quality.checks import Scope


def project_row(engine: Engine, project_id: str) -> pd.Series:
    df = query_df(engine, "gate_project", project_id=project_id)
    if df.empty:
        known = query_df(engine, "gate_projects")["project_id"].astype(str).tolist()
        hint = f"; projects in this database: {', '.join(known)}" if known else "; the database has no projects"
        raise ValueError(f"unknown project {project_id!r}{hint}")
    return df.iloc[0]


def project_batches(engine: Engine, project_id: str) -> pd.DataFrame:
    """Batches of a project in delivery order: ``batch_id, name, delivered_at, n_annotations, n_items,
    first_at, last_at`` (timestamps as pandas datetimes)."""
    df = query_df(engine, "gate_project_batches", project_id=project_id)
    for c in ("delivered_at", "first_at", "last_at"):
        df[c] = pd.to_datetime(df[c])
    return df.reset_index(drop=True)


def batch_row(engine: Engine, project_id: str, batch_id: str, batches: pd.DataFrame | None = None) -> pd.Series:
    """The batch's row of :func:`project_batches` (``batches``: that frame when already read); ``ValueError``
    naming the project's batches when it has no such batch."""
    batches = project_batches(engine, project_id) if batches is None else batches
    row = batches[batches["batch_id"] == batch_id]
    if row.empty:
        known = ", ".join(batches["batch_id"].astype(str).tolist()) or "none"
        raise ValueError(f"unknown batch {batch_id!r} in project {project_id!r}; batches: {known}")
    return row.iloc[0]


def _to_date(x: Any) -> dt.date | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT:
        return None
    return pd.Timestamp(x).date()


def resolve_scope(engine: Engine, project_id: str, batch_id: str | None = None,
                  since: dt.date | str | None = None, until: dt.date | str | None = None,
                  base: Filters | None = None) -> Scope:
    """Check that the project (and batch) exist and build the scope; unknown names raise ``ValueError``.

    ``base``: further filters of the judged annotations (the dashboard's team, schema version, split, batch);
    its project and dates are replaced by the scope's (its batch by ``batch_id``). None (the gate): none.
    """
    project_row(engine, project_id)
    base = Filters(project_id) if base is None else base.replace(project_id=project_id, date_from=None,
                                                                date_to=None)
    if batch_id is not None and since is not None:
        raise ValueError("give either a batch or a date (--since), not both")
    batches = project_batches(engine, project_id)
    if isinstance(since, str):
        since = _parse_date(since, "since")
    if isinstance(until, str):
        until = _parse_date(until, "until")
    if batch_id is not None:
        r = batch_row(engine, project_id, batch_id, batches)
        return Scope(project_id, base.replace(batch_id=batch_id), f"batch {batch_id}",
                 batch_id=batch_id, drift_start=_to_date(r["first_at"]), drift_end=_to_date(r["last_at"]),
                         change_batches=(batch_id,))
    if since is not None:
        f = base.replace(date_from=since, date_to=until)
        start = batches["first_at"].dt.date
        inwin = batches[(start >= since) & ((until is None) | (start <= (until or dt.date.max)))]
        label = f"since {since.isoformat()}" + (f" until {until.isoformat()}" if until else "")
        last = _to_date(batches["last_at"].max()) if until is None else until
        return Scope(project_id, f, label, since=since, drift_start=since, drift_end=last,
                     change_batches=tuple(inwin["batch_id"].astype(str)))
    with_data = batches[batches["n_annotations"] > 0]
    latest = with_data.iloc[-1] if not with_data.empty else None
    return Scope(project_id, base, "whole project",
                 change_batches=(str(latest["batch_id"]),) if latest is not None else ())


def _parse_date(s: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"--{what} must be a date YYYY-MM-DD, got {s!r}") from None


def class_tiers(engine: Engine, project_id: str) -> dict[str, str]:
    """label -> tier; a label critical in any schema version counts as critical."""
    df = query_df(engine, "gate_project_classes", project_id=project_id)
    if df.empty:
        return {}
    crit = df.assign(c=(df["tier"] == "critical")).groupby("label")["c"].any()
    return {str(k): ("critical" if v else "standard") for k, v in crit.items()}


