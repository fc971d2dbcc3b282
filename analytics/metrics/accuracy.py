"""Accuracy against gold from counts, no I/O: per-stratum accuracy with Wilson intervals, the post-stratified
overall estimate, confusion matrices and per-class precision/recall/F1.

Units. Accuracy is scored per **annotation**: an annotation of an item that has a gold label is correct when
its label equals the gold label. ``n`` is the number of such gold-scored annotations, ``n_items`` the number
of distinct gold items behind them. Every estimate carries ``n`` and a 95% interval (Wilson 1927 for single
proportions, see ``analytics.metrics.results.wilson_interval``; normal for the post-stratified estimate).

The frame functions take a long frame ``item_id, annotator_id, label, gold_label`` (+ grouping columns); the
database path (:mod:`analytics.sources.accuracy_db`) hands the same per-group counts to the same finishing code
(``_finish_accuracy``), so both paths agree exactly. ``analytics.accuracy`` re-exports both.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import require_columns
from analytics.metrics.results import SMALL_N, Estimate, wilson_interval

__all__ = [
    "MISSING_GROUP",
    "accuracy_by",
    "accuracy_estimate",
    "overall_accuracy",
    "StratifiedResult",
    "stratified_accuracy",
    "confusion_counts",
    "confusion_matrix",
    "per_class_prf",
]

MISSING_GROUP = "(missing)"  # group value shown for items that lack an attribute (SQL NULL)

_ACCURACY_COLUMNS = ("correct", "n", "n_items", "accuracy", "ci_low", "ci_high", "small_sample", "reason")


# --------------------------------------------------------------------------------------------------------------
# accuracy per stratum
# --------------------------------------------------------------------------------------------------------------

def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _attr_key(name: str) -> str | None:
    """``'attr:lighting'`` -> ``'lighting'``; anything else -> None."""
    if name.startswith("attr:"):
        key = name[len("attr:"):]
        if not key:
            raise ValueError("an attribute grouping needs a key: 'attr:<key>', e.g. 'attr:lighting'")
        return key
    return None


def _output_name(name: str) -> str:
    """Column name of a grouping in results: ``'attr:lighting'`` is reported as ``lighting``."""
    return _attr_key(name) or name


def _resolve_frame_column(df: pd.DataFrame, name: str) -> str:
    """The frame column holding grouping ``name`` (``'attr:k'`` may be stored as ``'attr:k'`` or ``'k'``)."""
    key = _attr_key(name)
    if key is not None and name not in df.columns and key in df.columns:
        return key
    return name


def _finish_accuracy(counts: pd.DataFrame, group_cols: list[str], small_n: int, confidence: float) -> pd.DataFrame:
    """Shared finish: counts (group cols + correct, n, n_items) -> accuracy with Wilson interval and flags.

    Rows are sorted by the group columns (missing values last) so both paths return the same order.
    """
    out = counts.copy()
    for c in ("correct", "n", "n_items"):
        out[c] = pd.to_numeric(out[c]).astype("int64")
    correct = out["correct"].to_numpy(dtype=float)
    n = out["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, correct / np.where(n > 0, n, 1), np.nan)
    low, high = wilson_interval(correct, n, confidence)
    out["accuracy"] = acc
    out["ci_low"] = np.asarray(low, dtype=float).reshape(-1)
    out["ci_high"] = np.asarray(high, dtype=float).reshape(-1)
    out["small_sample"] = out["n"] < small_n
    out["reason"] = np.where(out["n"] > 0, None, "no gold-scored annotations")
    if group_cols:
        out = out.sort_values(group_cols, na_position="last", kind="mergesort")
    return out[[*group_cols, *_ACCURACY_COLUMNS]].reset_index(drop=True)


def _gold_scored(df: pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    require_columns(df, ("item_id", "annotator_id", "label", "gold_label", *extra), "annotations")
    return df[df["label"].notna() & df["gold_label"].notna()]


def accuracy_by(df: pd.DataFrame, by: str | Sequence[str] | None = None, small_n: int = SMALL_N,
                confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy against gold per group of a long annotation frame.

    ``df``: one row per annotation with ``item_id, annotator_id, label, gold_label`` (``gold_label`` missing for
    items without gold: those rows are not scored) and the grouping columns. ``by``: None (one overall row), a
    column name or a list of them; ``'attr:<key>'`` names an item attribute stored in column ``<key>`` (or
    ``'attr:<key>'``) and is reported as column ``<key>``. Rows with a missing group value form their own group.

    Returns one row per group: group columns, ``correct`` (annotations equal to gold), ``n`` (gold-scored
    annotations), ``n_items`` (distinct gold items), ``accuracy = correct / n``, ``ci_low, ci_high`` (Wilson
    score interval at ``confidence``), ``small_sample`` (``n < small_n``), ``reason`` (why accuracy is undefined,
    else None).
    """
    groups = _as_list(by)
    cols = [_resolve_frame_column(df, g) for g in groups] if isinstance(df, pd.DataFrame) else groups
    scored = _gold_scored(df, cols)
    out_names = [_output_name(g) for g in groups]
    work = pd.DataFrame({
        "item_id": scored["item_id"].to_numpy(),
        "correct": (scored["label"].astype(str).to_numpy() == scored["gold_label"].astype(str).to_numpy()),
    })
    for src, dst in zip(cols, out_names):
        work[dst] = scored[src].to_numpy()
    if out_names:
        g = work.groupby(out_names, dropna=False, sort=False)
        counts = g.agg(correct=("correct", "sum"), n=("correct", "size"), n_items=("item_id", "nunique")).reset_index()
    else:
        counts = pd.DataFrame({"correct": [int(work["correct"].sum())], "n": [len(work)],
                               "n_items": [work["item_id"].nunique()]})
    return _finish_accuracy(counts, out_names, small_n, confidence)


