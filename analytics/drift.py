"""Weekly quality series, annotator drift and label shift, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.drift`: weekly proportion series with Wilson intervals, the per-annotator drift test,
  control limits, label counts and the week-over-week label shift (chi-square with cluster correction, PSI)
  over count frames (pure functions; definitions documented there);
* :mod:`analytics.sources.drift_db`: the same on the filtered annotations in the database (``sql/drift_*.sql``).

Kept for the callers of ``analytics.drift`` (quality rules, preference judges, pages, ui data, tests, notebook,
benchmarks).
"""
from analytics.metrics.drift import *  # noqa: F401,F403
from analytics.metrics.drift import __all__ as _metrics_all
from analytics.metrics.drift import WEEKLY_BY, _as_week, _by_cols, _newcombe_diff, _reasons  # noqa: F401
from analytics.sources.drift_db import *  # noqa: F401,F403
from analytics.sources.drift_db import __all__ as _db_all

__all__ = [*_metrics_all, *_db_all]
