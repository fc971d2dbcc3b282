"""Accuracy against gold from the database: per-group counts from ``sql/accuracy_*.sql`` /
``sql/confusion_*.sql`` (all built on the shared ``filtered_annotations`` CTE), finished by the frame path's code
in :mod:`analytics.metrics.accuracy` and :mod:`analytics.metrics.systematic`, so both paths agree exactly."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.accuracy import (
    MISSING_GROUP, StratifiedResult, _as_list, _attr_key, _finish_accuracy, _gold_scored, _output_name,
    _row_estimate, confusion_counts, stratified_accuracy,
)
from analytics.metrics.results import SMALL_N, Estimate
from analytics.metrics.systematic import _SYSTEMATIC_COLUMNS, _dimension_group_frame, _systematic_finish, _top_pairs

__all__ = [
    "DB_GROUPINGS",
    "accuracy_from_db",
    "overall_accuracy_from_db",
    "strata_from_db",
    "stratified_accuracy_from_db",
    "confusion_from_db",
    "systematic_confusions",
]

# ``by`` values the database path supports, and the group key each binds as ``:by`` in
# sql/accuracy_by_group.sql (``()``: sql/accuracy_overall.sql instead).
DB_GROUPINGS: dict[tuple[str, ...], str | None] = {
    (): None,
    ("gold_label",): "gold_label",
    ("annotator_id",): "annotator_id",
    ("team",): "team",
    ("week",): "week",
    ("batch_id",): "batch_id",
    ("annotator_id", "week"): "annotator_id*week",
    ("attr:*",): "attr",
}
# The fixed list of group keys (sql/_gold_scored.sql) each grouped query accepts: the only values ``:by`` gets.
_GROUP_KEYS: dict[str, frozenset[str]] = {
    "accuracy_by_group": frozenset(k for k in DB_GROUPINGS.values() if k is not None),
    "confusion_by_group": frozenset({"team", "annotator_id", "attr", "team*attr"}),
}


def _grouped_counts(engine: Engine, query: str, key: str, params: Mapping[str, Any],
                    attr_key: str | None = None) -> pd.DataFrame:
    """Run grouped query ``query`` with group key ``key`` (checked against its fixed list, then bound as ``:by``;
    never formatted into the SQL) and item attribute ``attr_key`` (``'attr'`` / ``'team*attr'`` keys)."""
    allowed = _GROUP_KEYS[query]
    if key not in allowed:
        raise ValueError(f"{query} cannot group by {key!r}; allowed keys: {', '.join(sorted(allowed))}")
    return query_df(engine, query, **params, by=key, attr_key=attr_key)


def accuracy_from_db(engine: Engine, filters: Filters, by: str | Sequence[str] | None = None,
                     small_n: int = SMALL_N, confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy against gold per group from the database (same columns and values as :func:`accuracy_by`).

    ``by``: None, ``'gold_label'``, ``'annotator_id'``, ``'team'``, ``'week'`` (Monday ``date``),
    ``'batch_id'``, ``['annotator_id', 'week']`` or ``'attr:<key>'`` (items without the attribute: group
    ``None``). SQL returns per-group ``correct, n, n_items``; Python adds the Wilson intervals.
    """
    groups = _as_list(by)
    keys = tuple(groups)
    attr_key = None
    if len(groups) == 1 and _attr_key(groups[0]) is not None:
        keys = ("attr:*",)
        attr_key = _attr_key(groups[0])
    if keys not in DB_GROUPINGS:
        supported = ", ".join(repr(list(k)) if len(k) > 1 else repr(k[0]) for k in DB_GROUPINGS
                              if k and k != ("attr:*",))
        raise ValueError(f"accuracy_from_db cannot group by {groups!r}; supported: None, {supported}, 'attr:<key>'")
    out_names = [_output_name(g) for g in groups]
    key = DB_GROUPINGS[keys]
    if key is None:
        counts = query_df(engine, "accuracy_overall", **filters.params())
        if counts.empty:
            counts = pd.DataFrame({"correct": [0], "n": [0], "n_items": [0]})
    else:
        counts = _grouped_counts(engine, "accuracy_by_group", key, filters.params(), attr_key)
        used = {"week": ["grp_week"], "annotator_id*week": ["grp", "grp_week"]}.get(key, ["grp"])
        counts = (counts.drop(columns=[c for c in ("grp", "grp2", "grp_week") if c not in used])
                  .rename(columns=dict(zip(used, out_names))))
    return _finish_accuracy(counts, out_names, small_n, confidence)


