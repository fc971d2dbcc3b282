"""Cached data loaders: each wraps one ``analytics`` call (SQL sufficient statistics, never the whole
annotation table) in ``st.cache_data(ttl=TTL)``, a cache shared by every session.

The cache is keyed by the data: :func:`ui.freshness.refresh_if_changed` (called by ``ui.common.setup`` on every
run) empties it when the database's data version changes, so a ``labelqa load`` shows on the next page run.

Every loader takes ``_engine`` (left out of the cache key) and ``db`` (the resolved URL, part of the key so
that two databases never share a cache entry), then the frozen ``Filters`` and plain arguments. The
spinner text says what is being computed; it shows only on a cache miss.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import NoData

TTL = 3600  # backstop lifetime of a cached result; a data-version change empties the cache at once
# --------------------------------------------------------------------------------- dashboard-only SQL
@st.cache_data(ttl=TTL, show_spinner="Reading projects...")
def projects(_engine: Engine, db: str) -> pd.DataFrame:
    """``sql/ui_projects.sql``: project_id, name, client, task_type, first_date, last_date, n_annotations."""
    return query_df(_engine, "ui_projects")


@st.cache_data(ttl=TTL, show_spinner="Reading filter values...")
def filter_options(_engine: Engine, db: str, project_id: str) -> dict[str, list]:
    """``sql/ui_filter_options.sql`` grouped: kind -> sorted values (weeks as ISO dates, newest last)."""
    df = query_df(_engine, "ui_filter_options", project_id=project_id)
    out: dict[str, list] = {}
    for kind, g in df.groupby("kind", sort=False):
        vals = g["value"].dropna().astype(str).tolist()
        if kind == "schema_version":
            vals = sorted(int(v) for v in vals)
        else:
            vals = sorted(vals)
        out[str(kind)] = vals
    return out


@st.cache_data(ttl=TTL, show_spinner="Reading the period's filter values...")
def period_options(_engine: Engine, db: str, project_id: str, date_from, date_to) -> dict[str, list]:
    """``sql/ui_period_options.sql`` grouped: kind -> sorted values present in ``date_from``..``date_to``
    (team, schema_version, split, annotator, attr_key, attr_value)."""
    df = query_df(_engine, "ui_period_options", project_id=project_id, date_from=date_from, date_to=date_to,
                  team=None, schema_version=None, split=None, batch_id=None)
    out: dict[str, list] = {}
    for kind, g in df.groupby("kind", sort=False):
        vals = g["value"].dropna().astype(str).tolist()
        out[str(kind)] = sorted(int(v) for v in vals) if kind == "schema_version" else sorted(vals)
    return out


@st.cache_data(ttl=TTL, show_spinner="Reading the filters' date spans...")
def filter_spans(_engine: Engine, db: str, project_id: str) -> pd.DataFrame:
    """``sql/ui_filter_spans.sql``: team, schema_version, split, first_date, last_date, n (all dates)."""
    df = query_df(_engine, "ui_filter_spans", project_id=project_id)
    for col in ("first_date", "last_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


@st.cache_data(ttl=TTL, show_spinner="Reading the taxonomy...")
def label_classes(_engine: Engine, db: str, project_id: str) -> pd.DataFrame:
    """``sql/ui_label_classes.sql``: label, tier, first_schema_version, last_schema_version."""
    return query_df(_engine, "ui_label_classes", project_id=project_id)


def _ui(_engine: Engine, name: str, f: Filters | None = None, **params) -> pd.DataFrame:
    return query_df(_engine, name, **(f.params() if f is not None else {}), **params)


@st.cache_data(ttl=TTL, show_spinner="Counting weekly volume...")
def weekly_volume(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    """``sql/ui_weekly_volume.sql``: week, annotations, items, annotators, seconds."""
    df = _ui(_engine, "ui_weekly_volume", f)
    df["week"] = pd.to_datetime(df["week"])
    return df


@st.cache_data(ttl=TTL, show_spinner="Reading annotator activity...")
def annotator_activity(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    """``analytics.activity.annotator_activity_from_db``: annotator_id, team, n_annotations, n_items, n_timed,
    active_hours, items_per_hour, median_seconds_per_item, weeks_active, first_at, last_at, reason."""
    from analytics.activity import annotator_activity_from_db
    return annotator_activity_from_db(_engine, f)


@st.cache_data(ttl=TTL, show_spinner="Counting items checked by QA...")
def qa_rate(_engine: Engine, db: str, f: Filters):
    """``analytics.activity.qa_rate_from_db``: Estimate of the share of items with gold or a review (n = items)."""
    from analytics.activity import qa_rate_from_db
    return qa_rate_from_db(_engine, f)


@st.cache_data(ttl=TTL, show_spinner="Reading the annotator's disagreements with gold...")
def annotator_disagreements(_engine: Engine, db: str, f: Filters, annotator_id: str, limit: int = 50) -> pd.DataFrame:
    """``sql/ui_annotator_disagreements.sql``: the newest annotations that differ from gold."""
    return _ui(_engine, "ui_annotator_disagreements", f, annotator_id=annotator_id, limit_rows=int(limit))


@st.cache_data(ttl=TTL, show_spinner="Reading model runs...")
def model_runs(_engine: Engine, db: str, project_id: str) -> pd.DataFrame:
    """``sql/ui_model_runs.sql``: run_id, model_name, model_version, trained_on_batch, evaluated_at, counts."""
    return query_df(_engine, "ui_model_runs", project_id=project_id)


@st.cache_data(ttl=TTL, show_spinner="Reading model metric names...")
def model_metric_names(_engine: Engine, db: str, project_id: str) -> list[str]:
    return query_df(_engine, "ui_model_metric_names", project_id=project_id)["metric"].astype(str).tolist()


# ------------------------------------------------------------------------------------------- accuracy
@st.cache_data(ttl=TTL, show_spinner="Computing accuracy against gold...")
def overall_accuracy(_engine: Engine, db: str, f: Filters, small_n: int = 30):
    from analytics.accuracy import overall_accuracy_from_db
    return overall_accuracy_from_db(_engine, f, small_n=small_n)


@st.cache_data(ttl=TTL, show_spinner="Computing accuracy against gold per group...")
def accuracy(_engine: Engine, db: str, f: Filters, by, small_n: int = 30) -> pd.DataFrame:
    """``accuracy_from_db``: group cols, correct, n, n_items, accuracy, ci_low, ci_high, small_sample, reason."""
    from analytics.accuracy import accuracy_from_db
    return accuracy_from_db(_engine, f, by=list(by) if isinstance(by, tuple) else by, small_n=small_n)


@st.cache_data(ttl=TTL, show_spinner="Computing the stratified accuracy estimate...")
def stratified(_engine: Engine, db: str, f: Filters, small_n: int = 30):
    from analytics.accuracy import stratified_accuracy_from_db
    return stratified_accuracy_from_db(_engine, f, small_n=small_n)


@st.cache_data(ttl=TTL, show_spinner="Counting confusions against gold...")
def confusion(_engine: Engine, db: str, f: Filters, annotator_id: str | None = None, team: str | None = None,
              attr_key: str | None = None, attr_value: str | None = None) -> pd.DataFrame:
    """``confusion_from_db``: long gold_label, label, n."""
    from analytics.accuracy import confusion_from_db
    return confusion_from_db(_engine, f, annotator_id=annotator_id, team=team, attr_key=attr_key,
                             attr_value=attr_value)


@st.cache_data(ttl=TTL, show_spinner="Testing which confusions are systematic...")
def systematic(_engine: Engine, db: str, f: Filters, by: tuple[str, ...], top: int = 5) -> pd.DataFrame:
    from analytics.accuracy import systematic_confusions
    return systematic_confusions(_engine, f, by=by, top=top)


@st.cache_data(ttl=TTL, show_spinner="Counting items per class for the QA plan...")
def qa_population(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    from analytics.accuracy import qa_population_from_db
    return qa_population_from_db(_engine, f)


@st.cache_data(ttl=TTL, show_spinner="Planning the QA sample...")
def qa_plan(population: pd.DataFrame, min_rate, half_width: float | None, min_count: int | None) -> pd.DataFrame:
    from analytics.accuracy import plan_qa_sample
    return plan_qa_sample(population, min_rate=dict(min_rate) if isinstance(min_rate, tuple) else min_rate,
                          half_width=half_width, min_count=min_count)


@st.cache_data(ttl=TTL, show_spinner="Drawing the seeded QA sample...")
def qa_sample(_engine: Engine, db: str, f: Filters, plan: pd.DataFrame, seed: int) -> pd.DataFrame:
    from analytics.accuracy import draw_qa_sample
    return draw_qa_sample(_engine, f, plan, seed=seed)


# ------------------------------------------------------------------------------------------- coverage
@st.cache_data(ttl=TTL, show_spinner="Counting the class distribution...")
def class_distribution(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    from analytics.coverage import class_distribution_from_db
    return class_distribution_from_db(_engine, f)


@st.cache_data(ttl=TTL, show_spinner="Cross-tabulating classes by attribute...")
def crosstab(_engine: Engine, db: str, f: Filters, key: str, thin: int = 30) -> pd.DataFrame:
    from analytics.coverage import class_attribute_crosstab_from_db
    return class_attribute_crosstab_from_db(_engine, f, key, thin=thin)


@st.cache_data(ttl=TTL, show_spinner="Computing QA coverage per class...")
def qa_coverage(_engine: Engine, db: str, f: Filters, critical_rate: float, standard_rate: float,
                critical_min_count: int, standard_min_count: int) -> pd.DataFrame:
    from analytics.coverage import qa_coverage_from_db
    return qa_coverage_from_db(_engine, f, critical_rate=critical_rate, standard_rate=standard_rate,
                               critical_min_count=critical_min_count, standard_min_count=standard_min_count)


# ---------------------------------------------------------------------------------------------- drift
_WEEKLY_COLS = ["week", "correct", "n", "accuracy", "ci_low", "ci_high", "small_sample", "reason"]


@st.cache_data(ttl=TTL, show_spinner="Computing weekly accuracy...")
def weekly_accuracy(_engine: Engine, db: str, f: Filters, by: str | None = None) -> pd.DataFrame:
    """``weekly_accuracy_from_db``; an empty frame when the scope has no gold-scored annotation."""
    from analytics.drift import weekly_accuracy_from_db
    try:
        df = weekly_accuracy_from_db(_engine, f, by=by)
    except NoData:  # no gold-scored annotation in the filtered scope: an empty trend
        return pd.DataFrame(columns=_WEEKLY_COLS[:1] + ([by] if by else []) + _WEEKLY_COLS[1:])
    df["week"] = pd.to_datetime(df["week"])
    return df


@st.cache_data(ttl=TTL, show_spinner="Testing annotators for drift...")
def annotator_drift(_engine: Engine, db: str, f: Filters, baseline_weeks: int, alpha: float
                    ) -> tuple[pd.DataFrame, str | None]:
    """``annotator_drift`` on the weekly per-annotator accuracy of ``f``: ``(frame, None)``, or an empty frame and
    the reason the test could not run (no gold in scope, or the test failed on this data), which pages show."""
    from analytics.drift import annotator_drift as _drift, weekly_accuracy_from_db
    empty = pd.DataFrame(columns=["annotator_id", "drift", "start_week", "baseline_acc", "recent_acc", "delta",
                                  "delta_ci_low", "delta_ci_high", "p_value", "n_baseline", "n_recent", "method",
                                  "reason"])
    try:
        weekly = weekly_accuracy_from_db(_engine, f, by="annotator_id", fill_weeks=False)
    except NoData:  # no gold-scored annotation in scope: nothing to test
        return empty, "no gold-scored annotation in the 26 weeks"
    if weekly.empty or int(weekly["n"].sum()) == 0:
        return empty, "no gold-scored annotation in the 26 weeks"
    try:
        return _drift(weekly, baseline_weeks=baseline_weeks, alpha=alpha), None
    except ValueError as exc:  # analytics could not run the test on this data: say so, do not hide the page
        return empty, f"the drift test failed on this data ({exc})"


@st.cache_data(ttl=TTL, show_spinner="Testing the label distribution for shifts...")
def label_shift(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    from analytics.drift import label_shift_from_db
    df = label_shift_from_db(_engine, f)
    df["week"] = pd.to_datetime(df["week"])
    return df


# ---------------------------------------------------------------------------------------- correlation
@st.cache_data(ttl=TTL, show_spinner="Measuring pre-label acceptance...")
def prelabel(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    """``prelabel_acceptance_from_db``; raises ``NoData`` when no annotation in scope had a pre-label (pages show
    ``ui.common.no_data``)."""
    from analytics.correlation import prelabel_acceptance_from_db
    return prelabel_acceptance_from_db(_engine, f)


@st.cache_data(ttl=TTL, show_spinner="Joining label quality to model metrics...")
def label_vs_model(_engine: Engine, db: str, f: Filters, run_id: str, metric: str):
    """``(frame, RegressionResult)`` for one run: per-class label accuracy vs model metric + the OLS fit."""
    from analytics.correlation import label_model_regression, label_vs_model_from_db
    frame = label_vs_model_from_db(_engine, f.project_id, run_id, metric=metric, filters=f)
    return frame, label_model_regression(frame, metric_name=metric.upper() if len(metric) <= 3 else metric)


@st.cache_data(ttl=TTL, show_spinner="Comparing dataset versions...")
def versions(_engine: Engine, db: str, f: Filters, metric: str):
    """``(versions frame, {'pearson': Correlation, 'spearman': Correlation})``."""
    from analytics.correlation import version_correlation, versions_from_db
    v = versions_from_db(_engine, f.project_id, metric=metric, filters=f)
    return v, (version_correlation(v) if len(v) else {})


@st.cache_data(ttl=TTL, show_spinner="Computing calibration...")
def calibration(_engine: Engine, db: str, project_id: str, run_id: str, bins: int = 10):
    from analytics.correlation import calibration_from_db
    return calibration_from_db(_engine, project_id, run_id, bins=bins)


# ------------------------------------------------------------------------------------------ consensus
@st.cache_data(ttl=TTL, show_spinner="Fitting Dawid-Skene annotator skill (can take a few seconds)...")
def annotator_skill(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    from analytics.consensus import annotator_skill_from_db
    return annotator_skill_from_db(_engine, f)


# ------------------------------------------------------------------------------------------ agreement
@st.cache_data(ttl=TTL, show_spinner="Counting labels per item for agreement...")
def agreement_stats(_engine: Engine, db: str, f: Filters, by: str | None = None) -> pd.DataFrame:
    """``agreement_stats_from_db``: the one pass over the annotations that every nominal agreement metric and the
    per-class view of the same filters and grouping share (so switching metric re-reads nothing)."""
    from analytics.sources.agreement_db import agreement_stats_from_db
    return agreement_stats_from_db(_engine, f, by=by)


@st.cache_data(ttl=TTL, show_spinner="Computing agreement (bootstrap intervals)...")
def agreement(_engine: Engine, db: str, f: Filters, metric: str = "krippendorff", by: str | None = None):
    """``agreement_from_db``: an ``Estimate`` or, with ``by``, a frame ``by, value, ci_low, ci_high, n_items,
    n_annotations, reason``."""
    from analytics.metrics.agreement import agreement_from_stats
    return agreement_from_stats(agreement_stats(_engine, db, f, by), metric=metric, by=by)


@st.cache_data(ttl=TTL, show_spinner="Computing per-class agreement...")
def per_category_agreement(_engine: Engine, db: str, f: Filters, by: str | None = None) -> pd.DataFrame:
    from analytics.metrics.agreement import per_category_from_stats
    return per_category_from_stats(agreement_stats(_engine, db, f, by), by=by)


@st.cache_data(ttl=TTL, show_spinner="Computing Cohen's kappa for every annotator pair...")
def pairwise_cohen(_engine: Engine, db: str, f: Filters, min_shared: int = 20) -> pd.DataFrame:
    from analytics.sources.agreement_db import pairwise_cohen_from_db
    return pairwise_cohen_from_db(_engine, f, min_shared=min_shared)


# ---------------------------------------------------------------------------------------------- report
@st.cache_data(ttl=TTL, show_spinner="Building the delivery report...")
def delivery_report(_engine: Engine, db: str, project_id: str, batch_id: str, _thresholds=None, thresholds_key: str = ""):
    """``(DeliveryReport, html)`` for one batch (``thresholds_key`` names the thresholds file version)."""
    from analytics.report import delivery_report as _report, render_delivery_html
    rep = _report(_engine, project_id, batch_id, thresholds=_thresholds)
    return rep, render_delivery_html(rep)


@st.cache_data(ttl=TTL, show_spinner="Judging the batch with its kind's rules...")
def kind_delivery_report(_engine: Engine, db: str, project_id: str, batch_id: str, _thresholds=None,
                         thresholds_key: str = ""):
    """``(KindDeliveryReport, html)`` for one batch of a project of another annotation kind."""
    from analytics.render.report.kind_delivery import kind_delivery_report as _report, render_kind_delivery_html
    rep = _report(_engine, project_id, batch_id, thresholds=_thresholds)
    return rep, render_kind_delivery_html(rep)


@st.cache_data(ttl=TTL, show_spinner="Reading schema versions...")
def schema_versions(_engine: Engine, db: str, f: Filters) -> pd.DataFrame:
    """``sql/ui_schema_versions.sql``: schema_version, first_week, last_week, annotations."""
    return _ui(_engine, "ui_schema_versions", f)
