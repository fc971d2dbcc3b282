"""The public frame functions: ``agreement``, one function per coefficient, and the finishing of precomputed
sufficient statistics (``*_from_stats``)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from analytics.frames import ANNOTATION_COLUMNS, by_list as _by_list, require_columns
from analytics.metrics.results import Estimate
from analytics.metrics.agreement.base import (
    _check_choice, DB_GROUPS, _GROUP_COLS, LEVELS, METRICS, _NAMES, _norm_weights,
)
from analytics.metrics.agreement.bootstrap import _method_text
from analytics.metrics.agreement.cohen import _finish_cohen
from analytics.metrics.agreement.krippendorff import _finish_coincidences, numeric_labels
from analytics.metrics.agreement.nominal import _finish_nominal
from analytics.metrics.agreement.per_category import _finish_per_category
from analytics.metrics.agreement.stats import bucket_stats, coincidence_stats


# --------------------------------------------------------------------------------------------- public: frame

def _to_estimate(row: pd.Series, method: str) -> Estimate:
    n_items = int(row["n_items"])
    if row["reason"] is not None and isinstance(row["reason"], str):
        return Estimate.undefined(reason=row["reason"], n=n_items, n_items=n_items,
                                  n_annotations=int(row["n_annotations"]), method=method)
    return Estimate(value=float(row["value"]), ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
                    n=n_items, n_items=n_items, n_annotations=int(row["n_annotations"]), method=method)


def _shape(frame: pd.DataFrame, by_cols: list[str], method: str):
    if by_cols:
        return frame[[*by_cols, *_GROUP_COLS]].reset_index(drop=True)
    if frame.empty:
        return Estimate.undefined(reason="no annotations", n=0, n_items=0, n_annotations=0, method=method)
    return _to_estimate(frame.iloc[0], method)


def agreement(df: pd.DataFrame, metric: str = "krippendorff", by=None, level: str = "nominal", weights=None,
              n_boot: int = 1000, seed: int = 0, categories: Sequence | None = None,
              confidence: float = 0.95):
    """One agreement metric for a long annotation frame, overall or per group in one grouped computation.

    ``metric``: ``'krippendorff'`` (``level`` nominal/ordinal/interval/ratio), ``'fleiss'``, ``'gwet_ac1'``,
    ``'percent'``, ``'scott_pi'``, ``'cohen'`` (exactly two annotators; ``weights`` None/'linear'/'quadratic').
    ``categories`` orders non-numeric labels for ordinal alpha and weighted Cohen. Returns an
    :class:`~analytics.metrics.results.Estimate` (``n = n_items`` = items with 2+ ratings, ``n_annotations`` = their
    ratings) or, with ``by``, a frame with the ``by`` columns and ``value, ci_low, ci_high, n_items,
    n_annotations, reason`` (one row per group, sorted). Formulas and the interval: module docstring.
    """
    _check_choice(metric, METRICS, "metric")
    _check_choice(level, LEVELS, "level")
    weights = _norm_weights(weights)
    by_cols = _by_list(by)
    if level != "nominal" and metric != "krippendorff":
        raise ValueError(f"level={level!r} applies to metric='krippendorff' only")
    if weights is not None and metric != "cohen":
        raise ValueError(f"weights={weights!r} applies to metric='cohen' only")
    require_columns(df, (*ANNOTATION_COLUMNS, *by_cols), "annotations")
    name = _NAMES[metric] + (f" ({level})" if metric == "krippendorff" else "") + \
        (f" ({weights} weights)" if weights else "")
    method = _method_text(name, n_boot, seed, confidence)
    if metric == "cohen":
        frame = _finish_cohen(df, by_cols, weights, categories, n_boot, seed, confidence)
    elif metric == "krippendorff" and level != "nominal":
        d = df if categories is not None else df.assign(label=numeric_labels(df["label"], f"level={level!r}"))
        frame = _finish_coincidences(coincidence_stats(d, by_cols), by_cols, level, categories, n_boot, seed,
                                     confidence)
    else:
        frame = _finish_nominal(bucket_stats(df, by_cols), by_cols, metric, n_boot, seed, confidence)
    return _shape(frame, by_cols, method)


def percent_agreement(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Mean share of agreeing rater pairs per item (items with 2+ ratings); see :func:`agreement`."""
    return agreement(df, "percent", n_boot=n_boot, seed=seed, confidence=confidence)


