"""Label quality versus model quality: per-class regression, dataset versions, pre-label acceptance
(automation bias) and model calibration.

Proportions (label accuracy, F1, acceptance rates, confidences) are fractions in [0, 1]; the plain-words
summaries speak in points (x 100). Every estimate carries n and a 95% interval; an estimate that cannot be
computed has NaN value and a ``reason``.

SQL (``sql/model_*.sql``, ``sql/prelabel_*.sql``, ``sql/calibration_*.sql``) returns small sufficient statistics:
per class, per run, per annotator or per (confidence bin, reference) counts.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analytics.filters import Filters
from analytics.frames import require_columns
from analytics.metrics.results import Estimate, NoData, wilson_interval

__all__ = [
    "Correlation",
    "pearson",
    "spearman",
    "partial_correlation",
    "RegressionResult",
    "label_model_regression",
    "label_vs_model",
    "label_vs_model_from_db",
    "versions_from_db",
    "version_correlation",
    "prelabel_acceptance",
    "prelabel_acceptance_counts",
    "prelabel_acceptance_from_db",
    "CalibrationResult",
    "calibration",
    "calibration_from_db",
    "SMALL_N_CLASSES",
    "FIT_GRID_POINTS",
]

SMALL_N_CLASSES = 8  # fewer classes (points) than this: a regression across classes is descriptive only
FIT_GRID_POINTS = 50  # points of the fitted line RegressionResult.fit
_FIT_COLS = ["label_quality", "fit", "ci_low", "ci_high"]
_Z95 = float(stats.norm.ppf(0.975))


def _reasons(values, index=None) -> pd.Series:
    """A ``reason`` column: text where a value is undefined, ``None`` elsewhere (object dtype, so pandas does not
    turn ``None`` into NaN)."""
    arr = np.asarray(values, dtype=object)
    return pd.Series(arr, index=index, dtype=object).where(pd.notna(arr), None)


# --------------------------------------------------------------------------------------------------------------
# Correlations with intervals
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Correlation:
    """A correlation coefficient with its 95% interval, two-sided p-value and number of pairs.

    ``value`` is NaN exactly when ``reason`` says why (too few pairs, a constant variable).
    """

    value: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    method: str
    reason: str | None = None

    @property
    def defined(self) -> bool:
        return self.reason is None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _undefined(method: str, n: int, reason: str) -> Correlation:
    return Correlation(math.nan, math.nan, math.nan, math.nan, int(n), method, reason)


def _fisher_ci(r: float, se: float) -> tuple[float, float]:
    with np.errstate(divide="ignore"):
        z = np.arctanh(np.clip(r, -1.0, 1.0))
    return float(np.tanh(z - _Z95 * se)), float(np.tanh(z + _Z95 * se))


def _pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length; got {x.shape} and {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def _check_pairs(x: np.ndarray, y: np.ndarray, method: str, min_n: int = 4) -> Correlation | None:
    if len(x) < min_n:
        return _undefined(method, len(x), f"fewer than {min_n} complete pairs (n = {len(x)})")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return _undefined(method, len(x), "a variable is constant: correlation undefined")
    return None


def pearson(x, y) -> Correlation:
    """Pearson's r with a Fisher z interval (``tanh(atanh r +- 1.96 / sqrt(n - 3))``) and scipy's p-value.

    Pairs with a missing value are dropped; needs at least 4 pairs.
    """
    x, y = _pairs(x, y)
    method = "Pearson r, Fisher z 95% CI"
    bad = _check_pairs(x, y, method)
    if bad:
        return bad
    res = stats.pearsonr(x, y)
    r = float(res.statistic)
    low, high = _fisher_ci(r, 1.0 / math.sqrt(len(x) - 3))
    return Correlation(r, low, high, float(res.pvalue), len(x), method)


def spearman(x, y) -> Correlation:
    """Spearman's rho with a Fisher z interval using the Fieller, Hartley & Pearson (1957) standard error
    ``sqrt(1.06 / (n - 3))`` (Bonett & Wright 2000 recommend it for rho) and scipy's p-value."""
    x, y = _pairs(x, y)
    method = "Spearman rho, Fisher z 95% CI (se = sqrt(1.06/(n-3)))"
    bad = _check_pairs(x, y, method)
    if bad:
        return bad
    res = stats.spearmanr(x, y)
    rho = float(res.statistic)
    low, high = _fisher_ci(rho, math.sqrt(1.06 / (len(x) - 3)))
    return Correlation(rho, low, high, float(res.pvalue), len(x), method)


