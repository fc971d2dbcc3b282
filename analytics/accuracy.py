"""Accuracy against gold: per-stratum accuracy with Wilson intervals, the post-stratified overall estimate,
annotator-vs-gold confusion (matrices, per-class precision/recall/F1, systematic confusions) and the QA sample
planner.

Units. Accuracy is scored per **annotation**: an annotation of an item that has a gold label is correct when
its label equals the gold label. ``n`` is the number of such gold-scored annotations, ``n_items`` the number
of distinct gold items behind them. Every estimate carries ``n`` and a 95% interval (Wilson 1927 for single
proportions, see ``analytics.metrics.results.wilson_interval``; normal for the post-stratified estimate).

Two paths, one finish. The frame functions take a long frame ``item_id, annotator_id, label, gold_label``
(+ grouping columns); the ``*_from_db`` functions read small per-group counts from ``sql/accuracy_*.sql`` /
``sql/confusion_*.sql`` / ``sql/qa_*.sql`` (all built on the shared ``filtered_annotations`` CTE). Both hand
the same counts to the same finishing code, so they agree exactly.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.frames import require_columns
from analytics.metrics.results import SMALL_N, Estimate, wilson_interval

__all__ = [
    "DB_GROUPINGS",
    "accuracy_by",
    "accuracy_from_db",
    "accuracy_estimate",
    "overall_accuracy",
    "overall_accuracy_from_db",
    "StratifiedResult",
    "stratified_accuracy",
    "strata_from_db",
    "stratified_accuracy_from_db",
    "confusion_counts",
    "confusion_from_db",
    "confusion_matrix",
    "per_class_prf",
    "systematic_confusions",
    "plan_qa_sample",
    "qa_population_from_db",
    "draw_qa_sample",
]

MISSING_GROUP = "(missing)"  # group value shown for items that lack an attribute (SQL NULL)

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


def _grouped_counts(engine: Engine, query: str, key: str, params: Mapping[str, Any],
                    attr_key: str | None = None) -> pd.DataFrame:
    """Run grouped query ``query`` with group key ``key`` (checked against its fixed list, then bound as ``:by``;
    never formatted into the SQL) and item attribute ``attr_key`` (``'attr'`` / ``'team*attr'`` keys)."""
    allowed = _GROUP_KEYS[query]
    if key not in allowed:
        raise ValueError(f"{query} cannot group by {key!r}; allowed keys: {', '.join(sorted(allowed))}")
    return query_df(engine, query, **params, by=key, attr_key=attr_key)


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


def overall_accuracy_from_db(engine: Engine, filters: Filters, small_n: int = SMALL_N,
                             confidence: float = 0.95) -> Estimate:
    """Overall accuracy against gold from the database, as an :class:`Estimate` (Wilson interval)."""
    return _row_estimate(accuracy_from_db(engine, filters, None, small_n, confidence).iloc[0], small_n, confidence)


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


# --------------------------------------------------------------------------------------------------------------
# confusion
# --------------------------------------------------------------------------------------------------------------

def confusion_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Long confusion counts ``gold_label, label, n`` (annotations) from a frame with ``label, gold_label``."""
    scored = _gold_scored(df)
    out = (scored.groupby(["gold_label", "label"], sort=True).size().rename("n").reset_index())
    out["n"] = out["n"].astype("int64")
    return out


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


# --------------------------------------------------------------------------------------------------------------
# systematic confusions
# --------------------------------------------------------------------------------------------------------------

_SYSTEMATIC_COLUMNS = ("true_label", "label", "n", "share", "dimension", "concentrated_in", "group", "group_n",
                       "group_rate", "rest_rate", "groups_tested", "test", "statistic", "min_expected",
                       "p_raw", "p_value", "systematic", "reason")


def _top_pairs(overall: pd.DataFrame, top: int, min_n: int) -> pd.DataFrame:
    tot = overall.groupby("gold_label")["n"].sum().rename("gold_n")
    off = overall[overall["gold_label"].astype(str) != overall["label"].astype(str)].join(tot, on="gold_label")
    off = off[off["n"] >= min_n].assign(share=lambda d: d["n"] / d["gold_n"])
    off = off.sort_values(["n", "share", "gold_label", "label"], ascending=[False, False, True, True], kind="mergesort")
    return off.head(top).rename(columns={"gold_label": "true_label"})[["true_label", "label", "n", "share"]]