def accuracy_estimate(correct: int, n: int, n_items: int | None = None, small_n: int = SMALL_N,
                      confidence: float = 0.95) -> Estimate:
    """``correct / n`` as an :class:`Estimate` with its Wilson score interval (undefined with a reason if n=0)."""
    correct, n = int(correct), int(n)
    if n < 0 or correct < 0 or correct > n:
        raise ValueError(f"need 0 <= correct <= n, got correct={correct}, n={n}")
    if n == 0:
        return Estimate.undefined("no gold-scored annotations", n=0, n_items=n_items, n_annotations=0,
                                  method="wilson", small_n_threshold=small_n)
    low, high = wilson_interval(correct, n, confidence)
    return Estimate(value=correct / n, ci_low=low, ci_high=high, n=n, n_items=n_items, n_annotations=n,
                    method="wilson", small_n_threshold=small_n)


def _row_estimate(row: pd.Series, small_n: int, confidence: float) -> Estimate:
    return accuracy_estimate(int(row["correct"]), int(row["n"]), int(row["n_items"]), small_n, confidence)


def overall_accuracy(df: pd.DataFrame, small_n: int = SMALL_N, confidence: float = 0.95) -> Estimate:
    """Overall accuracy against gold of a long annotation frame, as an :class:`Estimate` (Wilson interval)."""
    return _row_estimate(accuracy_by(df, None, small_n, confidence).iloc[0], small_n, confidence)


