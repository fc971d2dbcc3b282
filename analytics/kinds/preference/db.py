"""The preference metrics from the database: SQL sufficient statistics (``sql/preference_*.sql``), Python finish.

The SQL returns small frames -- per (group, pair bucket) agreement statistics (at most 64 rows a group) and
per-group counts -- and the same finishing code as the file path computes the figures, so the database and the
files give the same values and intervals (same seed; up to the order of floating-point sums).

``by``: ``None`` (one group), ``'dimension'``, ``'annotator'``, ``'week'`` (Monday of ``created_at``) or
``'category'`` (the pair's). Filters: ``project_id`` (required), ``dimension``, ``date_from``, ``date_to``
(inclusive days of the judgment's ``created_at``), ``team`` (the judge's).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.db import query_df
from analytics.kinds.preference import agreement as ag
from analytics.kinds.preference._boot import _BUCKET_IDS, N_BUCKETS
from analytics.kinds.preference.bias import shares_from_counts
from analytics.kinds.preference.consistency import (
    bradley_terry_from_wins, transitivity_from_wins, win_tensor_from_counts,
)
from analytics.metrics.results import wilson_interval

__all__ = ["BY_CHOICES", "agreement_from_db", "group_counts_from_db", "tie_rate_from_db", "position_bias_from_db",
           "length_bias_from_db", "object_votes_from_db", "project_from_db", "transitivity_from_db",
           "bradley_terry_from_db",
           "summary_from_db", "scope_rows_from_db", "pairs_from_db", "gold_from_db",
           "task_type_from_db", "preference_projects_from_db", "length_units_from_db", "length_slope_from_db",
           "length_controlled_from_db", "swap_units_from_db", "swap_consistency_from_db"]

BY_CHOICES = (None, "dimension", "annotator", "week", "category")


def _params(project_id: str, by: str | None, dimension: str | None, date_from: dt.date | None,
            date_to: dt.date | None, team: str | None, batch_id: str | None = None) -> dict:
    if by not in BY_CHOICES:
        raise ValueError(f"unknown by {by!r}; choose one of {', '.join(b for b in BY_CHOICES if b)} (or None)")
    return {"project_id": project_id, "by": by or "none", "dimension": dimension, "date_from": date_from,
            "date_to": date_to, "team": team, "batch_id": batch_id}


def _keys(grp: pd.Series, by: str | None) -> pd.DataFrame:
    """Key frame of the groups (column ``group``; no column for ``by=None``, like the file path's)."""
    if by is None:
        return pd.DataFrame(index=range(1))
    return pd.DataFrame({"group": grp.to_numpy()})


def agreement_from_db(engine, project_id: str, by: str | None = None, dimension: str | None = None,
                      date_from=None, date_to=None, team=None, metrics=ag.AGREEMENT_METRICS, n_boot: int = 1000,
                      seed: int = 0, batch_id=None) -> pd.DataFrame:
    """Agreement per group from ``sql/preference_agreement_stats.sql``: the long frame of
    :func:`analytics.kinds.preference.agreement.agreement_from_stats` (``group`` column with ``by``)."""
    params = _params(project_id, by, dimension, date_from, date_to, team, batch_id)
    df = query_df(engine, "preference_agreement_stats", **params)
    if by is not None:
        df = df[df["grp"].notna()]
    groups = pd.Series(sorted(df["grp"].dropna().unique().tolist()) if by is not None else [None], dtype=object)
    cube = np.zeros((len(groups), N_BUCKETS, len(ag._STATS)))
    if len(df):
        g = pd.Index(groups).get_indexer(df["grp"]) if by is not None else np.zeros(len(df), dtype=np.int64)
        b = np.searchsorted(_BUCKET_IDS, df["bucket"].to_numpy(dtype=np.int64))
        np.add.at(cube, (g, b), df[list(ag._STATS)].to_numpy(dtype=np.float64))
    if by is not None and not len(groups):
        return pd.DataFrame(columns=["group", "metric", "value", "ci_low", "ci_high", "n", "n_judgments", "reason"])
    return ag.agreement_from_stats(cube, _keys(groups, by), list(metrics), n_boot, seed)


def group_counts_from_db(engine, project_id: str, by: str | None = None, dimension: str | None = None,
                         date_from=None, date_to=None, team=None, batch_id=None) -> pd.DataFrame:
    """``sql/preference_group_counts.sql``: one row a group (``group`` column with ``by``; NULL groups dropped)."""
    df = query_df(engine, "preference_group_counts",
                  **_params(project_id, by, dimension, date_from, date_to, team, batch_id))
    if by is None:
        df = df.drop(columns="grp")
        if df.empty:
            df = pd.DataFrame([{c: 0 for c in df.columns}])
        return df.reset_index(drop=True)
    return df[df["grp"].notna()].rename(columns={"grp": "group"}).sort_values("group").reset_index(drop=True)


def _keyed(counts: pd.DataFrame) -> pd.DataFrame:
    return counts[["group"]].copy() if "group" in counts.columns else pd.DataFrame(index=range(len(counts)))


def tie_rate_from_db(engine, project_id: str, by: str | None = None, counts: pd.DataFrame | None = None,
                     **filters) -> pd.DataFrame:
    """Share of tie judgments per group with a Wilson interval (columns of ``signal.tie_rate``)."""
    c = counts if counts is not None else group_counts_from_db(engine, project_id, by, **filters)
    n, k = c["n_judgments"].to_numpy(np.int64), c["ties"].to_numpy(np.int64)
    lo, hi = wilson_interval(k, n)
    f = _keyed(c)
    f["value"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    f["ci_low"], f["ci_high"], f["n"], f["ties"] = np.atleast_1d(lo), np.atleast_1d(hi), n, k
    return f


def position_bias_from_db(engine, project_id: str, by: str | None = None, counts: pd.DataFrame | None = None,
                          **filters) -> pd.DataFrame:
    """Share choosing the first-shown response (columns of ``bias.position_bias``)."""
    c = counts if counts is not None else group_counts_from_db(engine, project_id, by, **filters)
    return shares_from_counts(c["pos_first"].to_numpy(), c["pos_n"].to_numpy(), _keyed(c),
                              "no non-tie judgment with a position")


def length_bias_from_db(engine, project_id: str, by: str | None = None, counts: pd.DataFrame | None = None,
                        **filters) -> pd.DataFrame:
    """Share choosing the longer response (columns of ``bias.length_bias``)."""
    c = counts if counts is not None else group_counts_from_db(engine, project_id, by, **filters)
    return shares_from_counts(c["len_longer"].to_numpy(), c["len_n"].to_numpy(), _keyed(c),
                              "no non-tie judgment of a pair with differing lengths")


def length_units_from_db(engine, project_id: str, by: str | None = None, dimension: str | None = None,
                         date_from=None, date_to=None, team=None, batch_id=None) -> pd.DataFrame:
    """``sql/preference_length_units.sql``: per (group, pair) ``response_a, response_b, len_a, len_b, n_a, n_b``
    (the frame of :func:`analytics.kinds.preference.length_control.length_units`)."""
    df = query_df(engine, "preference_length_units",
                  **_params(project_id, by, dimension, date_from, date_to, team, batch_id))
    if by is None:
        return df.drop(columns="grp")
    return df[df["grp"].notna()].rename(columns={"grp": "group"}).reset_index(drop=True)


def length_slope_from_db(engine, project_id: str, by: str | None = None, units: pd.DataFrame | None = None,
                         **filters) -> pd.DataFrame:
    """The logistic slope of the choice on log(len_a / len_b) per group (``length_control.length_slope``)."""
    from analytics.kinds.preference.length_control import length_slope_from_units

    u = units if units is not None else length_units_from_db(engine, project_id, by, **filters)
    return length_slope_from_units(u)


def length_controlled_from_db(engine, project_id: str, by: str | None = None, units: pd.DataFrame | None = None,
                              **filters) -> pd.DataFrame:
    """Length-controlled scores and win rates per group and object (``length_control.length_controlled``)."""
    from analytics.kinds.preference.length_control import length_controlled_from_units

    u = units if units is not None else length_units_from_db(engine, project_id, by, **filters)
    return length_controlled_from_units(u)


def swap_units_from_db(engine, project_id: str, by: str | None = None, dimension: str | None = None,
                       date_from=None, date_to=None, team=None, batch_id=None) -> pd.DataFrame:
    """``sql/preference_swap_units.sql``: ``[group,] annotator_id, v_a, v_b, units`` (the frame of
    :func:`analytics.kinds.preference.swap.swap_unit_counts`; NULL groups dropped)."""
    df = query_df(engine, "preference_swap_units",
                  **_params(project_id, by, dimension, date_from, date_to, team, batch_id))
    df["units"] = df["units"].astype(np.int64)
    if by is None:
        return df.drop(columns="grp").reset_index(drop=True)
    return df[df["grp"].notna()].rename(columns={"grp": "group"}).reset_index(drop=True)


def swap_consistency_from_db(engine, project_id: str, by: str | None = None, groups=None, alpha: float = 0.05,
                             **filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Swap consistency ``(overall, judges)`` per group (:func:`analytics.kinds.preference.swap.swap_from_counts`;
    ``groups``: the groups to report, those without repeated units get ``n = 0`` and a reason)."""
    from analytics.kinds.preference.swap import swap_from_counts

    return swap_from_counts(swap_units_from_db(engine, project_id, by, **filters), groups, alpha)


def object_votes_from_db(engine, project_id: str, by: str | None = None, dimension: str | None = None,
                         date_from=None, date_to=None, team=None, batch_id=None) -> pd.DataFrame:
    """``sql/preference_object_votes.sql`` with ``bucket`` as the 0..63 rank and ``group`` (with ``by``)."""
    df = query_df(engine, "preference_object_votes",
                  **_params(project_id, by, dimension, date_from, date_to, team, batch_id))
    df["bucket"] = np.searchsorted(_BUCKET_IDS, df["bucket"].to_numpy(dtype=np.int64))
    if by is None:
        return df.drop(columns="grp")
    return df[df["grp"].notna()].rename(columns={"grp": "group"}).reset_index(drop=True)


def transitivity_from_db(engine, project_id: str, by: str | None = None, votes: pd.DataFrame | None = None,
                         **filters) -> pd.DataFrame:
    """Cycles of the majority preference graph of the compared objects (columns of ``consistency.transitivity``)."""
    v = votes if votes is not None else object_votes_from_db(engine, project_id, by, **filters)
    win, _tie, objects, keys = win_tensor_from_counts(v, "group" if by else None)
    return transitivity_from_wins(win, objects, keys)


def bradley_terry_from_db(engine, project_id: str, by: str | None = None, votes: pd.DataFrame | None = None,
                          ties: str = "half", n_boot: int = 200, seed: int = 0, **filters) -> pd.DataFrame:
    """Bradley-Terry leaderboard (columns of ``consistency.bradley_terry``) from the object vote counts."""
    if ties not in ("half", "drop", "count"):
        raise ValueError(f"unknown ties rule {ties!r}; choose half, drop or count")
    v = votes if votes is not None else object_votes_from_db(engine, project_id, by, **filters)
    key = "group" if by else None
    win_b, tie_b, objects, keys = win_tensor_from_counts(v, key, buckets=True)
    raw, tie_raw, _, _ = win_tensor_from_counts(v, key)
    if ties == "half":
        win_b = win_b + tie_b / 2
    return bradley_terry_from_wins(win_b, raw, tie_raw, objects, keys, n_boot, seed)


def project_from_db(engine, project_id: str) -> dict | None:
    """``task_type, n_pairs, n_judgments, n_dimensions`` of a project (None when the project or the preference
    tables do not exist: a database made before the kind's tables and opened read-only)."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("preference_judgments"):
        return None
    df = query_df(engine, "preference_project", project_id=project_id)
    if df.empty:
        return None
    r = df.iloc[0]
    return {"task_type": str(r["task_type"]), "n_pairs": int(r["n_pairs"]), "n_judgments": int(r["n_judgments"]),
            "n_dimensions": int(r["n_dimensions"])}


def summary_from_db(engine, project_id: str, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                    **filters) -> dict:
    """Every database figure of one call: ``counts, agreement, tie_rate, position_bias, length_bias,
    transitivity, bradley_terry`` frames."""
    counts = group_counts_from_db(engine, project_id, by, **filters)
    votes = object_votes_from_db(engine, project_id, by, **filters)
    return {
        "transitivity": transitivity_from_db(engine, project_id, by, votes=votes),
        "bradley_terry": bradley_terry_from_db(engine, project_id, by, votes=votes, n_boot=min(n_boot, 200),
                                               seed=seed),
        "counts": counts,
        "agreement": agreement_from_db(engine, project_id, by, n_boot=n_boot, seed=seed, **filters),
        "tie_rate": tie_rate_from_db(engine, project_id, by, counts=counts),
        "position_bias": position_bias_from_db(engine, project_id, by, counts=counts),
        "length_bias": length_bias_from_db(engine, project_id, by, counts=counts),
    }


def scope_rows_from_db(engine, project_id: str, dimension: str | None = None, date_from=None, date_to=None,
                       team=None, batch_id=None) -> pd.DataFrame:
    """The scope's judgments, one row each (``sql/preference_scope_rows.sql``: the judgments shape + ``team``,
    ``response_a, response_b, category, len_a, len_b``)."""
    df = query_df(engine, "preference_scope_rows",
                  **_params(project_id, None, dimension, date_from, date_to, team, batch_id))
    if len(df) and "created_at" in df.columns:
        df["created_at"] = pd.to_datetime(df["created_at"])
    return df


def pairs_from_db(engine, project_id: str) -> pd.DataFrame:
    """The project's pairs with texts and lengths (``sql/preference_pair_rows.sql``)."""
    return query_df(engine, "preference_pair_rows", project_id=project_id)


def gold_from_db(engine, project_id: str) -> pd.DataFrame:
    """Gold verdicts on the project's pairs: ``pair_id, dimension, choice`` (empty for a database made before the
    ``preference_gold`` table, opened read-only)."""
    from sqlalchemy import inspect

    if not inspect(engine).has_table("preference_gold"):
        return pd.DataFrame(columns=["pair_id", "dimension", "choice"])
    return query_df(engine, "preference_gold_rows", project_id=project_id)


def task_type_from_db(engine, project_id: str) -> str | None:
    """``projects.task_type`` of a project (``classification`` when empty; None for an unknown project)."""
    df = query_df(engine, "project_task_type", project_id=project_id)
    if df.empty:
        return None
    t = df.iloc[0]["task_type"]
    return "classification" if t is None or t != t or str(t) == "" else str(t)


def preference_projects_from_db(engine) -> list[str]:
    """Ids of the database's projects of task_type ``preference``."""
    return [str(x) for x in query_df(engine, "preference_projects")["project_id"]]
