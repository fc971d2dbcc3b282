"""Class coverage, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.coverage`: class balance, its summary, class x attribute cross-tabs and QA coverage
  per class over annotation frames and count frames (pure functions; definitions documented there);
* :mod:`analytics.sources.coverage_db`: the same on the filtered annotations in the database
  (``sql/coverage_*.sql``).

Kept for the callers of ``analytics.coverage`` (quality rules, report tables, coverage page, ui data, tests).
"""
from analytics.metrics.coverage import *  # noqa: F401,F403
from analytics.metrics.coverage import __all__ as _metrics_all
from analytics.metrics.coverage import _finish_crosstab, _finish_distribution  # noqa: F401
from analytics.sources.coverage_db import *  # noqa: F401,F403
from analytics.sources.coverage_db import __all__ as _db_all

__all__ = [*_metrics_all, *_db_all]