def partial_correlation(x, y, controls) -> Correlation:
    """Partial correlation of x and y controlling for ``controls`` (1-D or (n, k) array), from the inverse of
    the correlation matrix: ``r_xy.z = -P_xy / sqrt(P_xx P_yy)`` with ``P = inv(corr([x, y, z]))``; equal to the
    correlation of the residuals of x and y each regressed on z (with intercept).

    p-value: t = r sqrt(df / (1 - r^2)) with df = n - 2 - k; interval: Fisher z with se = 1 / sqrt(n - 3 - k).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = np.asarray(controls, dtype=float)
    z = z.reshape(-1, 1) if z.ndim < 2 else z  # 1-D: one control (also when empty: shape (0, 1))
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(z).all(axis=1)
    x, y, z = x[keep], y[keep], z[keep]
    k = z.shape[1]
    method = f"partial correlation controlling for {k} variable(s), Fisher z 95% CI"
    if len(x) < k + 4:
        return _undefined(method, len(x), f"fewer than {k + 4} complete rows (n = {len(x)})")
    if np.ptp(x) == 0 or np.ptp(y) == 0 or (np.ptp(z, axis=0) == 0).any():
        return _undefined(method, len(x), "a variable is constant: partial correlation undefined")
    corr = np.corrcoef(np.column_stack([x, y, z]), rowvar=False)
    try:
        prec = np.linalg.inv(corr)
    except np.linalg.LinAlgError:
        return _undefined(method, len(x), "the controls are collinear with x or y")
    r = float(np.clip(-prec[0, 1] / math.sqrt(prec[0, 0] * prec[1, 1]), -1.0, 1.0))
    dof = len(x) - 2 - k
    with np.errstate(divide="ignore"):
        t = r * math.sqrt(dof / max(1.0 - r * r, 1e-300))
    p = float(2 * stats.t.sf(abs(t), dof))
    low, high = _fisher_ci(r, 1.0 / math.sqrt(len(x) - 3 - k))
    return Correlation(r, low, high, p, len(x), method)


# --------------------------------------------------------------------------------------------------------------
# Per-class regression of model metric on label quality
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RegressionResult:
    """Model metric versus label quality across classes.

    - ``pearson``, ``spearman``: metric vs quality (``Correlation``);
    - ``coefficients``: OLS ``metric ~ label_quality + np.log(support)`` (statsmodels), frame indexed by term
      (``Intercept``, ``label_quality``, ``np.log(support)``) with ``coef, se, ci_low, ci_high, p`` (95%);
    - ``r2``, ``n`` (classes used), ``partial``: partial correlation of metric and quality given log(support);
    - ``small_n``: fewer than ``SMALL_N_CLASSES`` classes; ``summary``: the result in plain words;
    - ``reason``: why nothing could be estimated (then the numbers are NaN);
    - ``fit``: the fitted line for a scatter of metric vs quality, frame ``label_quality, fit, ci_low, ci_high``
      on a grid of ``FIT_GRID_POINTS`` quality values spanning the observed range, with log(support) held at its
      median across classes; ``ci_low``/``ci_high`` are the 95% confidence band of the mean (statsmodels
      ``get_prediction(...).summary_frame(alpha=0.05)`` ``mean_ci_lower/upper``, t on n - 3 df). Fractions like
      the inputs. Empty (same columns) when ``reason`` is set.
    """

    n: int
    pearson: Correlation
    spearman: Correlation
    coefficients: pd.DataFrame
    r2: float
    partial: Correlation
    small_n: bool
    summary: str
    reason: str | None = None
    fit: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=_FIT_COLS))

    @property
    def quality_effect(self) -> pd.Series:
        """The ``label_quality`` row of the coefficient table."""
        return self.coefficients.loc["label_quality"]


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def label_model_regression(frame: pd.DataFrame, quality_col: str = "label_accuracy", metric_col: str = "model_metric",
                           support_col: str = "support", metric_name: str = "F1",
                           quality_name: str = "label accuracy") -> RegressionResult:
    """Does a class's model metric track its label quality once class frequency is accounted for?

    One row per class. Fits OLS ``metric ~ label_quality + np.log(support)`` (statsmodels; classic standard
    errors) and reports Pearson and Spearman correlations of metric and quality (Fisher z intervals) and the
    partial correlation of metric and quality controlling for log(support) (frequent classes tend to have both
    better labels and better models, so the raw correlation overstates the link). Rows with a missing value or a
    non-positive support are dropped. Quality and metric are fractions; the summary reads the coefficient per
    +10 points of quality, in metric points.
    """
    require_columns(frame, (quality_col, metric_col, support_col), "frame")
    d = frame[[quality_col, metric_col, support_col]].apply(pd.to_numeric, errors="coerce").dropna()
    d = d[d[support_col] > 0]
    data = pd.DataFrame({"metric": d[metric_col].to_numpy(float), "label_quality": d[quality_col].to_numpy(float),
                         "support": d[support_col].to_numpy(float)})
    n = len(data)
    terms = ["Intercept", "label_quality", "np.log(support)"]
    empty = pd.DataFrame(np.nan, index=pd.Index(terms, name="term"), columns=["coef", "se", "ci_low", "ci_high", "p"])
    pr = pearson(data["label_quality"], data["metric"])
    sp = spearman(data["label_quality"], data["metric"])
    log_s = np.log(data["support"].to_numpy())
    partial = partial_correlation(data["metric"], data["label_quality"], log_s)
    small = n < SMALL_N_CLASSES
    reason = None
    if n < 4:
        reason = f"fewer than 4 classes with {quality_name}, {metric_name} and support (n = {n})"
    elif np.ptp(data["label_quality"]) == 0 or np.ptp(log_s) == 0:
        reason = "label quality or support is the same for every class: the regression is not identified"
    if reason:
        return RegressionResult(n, pr, sp, empty, math.nan, partial, small, f"Not estimated: {reason}.", reason)

    import statsmodels.formula.api as smf  # imported here: statsmodels' formula machinery is slow to import

    fit = smf.ols("metric ~ label_quality + np.log(support)", data=data).fit()
    ci = fit.conf_int(0.05)
    coefs = pd.DataFrame({"coef": fit.params, "se": fit.bse, "ci_low": ci[0], "ci_high": ci[1], "p": fit.pvalues})
    coefs = coefs.reindex(terms)
    coefs.index.name = "term"
    q = coefs.loc["label_quality"]
    per10 = 10 * q["coef"]
    text = (f"Each +10 points of {quality_name} goes with {per10:+.1f} {metric_name} points "
            f"(95% CI {10 * q['ci_low']:+.1f} to {10 * q['ci_high']:+.1f}) after controlling for class frequency "
            f"(log support); p = {_fmt_p(q['p'])}; n = {n} classes, R\u00b2 = {fit.rsquared:.2f}.")
    if q["ci_low"] <= 0 <= q["ci_high"]:
        text += " The interval includes 0: no clear association at this sample size."
    if small:
        text = f"Only {n} classes (< {SMALL_N_CLASSES}): read as descriptive. " + text
    # Fitted line at the median class frequency: predict on the grid with support = exp(median log support), so
    # the formula's np.log(support) evaluates to exactly that median.
    grid = np.linspace(data["label_quality"].min(), data["label_quality"].max(), FIT_GRID_POINTS)
    new = pd.DataFrame({"label_quality": grid, "support": np.exp(np.median(log_s))})
    band = fit.get_prediction(new).summary_frame(alpha=0.05)
    line = pd.DataFrame({"label_quality": grid, "fit": band["mean"].to_numpy(float),
                         "ci_low": band["mean_ci_lower"].to_numpy(float),
                         "ci_high": band["mean_ci_upper"].to_numpy(float)})
    return RegressionResult(n, pr, sp, coefs, float(fit.rsquared), partial, small, text, fit=line)


# --------------------------------------------------------------------------------------------------------------
# Per-class label accuracy next to the model's per-class metric
# --------------------------------------------------------------------------------------------------------------
def label_vs_model(counts: pd.DataFrame) -> pd.DataFrame:
    """Finish per-class statistics ``label, correct, n_gold, model_metric, support`` (+ optional columns) into
    ``label, label_accuracy, acc_ci_low, acc_ci_high, n_gold, support, model_metric, reason``.

    ``label_accuracy`` = correct / n_gold over annotations of gold items of that (gold) class (Wilson 95%
    interval, annotations treated as independent). ``reason`` says why a row cannot enter the regression.
    """
    require_columns(counts, ("label", "correct", "n_gold", "model_metric", "support"), "counts")
    out = counts.copy()
    n = out["n_gold"].fillna(0).to_numpy(float)
    correct = out["correct"].fillna(0).to_numpy(float)
    low, high = wilson_interval(correct, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["label_accuracy"] = np.where(n > 0, correct / n, np.nan)
    out["acc_ci_low"], out["acc_ci_high"] = low, high
    out["n_gold"] = n.astype(np.int64)
    out["model_metric"] = pd.to_numeric(out["model_metric"], errors="coerce").astype(float)
    out["support"] = pd.to_numeric(out["support"], errors="coerce").astype(float)
    reason = np.full(len(out), None, dtype=object)
    reason[out["support"].isna().to_numpy() | (out["support"] <= 0).to_numpy()] = "no model support for this class"
    reason[out["model_metric"].isna().to_numpy()] = "no model metric for this class"
    reason[n == 0] = "no gold-scored annotations of this class"
    out["reason"] = _reasons(reason, out.index)
    cols = ["label", "label_accuracy", "acc_ci_low", "acc_ci_high", "n_gold", "support", "model_metric", "reason"]
    extra = [c for c in out.columns if c not in cols and c not in ("correct",)]
    return out[cols + extra].sort_values("label", kind="stable").reset_index(drop=True)


def _run_info(engine, run_id: str) -> pd.Series:
    from analytics.db import query_df

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
    from analytics.db import query_df

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
    from analytics.db import query_df

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


def version_correlation(versions: pd.DataFrame) -> dict[str, Correlation]:
    """Pearson and Spearman correlation of training-data label accuracy and the overall model metric across
    dataset versions (``versions_from_db`` frame). With a handful of runs the intervals are wide: read them."""
    require_columns(versions, ("label_accuracy", "model_metric"), "versions")
    return {"pearson": pearson(versions["label_accuracy"], versions["model_metric"]),
            "spearman": spearman(versions["label_accuracy"], versions["model_metric"])}


# --------------------------------------------------------------------------------------------------------------
# Human in the loop: pre-label acceptance and automation bias
# --------------------------------------------------------------------------------------------------------------
_PRELABEL_COUNTS = ("annotator_id", "n_prelabelled", "n_accepted", "n_wrong_suggestions", "n_wrong_accepted")


def prelabel_acceptance_counts(df: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Per-annotator pre-label counts from a long frame (the DataFrame twin of ``sql/prelabel_acceptance.sql``).

    ``df``: ``item_id, annotator_id, label, model_suggestion`` (+ ``team``, ``source`` if present); rows without
    a suggestion and ``source == 'model_auto'`` rows are ignored. ``gold``: ``item_id, label``.
    """
    require_columns(df, ("item_id", "annotator_id", "label", "model_suggestion"), "annotations")
    require_columns(gold, ("item_id", "label"), "gold")
    d = df[df["model_suggestion"].notna()]
    if "source" in d.columns:
        d = d[d["source"].fillna("") != "model_auto"]
    g = d["item_id"].map(gold.set_index("item_id")["label"])
    has_gold = g.notna().to_numpy()
    accepted = (d["label"] == d["model_suggestion"]).to_numpy()
    wrong = has_gold & (d["model_suggestion"].to_numpy() != g.to_numpy())
    parts = pd.DataFrame({
        "annotator_id": d["annotator_id"].to_numpy(),
        "team": d["team"].to_numpy() if "team" in d.columns else None,
        "n_prelabelled": 1, "n_accepted": accepted.astype(int), "n_wrong_suggestions": wrong.astype(int),
        "n_wrong_accepted": (wrong & accepted).astype(int), "n_with_gold": has_gold.astype(int),
    })
    out = parts.groupby("annotator_id", sort=True).agg(
        team=("team", "max"), n_prelabelled=("n_prelabelled", "sum"), n_accepted=("n_accepted", "sum"),
        n_wrong_suggestions=("n_wrong_suggestions", "sum"), n_wrong_accepted=("n_wrong_accepted", "sum"),
        n_with_gold=("n_with_gold", "sum"))
    return out.reset_index()


