"""Class coverage from the database: per-class counts from ``sql/coverage_*.sql`` (class = majority label of the
filtered annotations, computed in SQL), finished by the frame path's code in :mod:`analytics.metrics.coverage`."""
from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.coverage import _finish_crosstab, _finish_distribution, qa_coverage

__all__ = [
    "class_distribution_from_db",
    "class_attribute_crosstab_from_db",
    "qa_coverage_from_db",
]


def class_distribution_from_db(engine: Engine, filters: Filters) -> pd.DataFrame:
    """:func:`class_distribution` of the filtered annotations; declared classes of the project
    (``label_classes``, the filtered schema version if any) without data appear with zero counts."""
    return _finish_distribution(query_df(engine, "coverage_class_distribution", **filters.params()))


def class_attribute_crosstab_from_db(engine: Engine, filters: Filters, key: str, thin: int = 30) -> pd.DataFrame:
    """:func:`class_attribute_crosstab` of the filtered annotations for item attribute ``key``."""
    long = query_df(engine, "coverage_class_attribute", **filters.params(), attr_key=key)
    return _finish_crosstab(long, thin)


def qa_coverage_from_db(engine: Engine, filters: Filters, critical_rate: float = 0.10, standard_rate: float = 0.05,
                        critical_min_count: int = 0, standard_min_count: int = 0,
                        confidence: float = 0.95) -> pd.DataFrame:
    """QA coverage per class of the filtered project (see :func:`qa_coverage`); class = majority label, tier
    from ``label_classes`` ('critical' when any schema version marks the class so, else 'standard')."""
    counts = query_df(engine, "coverage_qa", **filters.params())
    return qa_coverage(counts, critical_rate, standard_rate, critical_min_count, standard_min_count, confidence)