# --------------------------------------------------------------------------------------------------------------
# post-stratified overall accuracy
# --------------------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class StratifiedResult:
    """Overall accuracy from a stratified QA sample.

    ``pooled``: the naive pooled figure ``sum correct / sum n`` (Wilson interval), which over-weights strata
    that QA over-samples. ``stratified``: the post-stratified estimate (normal interval, clipped to [0, 1]);
    ``se`` its standard error. ``table``: one row per stratum (see :func:`stratified_accuracy`).
    ``uncovered_share``: the share of the population in strata that could not be estimated (no sample, or
    fewer than 2 scored units); the stratified estimate describes the covered population only.
    ``result['pooled']`` style access is supported too.
    """

    pooled: Estimate
    stratified: Estimate
    se: float
    table: pd.DataFrame
    uncovered_share: float = 0.0
    notes: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (the table as records)."""
        se = None if math.isnan(self.se) else self.se
        return {
            "pooled": self.pooled.as_dict(),
            "stratified": {**self.stratified.as_dict(), "se": se},
            "uncovered_share": self.uncovered_share,
            "notes": list(self.notes),
            "table": self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records"),
        }


def stratified_accuracy(strata: pd.DataFrame, confidence: float = 0.95, small_n: int = SMALL_N) -> StratifiedResult:
    """Post-stratified overall accuracy (and the naive pooled figure) from per-stratum counts.

    ``strata``: one row per stratum with ``stratum, correct, n, population`` and optionally ``n_items``.
    ``correct``/``n``: gold-scored units of the stratum in the QA sample; ``population`` ``N_h``: units of the
    stratum in the whole population. Here the scored units are **annotations** and ``N_h`` counts **items**
    (documented choice: the population we want the accuracy of is the data set's items). When ``n_items`` (the
    distinct items sampled) is given, the finite population correction uses it, ``f_h = n_items_h / N_h``;
    else ``f_h = n_h / N_h``. With replicated annotations per item the fpc and the variance are approximate
    (annotations of one item are treated as independent draws); ``f_h`` is clipped to [0, 1].

    Estimator (Cochran 1977, *Sampling Techniques*, ch. 5, stratified sampling for proportions; the
    overall-accuracy estimator and its variance in Stehman 2014, Int. J. Remote Sens. 35:4923-4939)::

        W_h  = N_h / N                       N = sum of N_h over the estimable strata
        p_st = sum_h W_h p_h                 p_h = correct_h / n_h
        v    = sum_h W_h^2 (1 - f_h) p_h (1 - p_h) / (n_h - 1)
        CI   = p_st -/+ z sqrt(v), clipped to [0, 1]

    Strata with ``n_h < 2`` (no sample, or a variance that is undefined) or ``N_h = 0`` are not estimable:
    they are listed with a ``reason`` and their population share is reported as ``uncovered_share`` (their
    weight is not silently given to other strata without saying so).

    The returned ``table`` has ``stratum, correct, n, [n_items,] population, weight, accuracy, fpc, var_term,
    estimable, reason`` (``weight`` = share of the whole population; ``var_term`` = the stratum's term in v).
    """
    require_columns(strata, ("stratum", "correct", "n", "population"), "strata")
    if strata["stratum"].duplicated().any():
        dup = strata.loc[strata["stratum"].duplicated(), "stratum"].tolist()
        raise ValueError(f"strata has repeated stratum value(s) {dup!r}; give one row per stratum")
    t = strata.copy()
    for c in ("correct", "n", "population", *(["n_items"] if "n_items" in t.columns else [])):
        vals = pd.to_numeric(t[c], errors="coerce")
        if vals.isna().any() or (vals < 0).any():
            raise ValueError(f"strata column {c!r} must hold non-negative numbers")
        t[c] = vals.astype("int64")
    if (t["correct"] > t["n"]).any():
        raise ValueError("strata has correct > n in some stratum")

    correct = t["correct"].to_numpy(dtype=float)
    n = t["n"].to_numpy(dtype=float)
    pop = t["population"].to_numpy(dtype=float)
    sampled = t["n_items"].to_numpy(dtype=float) if "n_items" in t.columns else n
    total_pop = pop.sum()

    estimable = (n >= 2) & (pop > 0)
    reason = np.select(
        [n == 0, n < 2, pop <= 0],
        ["no gold-scored sample in this stratum", "n < 2: within-stratum variance undefined",
         "population 0: the stratum has no weight"],
        default=None,
    )
    reason = np.where(estimable, None, reason)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, correct / np.where(n > 0, n, 1), np.nan)
        fpc = np.clip(1 - sampled / np.where(pop > 0, pop, 1), 0, 1)
    covered_pop = pop[estimable].sum()
    w_cov = np.where(estimable, pop / covered_pop if covered_pop > 0 else 0.0, 0.0)
    var_term = np.where(estimable, w_cov ** 2 * fpc * p * (1 - p) / np.where(n > 1, n - 1, 1), np.nan)

    t["weight"] = pop / total_pop if total_pop > 0 else np.nan
    t["accuracy"] = p
    t["fpc"] = fpc
    t["var_term"] = var_term
    t["estimable"] = estimable
    t["reason"] = reason
    uncovered = float(1 - covered_pop / total_pop) if total_pop > 0 else 1.0

    n_all, c_all = int(n.sum()), int(correct.sum())
    items_all = int(sampled.sum()) if "n_items" in t.columns else None
    pooled = accuracy_estimate(c_all, n_all, items_all, small_n, confidence)
    pooled = dataclasses.replace(pooled, method="pooled (unweighted) with Wilson interval")

    notes: list[str] = []
    n_cov = int(n[estimable].sum())
    items_cov = int(sampled[estimable].sum()) if "n_items" in t.columns else None
    if total_pop <= 0:
        strat, se = Estimate.undefined("total population is 0", n=n_cov, small_n_threshold=small_n), math.nan
    elif not estimable.any():
        strat, se = Estimate.undefined("no stratum has at least 2 gold-scored units", n=n_cov,
                                       small_n_threshold=small_n), math.nan
    else:
        value = float(np.sum(w_cov[estimable] * p[estimable]))
        se = float(math.sqrt(max(np.nansum(var_term), 0.0)))
        z = stats.norm.ppf(0.5 + confidence / 2)
        method = "post-stratified (weights = population shares), normal interval"
        if uncovered > 0:
            method += f"; covers {1 - uncovered:.1%} of the population"
            bad = t.loc[~estimable, "stratum"].astype(str).tolist()
            notes.append(f"{uncovered:.2%} of the population is in strata that could not be estimated "
                         f"({', '.join(bad)}); the estimate describes the rest")
        strat = Estimate(value=value, ci_low=float(max(0.0, value - z * se)), ci_high=float(min(1.0, value + z * se)),
                         n=n_cov, n_items=items_cov, n_annotations=n_cov, method=method, small_n_threshold=small_n)
        if np.any(estimable & ((p == 0) | (p == 1))):
            notes.append("some strata have accuracy 0 or 1: their variance term is 0, the interval may be too narrow")
    return StratifiedResult(pooled=pooled, stratified=strat, se=se, table=t.reset_index(drop=True),
                            uncovered_share=uncovered, notes=tuple(notes))


# --------------------------------------------------------------------------------------------------------------
# confusion
# --------------------------------------------------------------------------------------------------------------

def confusion_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Long confusion counts ``gold_label, label, n`` (annotations) from a frame with ``label, gold_label``."""
    scored = _gold_scored(df)
    out = (scored.groupby(["gold_label", "label"], sort=True).size().rename("n").reset_index())
    out["n"] = out["n"].astype("int64")
    return out


def confusion_matrix(long: pd.DataFrame, normalize: str | None = None, labels: Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """Wide confusion matrix from long counts: rows ``gold_label`` (truth), columns ``label`` (annotation).

    ``labels``: row/column order (default: sorted union of both). ``normalize=None`` gives counts;
    ``'true'`` divides each row by its total (the share of gold-``t`` annotations labelled ``l``; a row
    with no annotations is NaN: its rate is undefined).
    """
    require_columns(long, ("gold_label", "label", "n"), "confusion counts")
    if normalize not in (None, "true"):
        raise ValueError(f"normalize must be None or 'true', got {normalize!r}")
    if labels is None:
        labels = sorted(set(long["gold_label"].astype(str)) | set(long["label"].astype(str)))
    labels = list(labels)
    wide = (long.assign(gold_label=long["gold_label"].astype(str), label=long["label"].astype(str))
            .pivot_table(index="gold_label", columns="label", values="n", aggfunc="sum", fill_value=0)
            .reindex(index=labels, columns=labels, fill_value=0).astype("int64"))
    wide.index.name, wide.columns.name = "gold_label", "label"
    if normalize == "true":
        tot = wide.sum(axis=1).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            wide = wide.div(np.where(tot > 0, tot, np.nan), axis=0)
    return wide


def per_class_prf(confusion_long: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Annotator-vs-gold precision, recall and F1 per class from long confusion counts.

    For class ``c`` over gold-scored annotations: ``tp`` = gold c labelled c, ``support`` = gold c,
    ``predicted`` = labelled c. ``precision = tp / predicted`` and ``recall = tp / support`` with Wilson
    intervals; ``f1 = 2 tp / (support + predicted)`` (the harmonic mean of precision and recall). Undefined
    values are NaN with ``reason`` (no annotations labelled c, or no gold c).

    Returns ``label, support, predicted, tp, precision, precision_ci_low, precision_ci_high, recall,
    recall_ci_low, recall_ci_high, f1, reason`` sorted by label.
    """
    require_columns(confusion_long, ("gold_label", "label", "n"), "confusion counts")
    m = confusion_matrix(confusion_long)
    cm = m.to_numpy(dtype=float)
    tp = np.diag(cm)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), np.nan)
    p_lo, p_hi = wilson_interval(tp, predicted, confidence)
    r_lo, r_hi = wilson_interval(tp, support, confidence)
    reason = np.select([support == 0, predicted == 0],
                       ["no gold annotations of this class: recall undefined",
                        "never used as a label: precision undefined"], default=None)
    return pd.DataFrame({
        "label": m.index.to_list(),
        "support": support.astype("int64"), "predicted": predicted.astype("int64"), "tp": tp.astype("int64"),
        "precision": precision, "precision_ci_low": p_lo, "precision_ci_high": p_hi,
        "recall": recall, "recall_ci_low": r_lo, "recall_ci_high": r_hi,
        "f1": f1, "reason": reason,
    })