def prelabel_acceptance(counts: pd.DataFrame, alpha: float = 0.05, min_n: int = 10) -> pd.DataFrame:
    """Pre-label acceptance per annotator and an automation-bias flag.

    ``counts``: ``annotator_id, n_prelabelled, n_accepted, n_wrong_suggestions, n_wrong_accepted`` (+ ``team``,
    ``n_with_gold``). Returns those plus:

    - ``acceptance_rate`` = n_accepted / n_prelabelled (``acc_ci_low/high``: Wilson 95%);
    - ``wrong_acceptance_rate`` = accepted suggestions that disagree with gold / suggestions that disagree with
      gold (``ci_low/high``: Wilson 95%) - how often a wrong pre-label survives;
    - ``peer_rate``: the same rate pooled over every other annotator;
    - ``p_value``: one-sided pooled two-proportion z-test, annotator rate > peer rate; ``p_adjusted``:
      Bonferroni over the annotators tested (those with ``n_wrong_suggestions >= min_n``);
    - ``automation_bias``: tested and ``p_adjusted < alpha``; ``reason`` when not tested.
    """
    require_columns(counts, _PRELABEL_COUNTS, "counts")
    out = counts.copy()
    for c in _PRELABEL_COUNTS[1:]:
        out[c] = out[c].fillna(0).astype(np.int64)
    n_pre, n_acc = out["n_prelabelled"].to_numpy(float), out["n_accepted"].to_numpy(float)
    n_w, n_wa = out["n_wrong_suggestions"].to_numpy(float), out["n_wrong_accepted"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["acceptance_rate"] = np.where(n_pre > 0, n_acc / n_pre, np.nan)
        out["wrong_acceptance_rate"] = np.where(n_w > 0, n_wa / n_w, np.nan)
        peer_n, peer_x = n_w.sum() - n_w, n_wa.sum() - n_wa
        peer = np.where(peer_n > 0, peer_x / peer_n, np.nan)
        pooled = (n_wa + peer_x) / (n_w + peer_n)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n_w + 1 / peer_n))
        z = (out["wrong_acceptance_rate"].to_numpy() - peer) / se
    out["acc_ci_low"], out["acc_ci_high"] = wilson_interval(n_acc, n_pre)
    out["ci_low"], out["ci_high"] = wilson_interval(n_wa, n_w)
    out["peer_rate"] = peer
    tested = (n_w >= min_n) & (peer_n > 0)
    p = np.where(tested, stats.norm.sf(np.nan_to_num(z, nan=0.0)), np.nan)
    # se == 0 happens when annotator and peers all accepted (or all rejected) every wrong suggestion: no evidence.
    p = np.where(tested & (se == 0), 1.0, p)
    m = max(int(tested.sum()), 1)
    out["p_value"] = p
    out["p_adjusted"] = np.minimum(p * m, 1.0)
    out["automation_bias"] = tested & (out["p_adjusted"].to_numpy() < alpha)
    reason = np.full(len(out), None, dtype=object)
    reason[~tested] = f"fewer than {min_n} wrong suggestions with gold"
    reason[n_pre == 0] = "no pre-labelled annotations"
    out["reason"] = _reasons(reason, out.index)
    first = ["annotator_id"] + (["team"] if "team" in out.columns else [])
    cols = first + ["n_prelabelled", "n_accepted", "acceptance_rate", "acc_ci_low", "acc_ci_high",
                    "n_wrong_suggestions", "n_wrong_accepted", "wrong_acceptance_rate", "ci_low", "ci_high",
                    "peer_rate", "p_value", "p_adjusted", "automation_bias", "reason"]
    return out[cols].sort_values("annotator_id", kind="stable").reset_index(drop=True)


