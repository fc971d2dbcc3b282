"""Label quality versus model quality, no I/O: correlations with intervals, the per-class regression of the
model metric on label quality, the per-class finish and the correlation across dataset versions.

Proportions (label accuracy, F1) are fractions in [0, 1]; the plain-words summaries speak in points (x 100).
Every estimate carries n and a 95% interval; an estimate that cannot be computed has NaN value and a ``reason``.
The database path is :mod:`analytics.sources.model_db`; ``analytics.correlation`` re-exports both.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import require_columns
from analytics.metrics.results import wilson_interval

__all__ = [
    "Correlation",
    "pearson",
    "spearman",
    "partial_correlation",
    "RegressionResult",
    "label_model_regression",
    "label_vs_model",
    "version_correlation",
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
    """``'p < 0.001'`` or ``'p = 0.012'`` (one phrase, never ``'p = < 0.001'``)."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


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
            f"(log support); {_fmt_p(q['p'])}; n = {n} classes, R\u00b2 = {fit.rsquared:.2f}.")
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


def version_correlation(versions: pd.DataFrame) -> dict[str, Correlation]:
    """Pearson and Spearman correlation of training-data label accuracy and the overall model metric across
    dataset versions (``versions_from_db`` frame). With a handful of runs the intervals are wide: read them."""
    require_columns(versions, ("label_accuracy", "model_metric"), "versions")
    return {"pearson": pearson(versions["label_accuracy"], versions["model_metric"]),
            "spearman": spearman(versions["label_accuracy"], versions["model_metric"])}