def overall_accuracy_from_db(engine: Engine, filters: Filters, small_n: int = SMALL_N,
                             confidence: float = 0.95) -> Estimate:
    """Overall accuracy against gold from the database, as an :class:`Estimate` (Wilson interval)."""
    return _row_estimate(accuracy_from_db(engine, filters, None, small_n, confidence).iloc[0], small_n, confidence)


def strata_from_db(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Per gold class ``stratum, correct, n, n_items, population`` for :func:`stratified_accuracy`.

    ``population`` = items of the filtered project whose class is the stratum; an item's class is its gold label
    when it has one, else the majority label of its filtered annotations (ties -> lowest label). Using gold
    where known keeps every sampled item inside its own stratum's population (``N_h >= n_items_h``).
    """
    out = query_df(engine, "accuracy_strata", **filters.params())
    for c in ("correct", "n", "n_items", "population"):
        out[c] = out[c].astype("int64")
    return out


def stratified_accuracy_from_db(engine: Engine, filters: Filters, confidence: float = 0.95,
                                small_n: int = SMALL_N) -> StratifiedResult:
    """Post-stratified overall accuracy of the filtered project: strata = gold classes (see
    :func:`strata_from_db` for the population), beside the naive pooled figure."""
    return stratified_accuracy(strata_from_db(engine, filters), confidence, small_n)


def confusion_from_db(engine: Engine, filters: Filters, annotator_id: str | None = None, team: str | None = None,
                      attr_key: str | None = None, attr_value: str | None = None,
                      attr: tuple[str, str | None] | None = None) -> pd.DataFrame:
    """Long annotator-vs-gold confusion counts ``gold_label, label, n`` from the database.

    Optional narrowing: one annotator, one team (in addition to ``filters.team``), items having attribute
    ``attr_key`` (with value ``attr_value`` when given). ``attr=(key, value)`` is a shorthand for the last two.
    """
    if attr is not None:
        attr_key, attr_value = attr
    if attr_value is not None and attr_key is None:
        raise ValueError("attr_value needs attr_key")
    out = query_df(engine, "confusion_counts", **filters.params(), annotator_id=annotator_id, only_team=team,
                   attr_key=attr_key, attr_value=attr_value)
    out["n"] = out["n"].astype("int64")
    return out.sort_values(["gold_label", "label"], kind="mergesort").reset_index(drop=True)


def _dimension_group_db(engine: Engine, filters: Filters, dim: str, true_labels: list[str]) -> pd.DataFrame:
    params = {**filters.params(), "true_labels": true_labels}
    parts = dim.split("*")
    keys = [_attr_key(p) for p in parts]
    if parts in (["team"], ["annotator_id"]):
        key, attr_key = parts[0], None
    elif len(parts) == 1 and keys[0] is not None:
        key, attr_key = "attr", keys[0]
    elif len(parts) == 2 and parts[0] == "team" and keys[1] is not None:
        key, attr_key = "team*attr", keys[1]
    else:
        raise ValueError(f"systematic_confusions cannot group the database by {dim!r}; use 'team', "
                         "'annotator_id', 'attr:<key>' or 'team*attr:<key>'")
    df = _grouped_counts(engine, "confusion_by_group", key, params, attr_key)
    if key == "team*attr":
        df["grp"] = (df["grp"].astype(object).where(df["grp"].notna(), MISSING_GROUP).astype(str) + "|"
                     + df["grp2"].astype(object).where(df["grp2"].notna(), MISSING_GROUP).astype(str))
    df = df.drop(columns="grp2")
    df["grp"] = df["grp"].astype(object).where(df["grp"].notna(), MISSING_GROUP).astype(str)
    return df.rename(columns={"grp": "group"})[["gold_label", "label", "group", "n"]]


def systematic_confusions(source: Engine | pd.DataFrame, filters: Filters | None = None, *,
                          by: Sequence[str] = ("team", "annotator_id"), pairs: Sequence[tuple[str, str]] | None = None,
                          top: int = 5, min_n: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """Top confused pairs and whether each confusion is systematic (concentrated in a group).

    ``source``: an engine (with ``filters``) or a long frame ``item_id, annotator_id, label, gold_label`` +
    the ``by`` columns. ``pairs``: ``(true_label, label)`` pairs to test; default: the ``top`` off-diagonal
    pairs of the overall confusion by count (at least ``min_n`` annotations). ``by``: grouping dimensions,
    each ``'team'``, ``'annotator_id'``, ``'attr:<key>'`` or ``'team*attr:<key>'`` (frame: any columns,
    ``a*b`` combines two).

    For each pair (gold ``t`` labelled ``l``) and dimension, over annotations of gold-``t`` items: a Pearson
    chi-square test of independence on the table groups x {labelled l, other} (Fisher's exact test when 2x2
    with an expected count < 5). The group where the confusion concentrates is the one with the largest
    positive Pearson residual; ``group_rate`` is its confusion rate, ``rest_rate`` that of all other groups.
    ``p_value`` is Bonferroni-adjusted over all tests made (pairs x dimensions); ``systematic`` is
    ``p_value < alpha`` with ``group_rate > rest_rate``. Caveat: annotations of one item are treated as
    independent, and with many small groups (e.g. annotators) the chi-square approximation is rough
    (see ``min_expected``).

    Returns one row per (pair, dimension): ``true_label, label, n, share`` (n / gold-t annotations),
    ``dimension, concentrated_in`` (e.g. ``'team=team_c'`` or ``'team=team_c, lighting=night'``), ``group,
    group_n, group_rate, rest_rate, groups_tested, test, statistic, min_expected, p_raw, p_value, systematic,
    reason`` (why a test was not possible).
    """
    dims = list(by)
    if isinstance(source, pd.DataFrame):
        scored = _gold_scored(source)
        overall = confusion_counts(scored)
    elif isinstance(source, Engine):
        if filters is None:
            raise ValueError("systematic_confusions(engine, ...) needs filters")
        overall = confusion_from_db(source, filters)
    else:
        raise TypeError(f"source must be a SQLAlchemy Engine or a pandas DataFrame, got {type(source).__name__}")
    if pairs is None:
        pair_df = _top_pairs(overall, top, min_n)
    else:
        tot = overall.groupby("gold_label")["n"].sum()
        cnt = overall.set_index(["gold_label", "label"])["n"]
        pair_df = pd.DataFrame([(t, l, int(cnt.get((t, l), 0))) for t, l in pairs],
                               columns=["true_label", "label", "n"])
        pair_df["share"] = pair_df["n"] / pair_df["true_label"].map(tot).astype(float)
    if pair_df.empty:
        return pd.DataFrame(columns=list(_SYSTEMATIC_COLUMNS))
    true_labels = sorted(pair_df["true_label"].astype(str).unique())
    group_counts: dict[str, pd.DataFrame] = {}
    for dim in dims:
        if isinstance(source, pd.DataFrame):
            sub = scored[scored["gold_label"].astype(str).isin(true_labels)]
            gc = pd.DataFrame({"gold_label": sub["gold_label"].astype(str).to_numpy(),
                               "label": sub["label"].astype(str).to_numpy(),
                               "group": _dimension_group_frame(sub, dim).to_numpy()})
            group_counts[dim] = gc.groupby(["gold_label", "label", "group"]).size().rename("n").reset_index()
        else:
            group_counts[dim] = _dimension_group_db(source, filters, dim, true_labels)
    return _systematic_finish(pair_df, group_counts, alpha)