def prelabel_acceptance_from_db(engine, filters: Filters, alpha: float = 0.05, min_n: int = 10) -> pd.DataFrame:
    """``prelabel_acceptance`` on per-annotator counts from ``sql/prelabel_acceptance.sql`` (filtered scope;
    annotations with a ``model_suggestion``, excluding ``source = 'model_auto'``)."""
    from analytics.db import query_df

    counts = query_df(engine, "prelabel_acceptance", **filters.params())
    if counts.empty:
        raise NoData("no pre-labelled annotations in the filtered scope")
    return prelabel_acceptance(counts, alpha=alpha, min_n=min_n)


# --------------------------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CalibrationResult:
    """Reliability diagram and expected calibration error of one model run.

    ``bins``: ``bin, conf_low, conf_high, mean_confidence, accuracy, ci_low, ci_high, n, n_gold, n_consensus``
    (equal-width confidence bins; empty bins omitted; Wilson 95% interval on accuracy).
    ``ece``: ``Estimate`` of ECE = sum_b n_b / N |acc_b - conf_b| (Naeini et al., AAAI 2015; Guo et al.,
    ICML 2017) with a parametric-bootstrap 95% interval (bin accuracies redrawn Binomial(n_b, acc_b), bin
    confidences held fixed; seeded). ``mce`` = max_b |acc_b - conf_b|. ``reference``: what predictions were
    scored against.
    """

    bins: pd.DataFrame
    ece: Estimate
    mce: float
    n: int
    n_gold: int
    n_consensus: int
    reference: str