def fleiss_kappa(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Fleiss' kappa (Fleiss 1971) with any number of raters per item; see the module docstring."""
    return agreement(df, "fleiss", n_boot=n_boot, seed=seed, confidence=confidence)


def krippendorff_alpha(df: pd.DataFrame, level: str = "nominal", n_boot: int = 1000, seed: int = 0,
                       categories: Sequence | None = None, confidence: float = 0.95) -> Estimate:
    """Krippendorff's alpha (2011) for ``level`` nominal/ordinal/interval/ratio, missing ratings allowed."""
    return agreement(df, "krippendorff", level=level, n_boot=n_boot, seed=seed, categories=categories,
                     confidence=confidence)


def gwet_ac1(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Gwet's AC1 for any number of raters (Gwet 2008); see the module docstring."""
    return agreement(df, "gwet_ac1", n_boot=n_boot, seed=seed, confidence=confidence)


def scotts_pi(df: pd.DataFrame, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Scott's pi (1955), multi-rater form with pooled category proportions; see the module docstring."""
    return agreement(df, "scott_pi", n_boot=n_boot, seed=seed, confidence=confidence)


def cohens_kappa(data, labels_b=None, weights=None, categories: Sequence | None = None, n_boot: int = 1000,
                 seed: int = 0, confidence: float = 0.95) -> Estimate:
    """Cohen's kappa for two annotators: a long frame with exactly two annotators, or two label arrays
    (position ``i`` = item ``i``; missing labels drop the item). ``weights`` None/'linear'/'quadratic'."""
    if isinstance(data, pd.DataFrame):
        if labels_b is not None:
            raise ValueError("give either a frame or two label arrays, not both")
        return agreement(data, "cohen", weights=weights, categories=categories, n_boot=n_boot, seed=seed,
                         confidence=confidence)
    if labels_b is None:
        raise ValueError("cohens_kappa needs a frame or two label arrays")
    a = pd.Series(list(data) if not isinstance(data, pd.Series) else data.to_numpy())
    b = pd.Series(list(labels_b) if not isinstance(labels_b, pd.Series) else labels_b.to_numpy())
    if len(a) != len(b):
        raise ValueError(f"the two label arrays differ in length ({len(a)} vs {len(b)})")
    ids = pd.Series(np.arange(len(a))).astype(str)
    frame = pd.DataFrame({"item_id": pd.concat([ids, ids], ignore_index=True),
                          "annotator_id": ["a"] * len(a) + ["b"] * len(b),
                          "label": pd.concat([a, b], ignore_index=True)})
    return agreement(frame, "cohen", weights=weights, categories=categories, n_boot=n_boot, seed=seed,
                     confidence=confidence)


# --------------------------------------------------------------------------------------------- database

def _check_db_by(by) -> str | None:
    if by is not None and not isinstance(by, str):
        raise ValueError(f"by must be one of {', '.join(repr(b) for b in DB_GROUPS)} for the database path")
    return _check_choice(by, DB_GROUPS, "by")


def agreement_from_stats(stats: pd.DataFrame, metric: str = "krippendorff", by: str | None = None,
                         n_boot: int = 1000, seed: int = 0, confidence: float = 0.95):
    """A nominal metric from :func:`agreement_stats_from_db` output (same result as :func:`agreement_from_db`)."""
    _check_choice(metric, METRICS, "metric")
    if metric == "cohen":
        raise ValueError("Cohen's kappa needs the two annotators' labels: use pairwise_cohen_from_db")
    by_cols = _by_list(_check_db_by(by))
    name = _NAMES[metric] + (" (nominal)" if metric == "krippendorff" else "")
    frame = _finish_nominal(stats, by_cols, metric, n_boot, seed, confidence)
    return _shape(frame, by_cols, _method_text(name, n_boot, seed, confidence))


def per_category_from_stats(stats: pd.DataFrame, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                            confidence: float = 0.95) -> pd.DataFrame:
    """Per-category agreement from :func:`agreement_stats_from_db` output."""
    return _finish_per_category(stats, _by_list(_check_db_by(by)), n_boot, seed, confidence)