def _test_concentration(x: np.ndarray, m: np.ndarray) -> dict[str, Any]:
    """Is the confusion count ``x_g`` out of ``m_g`` gold-t annotations independent of the group ``g``?

    Pearson chi-square test of independence on the groups x {confused, other} table (no continuity
    correction); Fisher's exact test when the table is 2x2 and an expected count is below 5.
    Returns the test, statistic, raw p-value, smallest expected count and the index of the group with the
    largest positive Pearson residual (where the confusion concentrates).
    """
    keep = m > 0
    x, m = x[keep], m[keep]
    idx = np.flatnonzero(keep)
    res: dict[str, Any] = {"groups_tested": int(len(m))}
    if len(m) < 2:
        return {**res, "reason": "fewer than 2 groups with annotations of the true class"}
    X, M = x.sum(), m.sum()
    if X == 0 or X == M:
        return {**res, "reason": "no variation: the confusion rate is the same (0 or 1) in every group"}
    expected = m * X / M
    table = np.column_stack([x, m - x])
    exp_table = np.column_stack([expected, m - expected])
    resid = (x - expected) / np.sqrt(expected)
    best = int(np.argmax(resid))
    res.update(best=int(idx[best]), min_expected=float(exp_table.min()))
    if len(m) == 2 and exp_table.min() < 5:
        stat, p = stats.fisher_exact(table)
        return {**res, "test": "fisher", "statistic": float(stat), "p_raw": float(p)}
    chi2, p, _dof, _ = stats.chi2_contingency(table, correction=False)
    return {**res, "test": "chi2", "statistic": float(chi2), "p_raw": float(p)}


def _describe_group(dim: str, group: str) -> str:
    """``('team*attr:lighting', 'team_c|night')`` -> ``'team=team_c, lighting=night'``."""
    parts = dim.split("*")
    values = group.split("|", len(parts) - 1) if len(parts) > 1 else [group]
    return ", ".join(f"{_output_name(p)}={v}" for p, v in zip(parts, values))


def _systematic_finish(pairs: pd.DataFrame, group_counts: Mapping[str, pd.DataFrame], alpha: float) -> pd.DataFrame:
    """Shared finish: per (pair, dimension) concentration test + Bonferroni over all tests made.

    ``group_counts[dim]``: long counts ``gold_label, label, group, n`` for the true labels of ``pairs``.
    """
    rows: list[dict[str, Any]] = []
    for pair in pairs.itertuples(index=False):  # a handful of pairs x dimensions, not annotation-sized
        for dim, gc in group_counts.items():
            sub = gc[gc["gold_label"].astype(str) == str(pair.true_label)]
            m_g = sub.groupby("group", sort=True)["n"].sum()
            x_g = sub[sub["label"].astype(str) == str(pair.label)].groupby("group")["n"].sum().reindex(m_g.index,
                                                                                                      fill_value=0)
            r = _test_concentration(x_g.to_numpy(dtype=float), m_g.to_numpy(dtype=float))
            row = {"true_label": pair.true_label, "label": pair.label, "n": int(pair.n), "share": float(pair.share),
                   "dimension": dim, "groups_tested": r["groups_tested"], "test": r.get("test"),
                   "statistic": r.get("statistic", math.nan), "min_expected": r.get("min_expected", math.nan),
                   "p_raw": r.get("p_raw", math.nan), "reason": r.get("reason"),
                   "concentrated_in": None, "group": None, "group_n": 0, "group_rate": math.nan,
                   "rest_rate": math.nan}
            if "best" in r:
                b = r["best"]
                g = m_g.index[b]
                xb, mb = float(x_g.iloc[b]), float(m_g.iloc[b])
                X, M = float(x_g.sum()), float(m_g.sum())
                row.update(group=g, concentrated_in=_describe_group(dim, str(g)), group_n=int(mb), group_rate=xb / mb,
                           rest_rate=(X - xb) / (M - mb) if M > mb else math.nan)
            rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in _SYSTEMATIC_COLUMNS if c not in ("p_value", "systematic")])
    n_tests = int(out["p_raw"].notna().sum())
    out["p_value"] = np.minimum(1.0, out["p_raw"] * max(n_tests, 1))
    out["systematic"] = (out["p_value"] < alpha) & (out["group_rate"] > out["rest_rate"])
    out["systematic"] = out["systematic"].fillna(False).astype(bool)
    return out[list(_SYSTEMATIC_COLUMNS)]


def _dimension_group_frame(scored: pd.DataFrame, dim: str) -> pd.Series:
    """Group labels of dimension ``dim`` for a frame: a column, ``attr:<key>``, or ``a*b`` (a combination)."""
    parts = dim.split("*")
    vals = []
    for part in parts:
        col = _resolve_frame_column(scored, part)
        require_columns(scored, (col,), "annotations")
        vals.append(scored[col].astype(object).where(scored[col].notna(), MISSING_GROUP).astype(str))
    out = vals[0]
    for v in vals[1:]:
        out = out + "|" + v
    return out


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


# --------------------------------------------------------------------------------------------------------------
# QA sample planning
# --------------------------------------------------------------------------------------------------------------

def _per_label(value: float | Mapping[str, float] | pd.Series, labels: pd.Series, name: str) -> np.ndarray:
    if isinstance(value, (Mapping, pd.Series)):
        mapping = dict(value)
        missing = [l for l in labels if l not in mapping]
        if missing:
            raise ValueError(f"{name} has no value for label(s) {missing!r}")
        return labels.map(mapping).to_numpy(dtype=float)
    return np.full(len(labels), float(value))