def _finish_calibration(stats_: pd.DataFrame, bins: int, reference: str, n_boot: int, seed: int) -> CalibrationResult:
    agg = stats_.groupby("bin", sort=True).agg(n=("n", "sum"), sum_confidence=("sum_confidence", "sum"),
                                               correct=("correct", "sum"))
    by_ref = stats_.pivot_table(index="bin", columns="reference", values="n", aggfunc="sum", fill_value=0)
    agg["n_gold"] = by_ref["gold"] if "gold" in by_ref else 0
    agg["n_consensus"] = by_ref["consensus"] if "consensus" in by_ref else 0
    agg = agg[agg["n"] > 0]
    n_b = agg["n"].to_numpy(float)
    conf = agg["sum_confidence"].to_numpy(float) / n_b
    acc = agg["correct"].to_numpy(float) / n_b
    low, high = wilson_interval(agg["correct"].to_numpy(float), n_b)
    b = agg.index.to_numpy()
    table = pd.DataFrame({"bin": b.astype(np.int64), "conf_low": b / bins, "conf_high": (b + 1) / bins,
                          "mean_confidence": conf, "accuracy": acc, "ci_low": low, "ci_high": high,
                          "n": n_b.astype(np.int64), "n_gold": agg["n_gold"].to_numpy(np.int64),
                          "n_consensus": agg["n_consensus"].to_numpy(np.int64)})
    total = int(n_b.sum())
    method = f"ECE, {bins} equal-width bins (Naeini et al. 2015; Guo et al. 2017); parametric bootstrap CI"
    if total == 0:
        ece = Estimate.undefined("no scored predictions with a confidence", method=method)
        return CalibrationResult(table, ece, math.nan, 0, 0, 0, reference)
    w = n_b / total
    ece_value = float((w * np.abs(acc - conf)).sum())
    rng = np.random.default_rng(seed)
    boot_acc = rng.binomial(n_b.astype(np.int64), acc, size=(n_boot, len(n_b))) / n_b
    boot = (w * np.abs(boot_acc - conf)).sum(axis=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    ece = Estimate(ece_value, float(lo), float(hi), n=total, method=method)
    return CalibrationResult(table, ece, float(np.abs(acc - conf).max()), total,
                             int(table["n_gold"].sum()), int(table["n_consensus"].sum()), reference)


def _check_bins(bins: int) -> int:
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer; got {bins!r}")
    return int(bins)


def calibration(frame: pd.DataFrame, bins: int = 10, n_boot: int = 2000, seed: int = 0) -> CalibrationResult:
    """Reliability bins and ECE from a frame ``confidence, correct`` (+ optional ``reference`` = 'gold' |
    'consensus'); bin b holds confidences in [b/bins, (b+1)/bins), confidence 1.0 in the last bin (as the SQL)."""
    bins = _check_bins(bins)
    require_columns(frame, ("confidence", "correct"), "frame")
    d = frame[frame["confidence"].notna()]
    conf = d["confidence"].to_numpy(float)
    if ((conf < 0) | (conf > 1)).any():
        raise ValueError("confidence must lie in [0, 1]")
    b = np.minimum(np.floor(conf * bins).astype(np.int64), bins - 1)
    ref = d["reference"].to_numpy() if "reference" in d.columns else np.full(len(d), "gold")
    s = pd.DataFrame({"bin": b, "reference": ref, "n": 1, "sum_confidence": conf,
                      "correct": d["correct"].to_numpy(float)})
    s = s.groupby(["bin", "reference"], as_index=False).sum()
    return _finish_calibration(s, bins, "frame", n_boot, seed)


def calibration_from_db(engine, project_id: str, run_id: str, bins: int = 10,
                        reference: str = "gold_or_consensus", n_boot: int = 2000, seed: int = 0) -> CalibrationResult:
    """Calibration of one model run's predictions (``predictions.confidence``) on the project's items.

    ``reference='gold_or_consensus'`` (default) scores a prediction against the item's gold label and, where
    the item has no gold, against its annotations' unique majority label (at least two annotations, no tie);
    items with neither are left out. ``reference='gold'`` uses gold only. ``n_gold`` / ``n_consensus`` say how
    many predictions each reference scored: consensus is itself noisy, so a gold-only check is the stricter one.
    Reads ``sql/calibration_bins.sql`` (one row per (bin, reference)).
    """
    from analytics.db import query_df

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
