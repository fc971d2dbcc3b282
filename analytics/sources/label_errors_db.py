"""Confident learning on the database (issue 14 sec. 1): sufficient statistics in SQL, finishing in Python.

``label_errors_from_db(engine, filters, run_id)`` reads two queries:

1. ``sql/label_errors_joint.sql``: per (given label, confident class) the item count, and the per-class threshold
   (mean self-confidence) - a K x (K + 1) table. Python calibrates the joint and computes the prune counts
   (:func:`analytics.metrics.label_errors.calibrate_joint`, :func:`~analytics.metrics.label_errors.prune_counts`).
2. ``sql/label_errors_candidates.sql``: only the items the pruning cells remove come back (the cells are bound as
   arrays), with self-confidence and the best other class; Python applies cleanlab's last step
   (:func:`~analytics.metrics.label_errors.survives_reduce`) and ranks.

Given label = the item's majority label over the filtered annotations (ties -> lowest label); items are those
with a given label and at least one ``model_scores`` row in the run (a class without a row has score 0). The
result equals :func:`analytics.metrics.label_errors.label_errors_from_frames` on the same labels and scores
(tests/test_label_errors_db.py, CIFAR-10 included), except that ties at a cell's cut-off are broken by item id
where the frame path follows numpy's argsort. Class order (arg-max ties) is the database's string order, the
same as Python's on DuckDB. Array parameters need DuckDB or PostgreSQL.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from analytics.db import query_df, sql_text
from analytics.filters import Filters
from analytics.metrics.label_errors import (
    _EPS_THRESHOLD, _T_MIN, FILTERS, RANKINGS, LabelErrors, calibrate_joint, noise_matrix, per_class_table,
    prune_counts, pruning_cells, survives_reduce,
)
from analytics.metrics.results import NoData

__all__ = ["model_score_runs_from_db", "label_errors_from_db", "pg_hash_joins", "read_scoped"]


def pg_hash_joins(con: Connection) -> None:
    """On PostgreSQL, plan this transaction's joins without nested loops (``SET LOCAL enable_nestloop = off``).
    The confident-learning queries join CTEs that PostgreSQL materialises without statistics; it then chose
    nested loops over them: label_errors_joint.sql ran over 15 minutes at the 60k demo (64k scored items), 0.8 s
    with hash joins. Other databases: nothing."""
    if con.dialect.name == "postgresql":
        con.execute(text("SET LOCAL enable_nestloop = off"))


def read_scoped(engine: Engine | Connection, name: str, params: dict) -> pd.DataFrame:
    """Query ``name`` over the label_errors_scope CTEs on one connection, with :func:`pg_hash_joins` first (the
    readers of label issue shares and of the review queue's signals and yield)."""
    if isinstance(engine, Engine):
        with engine.connect() as c:
            return read_scoped(c, name, params)
    pg_hash_joins(engine)
    return pd.read_sql(text(sql_text(name)), engine, params=params)


def model_score_runs_from_db(engine: Engine | Connection, project_id: str) -> pd.DataFrame:
    """Runs of the project with class scores: ``run_id, model_name, model_version, trained_on_batch,
    evaluated_at, n_items, n_scores, n_labels`` (newest first; empty when the project has no model scores)."""
    return query_df(engine, "model_scores_runs", project_id=project_id)


def _candidates(engine, params: dict) -> pd.DataFrame:
    # Arrays are bound whole (not expanded into IN lists), so the query text does not depend on the cell count.
    stmt = text(sql_text("label_errors_candidates"))
    if isinstance(engine, Engine):
        with engine.connect() as c:
            return pd.read_sql(stmt, c, params=params)
    return pd.read_sql(stmt, engine, params=params)


def label_errors_from_db(engine: Engine | Connection, filters: Filters, run_id: str,
                         filter_by: str = "prune_by_noise_rate", rank_by: str = "self_confidence"):
    """:class:`~analytics.metrics.label_errors.LabelErrors` for the filtered project under ``run_id``'s scores,
    raises :class:`~analytics.metrics.results.NoData` when no labelled item has scores in that run."""
    if filter_by not in FILTERS:
        raise ValueError(f"filter_by must be one of {FILTERS}, got {filter_by!r}")
    if rank_by not in RANKINGS:
        raise ValueError(f"rank_by must be one of {RANKINGS}, got {rank_by!r}")
    if isinstance(engine, Engine):  # one connection: the PostgreSQL planner setting below holds for both queries
        with engine.connect() as con:
            return label_errors_from_db(con, filters, run_id, filter_by, rank_by)
    pg_hash_joins(engine)
    base = {**filters.params(), "run_id": run_id}
    joint = query_df(engine, "label_errors_joint", **base, t_min=float(_T_MIN), eps=_EPS_THRESHOLD)
    if joint.empty:
        raise NoData(f"no labelled item of project {filters.project_id} has scores in model run {run_id}")
    classes = sorted(set(joint["given_label"].astype(str)) | set(joint["true_label"].dropna().astype(str)))
    pos = {c: i for i, c in enumerate(classes)}
    k = len(classes)
    gi = joint["given_label"].astype(str).map(pos).to_numpy()
    counts = np.bincount(gi, weights=joint["n"].to_numpy(float), minlength=k).astype(int)
    conf = joint[joint["true_label"].notna()]
    cj = np.zeros((k, k), int)
    np.add.at(cj, (conf["given_label"].astype(str).map(pos).to_numpy(), conf["true_label"].astype(str).map(pos).to_numpy()),
              conf["n"].to_numpy(int))
    np.fill_diagonal(cj, cj.diagonal().clip(min=1))
    cal = calibrate_joint(cj, counts)
    thr = joint.groupby(joint["given_label"].astype(str))["threshold"].first()
    thresholds = pd.Series(2.0, index=classes).astype(float)
    thresholds[thr.index] = thr.to_numpy(float)

    cells = [] if filter_by == "predicted_neq_given" else pruning_cells(counts, prune_counts(cal), filter_by)
    cand = _candidates(engine, {**base, "cut_given": [classes[c] for c, _, _ in cells],
                                "cut_true": [classes[j] for _, j, _ in cells], "cut_n": [n for _, _, n in cells],
                                "all_conflicts": int(filter_by == "predicted_neq_given")})
    cand["given_label"] = cand["given_label"].astype(str)
    items = cand.drop_duplicates("item_id").set_index("item_id")
    if filter_by == "predicted_neq_given":
        keep = items.index
    else:
        by_class = set(cand.loc[cand["cell_true_label"].astype(str) == cand["given_label"], "item_id"])
        by_rate = set(cand.loc[cand["cell_true_label"].astype(str) != cand["given_label"], "item_id"])
        keep = {"prune_by_class": by_class, "prune_by_noise_rate": by_rate, "both": by_class & by_rate}[filter_by]
    it = items.loc[sorted(keep)] if len(keep) else items.iloc[:0]
    sugg = it["suggested_label"]
    first = (sugg.notna() & (sugg.astype(str).map(pos).fillna(k).to_numpy() < it["given_label"].map(pos).to_numpy()))
    it = it[survives_reduce(it["self_confidence"].to_numpy(float), it["suggested_score"].to_numpy(float), first)]
    sc, other = it["self_confidence"].to_numpy(float), it["suggested_score"].to_numpy(float)
    score = sc if rank_by == "self_confidence" else (sc - other + 1) / 2
    order = np.argsort(score, kind="stable")
    issues = pd.DataFrame({"item_id": it.index.to_numpy(object)[order], "given_label": it["given_label"].to_numpy(object)[order],
                           "suggested_label": it["suggested_label"].to_numpy(object)[order], "score": score[order],
                           "self_confidence": sc[order], "suggested_score": other[order]})
    n_issues = np.bincount(it["given_label"].map(pos).to_numpy(int), minlength=k)
    nm = pd.DataFrame(noise_matrix(cal), index=pd.Index(classes, name="given"), columns=pd.Index(classes, name="true"))
    return LabelErrors(int(counts.sum()), issues, per_class_table(classes, counts, n_issues), nm, thresholds,
                       filter_by, rank_by)
