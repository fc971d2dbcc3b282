"""Agreement on the filtered annotations in the database: the sufficient statistics of ``sql/agreement_*.sql``
(``analytics.db.query_df``), finished by the pure functions of :mod:`analytics.metrics.agreement`.

The only part of agreement that runs SQL; :mod:`analytics.metrics.agreement` itself does no I/O.
"""
from __future__ import annotations

import pandas as pd

from analytics.db import query_df
from analytics.frames import by_list as _by_list
from analytics.metrics.agreement.api import _check_db_by, _shape, agreement_from_stats, per_category_from_stats
from analytics.metrics.agreement.base import _check_choice, LEVELS, METRICS, _NAMES
from analytics.metrics.agreement.bootstrap import _method_text
from analytics.metrics.agreement.cohen import _pairwise_from_counts
from analytics.metrics.agreement.krippendorff import _finish_coincidences

__all__ = [
    "agreement_from_db",
    "agreement_stats_from_db",
    "per_category_agreement_from_db",
    "pairwise_cohen_from_db",
]


def _db_stats(engine, filters, name: str, by: str | None) -> pd.DataFrame:
    stats = query_df(engine, name, **filters.params(), by=by)
    if by is None:
        return stats.drop(columns=["grp"])
    grp = stats["grp"]
    if by == "week":
        conv = pd.to_datetime(grp).dt.date
    elif by == "schema_version":
        conv = pd.to_numeric(grp).astype("Int64")
    else:
        conv = grp.astype(object).where(grp.notna(), None)
    out = stats.drop(columns=["grp"])
    out[by] = conv
    return out


def agreement_from_db(engine, filters, metric: str = "krippendorff", by: str | None = None,
                      level: str = "nominal", n_boot: int = 1000, seed: int = 0, confidence: float = 0.95):
    """:func:`agreement` on the filtered annotations in the database, from SQL sufficient statistics.

    ``by``: None, 'week' (Monday date), 'team' (the annotation's annotator's team: agreement within a team),
    'schema_version', 'batch_id', 'split'. ``sql/agreement_bucket_stats.sql`` returns groups x 64 buckets x
    labels rows (nominal metrics); ``level`` other than nominal reads ``sql/agreement_coincidences.sql`` and
    needs numeric labels. Cohen's kappa compares two fixed annotators: use :func:`pairwise_cohen_from_db`.
    Same result shapes as :func:`agreement`, and the same numbers and intervals as the frame path.
    """
    _check_choice(metric, METRICS, "metric")
    _check_choice(level, LEVELS, "level")
    by = _check_db_by(by)
    by_cols = _by_list(by)
    if metric == "cohen":
        raise ValueError("Cohen's kappa compares two fixed annotators; from the database use "
                         "pairwise_cohen_from_db (every annotator pair) or a multi-rater metric")
    if level != "nominal" and metric != "krippendorff":
        raise ValueError(f"level={level!r} applies to metric='krippendorff' only")
    if level == "nominal":
        return agreement_from_stats(agreement_stats_from_db(engine, filters, by), metric, by, n_boot, seed,
                                    confidence)
    name = _NAMES[metric] + f" ({level})"
    stats = _db_stats(engine, filters, "agreement_coincidences", by)
    frame = _finish_coincidences(stats, by_cols, level, None, n_boot, seed, confidence)
    return _shape(frame, by_cols, _method_text(name, n_boot, seed, confidence))


def agreement_stats_from_db(engine, filters, by: str | None = None) -> pd.DataFrame:
    """The nominal sufficient statistics of ``sql/agreement_bucket_stats.sql`` (groups x 64 buckets x labels).

    The one expensive step of every nominal metric and of per-category agreement: a dashboard caches this frame
    at its I/O edge and finishes it with :func:`agreement_from_stats` / :func:`per_category_from_stats`, so
    switching metric or adding the per-class view costs no second pass over the annotations.
    """
    return _db_stats(engine, filters, "agreement_bucket_stats", _check_db_by(by))


def per_category_agreement_from_db(engine, filters, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                                   confidence: float = 0.95) -> pd.DataFrame:
    """:func:`per_category_agreement` from ``sql/agreement_bucket_stats.sql`` (``by`` as in
    :func:`agreement_from_db`, e.g. 'week' or 'schema_version')."""
    return per_category_from_stats(agreement_stats_from_db(engine, filters, by), by, n_boot, seed, confidence)


def pairwise_cohen_from_db(engine, filters, min_shared: int = 20, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`pairwise_cohen` from ``sql/agreement_pairs.sql`` (pair x label x label counts, one self-join)."""
    pairs = query_df(engine, "agreement_pairs", **filters.params())
    return _pairwise_from_counts(pairs, min_shared, confidence)