def plan_qa_sample(population: pd.DataFrame, min_rate: float | Mapping[str, float] = 0.10,
                   half_width: float | None = None, expected_accuracy: float = 0.9, confidence: float = 0.95,
                   min_count: int | None = None) -> pd.DataFrame:
    """How many items of each class to review.

    ``population``: ``label, population`` (items per class). Per class, ``n`` is the largest of

    - ``n_rate = ceil(min_rate * N)`` (``min_rate`` a number or a ``{label: rate}`` mapping, e.g. per tier);
    - ``n_precision``: the sample size whose 95% (``confidence``) normal half-width for an accuracy near
      ``expected_accuracy`` is at most ``half_width``, with the finite population correction
      (Cochran 1977, ch. 4: ``n0 = z^2 p (1 - p) / d^2``, ``n = n0 / (1 + (n0 - 1) / N)``); 0 if no half-width;
    - ``min_count`` (if given),

    capped at the population ``N``. Returns ``label, population, n_rate, n_precision, n_min, n, rate``
    (``n / N``), ``expected_half_width`` (normal half-width with fpc at ``n``; NaN when n = 0) and ``capped``.
    """
    require_columns(population, ("label", "population"), "population")
    if half_width is not None and not (0 < half_width < 1):
        raise ValueError(f"half_width must lie in (0, 1), got {half_width!r}")
    if not (0 < expected_accuracy < 1):
        raise ValueError(f"expected_accuracy must lie in (0, 1), got {expected_accuracy!r}")
    labels = population["label"]
    N = pd.to_numeric(population["population"], errors="coerce")
    if N.isna().any() or (N < 0).any():
        raise ValueError("population must hold non-negative counts")
    N = N.to_numpy(dtype=float)
    rate = _per_label(min_rate, labels, "min_rate")
    if np.any((rate < 0) | (rate > 1)):
        raise ValueError("min_rate must lie in [0, 1]")
    z = stats.norm.ppf(0.5 + confidence / 2)
    pq = expected_accuracy * (1 - expected_accuracy)
    # round before ceil so that e.g. 0.1 * 30 = 3.0000000000000004 asks for 3 items, not 4
    n_rate = np.ceil(np.round(rate * N, 9))
    if half_width is None:
        n_prec = np.zeros_like(N)
    else:
        n0 = z * z * pq / (half_width * half_width)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_prec = np.where(N > 0, np.ceil(np.round(n0 / (1 + (n0 - 1) / np.where(N > 0, N, 1)), 9)), 0)
    n_min = np.full_like(N, float(min_count or 0))
    want = np.maximum.reduce([n_rate, n_prec, n_min])
    n = np.minimum(want, N)
    with np.errstate(invalid="ignore", divide="ignore"):
        fpc = np.where(N > 1, (N - n) / np.where(N > 1, N - 1, 1), 0.0)
        hw = np.where(n > 0, z * np.sqrt(pq / np.where(n > 0, n, 1) * np.clip(fpc, 0, 1)), np.nan)
        share = np.where(N > 0, n / np.where(N > 0, N, 1), np.nan)
    return pd.DataFrame({
        "label": labels.to_numpy(), "population": N.astype("int64"),
        "n_rate": n_rate.astype("int64"), "n_precision": n_prec.astype("int64"), "n_min": n_min.astype("int64"),
        "n": n.astype("int64"), "rate": share, "expected_half_width": hw, "capped": want > N,
    })


def qa_population_from_db(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Items per class for QA planning: ``label, population, items_with_gold`` (class = the item's majority
    label over its filtered annotations, ties -> lowest label)."""
    out = query_df(engine, "qa_population", **filters.params())
    for c in ("population", "items_with_gold"):
        out[c] = out[c].astype("int64")
    return out


def draw_qa_sample(engine: Engine, filters: Filters, plan: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Draw the planned QA sample: per class the first ``n`` items in a seeded pseudo-random order.

    ``plan``: ``label, n`` (e.g. from :func:`plan_qa_sample`). Items are classed by majority label (as in
    :func:`qa_population_from_db`) and ordered by ``md5(item_id || seed)`` in SQL, so the sample is the same for
    a seed on every run and every engine, and each class's sample is a simple random sample of its items.
    Returns ``item_id, label`` sorted by label then draw order.
    """
    require_columns(plan, ("label", "n"), "plan")
    want = plan.assign(n=pd.to_numeric(plan["n"], errors="coerce"))
    if want["n"].isna().any() or (want["n"] < 0).any():
        raise ValueError("plan column 'n' must hold non-negative counts")
    want = want[want["n"] > 0]
    if want.empty:
        return pd.DataFrame({"item_id": pd.Series([], dtype=object), "label": pd.Series([], dtype=object)})
    limits = dict(zip(want["label"].astype(str), want["n"].astype("int64")))
    cand = query_df(engine, "qa_sample_candidates", **filters.params(), labels=sorted(limits),
                    seed_text=str(int(seed)), max_n=int(max(limits.values())))
    keep = cand["rk"].to_numpy() <= cand["label"].astype(str).map(limits).to_numpy()
    return cand.loc[keep, ["item_id", "label"]].reset_index(drop=True)
