"""Label quality versus model quality from the database: per-class label accuracy next to a run's metric
(``sql/model_label_quality.sql``), dataset versions (``sql/model_versions.sql``), pre-label acceptance
(``sql/prelabel_acceptance.sql``) and calibration bins (``sql/calibration_bins.sql``), finished by the code in
:mod:`analytics.metrics.correlation`, :mod:`analytics.metrics.prelabel` and :mod:`analytics.metrics.calibration`."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.calibration import CalibrationResult, _check_bins, _finish_calibration
from analytics.metrics.correlation import _reasons, label_vs_model
from analytics.metrics.prelabel import prelabel_acceptance
from analytics.metrics.results import NoData, wilson_interval

__all__ = ["label_vs_model_from_db", "versions_from_db", "prelabel_acceptance_from_db", "calibration_from_db"]

def _run_info(engine, run_id: str) -> pd.Series:
    run = query_df(engine, "model_run", run_id=run_id)
    if run.empty:
        raise ValueError(f"no model run {run_id!r}")
    return run.iloc[0]


def _scope(project_id: str, filters: Filters | None) -> Filters:
    if filters is None:
        return Filters(project_id=project_id)
    if filters.project_id != project_id:
        raise ValueError(f"filters are for project {filters.project_id!r}, not {project_id!r}")
    return filters


def label_vs_model_from_db(engine, project_id: str, run_id: str, metric: str = "f1",
                           filters: Filters | None = None) -> pd.DataFrame:
    """Per class of one model run: label accuracy of its training annotations vs gold, and the model metric.

    Training annotations are the filtered annotations (``filters``, default: the whole project) whose batch was
    delivered no later than the run's ``trained_on_batch`` (all annotations if the run names none; annotations
    without a batch are kept). ``metric`` names ``model_metrics.metric`` (``f1``, ``precision``, ...);
    ``support`` is that row's support. Reads ``sql/model_label_quality.sql`` (one row per class). Frame as
    ``label_vs_model``; feed it to ``label_model_regression``.
    """
    run = _run_info(engine, run_id)
    if run["project_id"] != project_id:
        raise ValueError(f"model run {run_id!r} belongs to project {run['project_id']!r}, not {project_id!r}")
    f = _scope(project_id, filters)
    counts = query_df(engine, "model_label_quality", **f.params(), run_id=run_id, metric=metric)
    if counts.empty:
        raise NoData(f"run {run_id!r} has no per-class {metric!r} metric and no gold-scored annotations")
    return label_vs_model(counts)


def versions_from_db(engine, project_id: str, metric: str = "f1", filters: Filters | None = None) -> pd.DataFrame:
    """One row per model run of the project (dataset version = ``trained_on_batch``), in training order.

    ``label_accuracy`` is the accuracy vs gold of all filtered annotations in batches delivered up to and
    including the run's ``trained_on_batch`` (the training data of that version; Wilson 95% interval over
    ``n`` scored annotations); ``model_metric`` is the run's overall ``metric`` (``model_metrics.label IS NULL``).
    Columns ``run_id, trained_on_batch, trained_until, label_accuracy, ci_low, ci_high, n, model_metric,
    reason``. Reads ``sql/model_versions.sql`` (per-batch counts joined cumulatively to the runs).
    """
    f = _scope(project_id, filters)
    rows = query_df(engine, "model_versions", **f.params(), metric=metric)
    if rows.empty:
        raise NoData(f"project {project_id!r} has no model runs")
    n = rows["n"].fillna(0).to_numpy(float)
    correct = rows["correct"].fillna(0).to_numpy(float)
    low, high = wilson_interval(correct, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows["label_accuracy"] = np.where(n > 0, correct / n, np.nan)
    rows["ci_low"], rows["ci_high"], rows["n"] = low, high, n.astype(np.int64)
    rows["model_metric"] = pd.to_numeric(rows["model_metric"], errors="coerce").astype(float)
    rows["trained_until"] = pd.to_datetime(rows["trained_until"])
    reason = np.full(len(rows), None, dtype=object)
    reason[rows["model_metric"].isna().to_numpy()] = f"no overall {metric!r} metric for this run"
    reason[n == 0] = "no gold-scored annotations in the training batches"
    rows["reason"] = _reasons(reason, rows.index)
    return rows[["run_id", "trained_on_batch", "trained_until", "label_accuracy", "ci_low", "ci_high", "n",
                 "model_metric", "reason"]].reset_index(drop=True)


def prelabel_acceptance_from_db(engine, filters: Filters, alpha: float = 0.05, min_n: int = 10) -> pd.DataFrame:
    """``prelabel_acceptance`` on per-annotator counts from ``sql/prelabel_acceptance.sql`` (filtered scope;
    annotations with a ``model_suggestion``, excluding ``source = 'model_auto'``)."""
    counts = query_df(engine, "prelabel_acceptance", **filters.params())
    if counts.empty:
        raise NoData("no pre-labelled annotations in the filtered scope")
    return prelabel_acceptance(counts, alpha=alpha, min_n=min_n)


def calibration_from_db(engine, project_id: str, run_id: str, bins: int = 10,
                        reference: str = "gold_or_consensus", n_boot: int = 2000, seed: int = 0) -> CalibrationResult:
    """Calibration of one model run's predictions (``predictions.confidence``) on the project's items.

    ``reference='gold_or_consensus'`` (default) scores a prediction against the item's gold label and, where
    the item has no gold, against its annotations' unique majority label (at least two annotations, no tie);
    items with neither are left out. ``reference='gold'`` uses gold only. ``n_gold`` / ``n_consensus`` say how
    many predictions each reference scored: consensus is itself noisy, so a gold-only check is the stricter one.
    Reads ``sql/calibration_bins.sql`` (one row per (bin, reference)).
    """
    bins = _check_bins(bins)
    if reference not in ("gold", "gold_or_consensus"):
        raise ValueError(f"reference must be 'gold' or 'gold_or_consensus'; got {reference!r}")
    run = _run_info(engine, run_id)
    if run["project_id"] != project_id:
        raise ValueError(f"model run {run_id!r} belongs to project {run['project_id']!r}, not {project_id!r}")
    s = query_df(engine, "calibration_bins", project_id=project_id, run_id=run_id, bins=bins, reference=reference)
    if s.empty:
        raise NoData(f"run {run_id!r} has no predictions with a confidence and a {reference} reference")
    return _finish_calibration(s, bins, reference, n_boot, seed)
