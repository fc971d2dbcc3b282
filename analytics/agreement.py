"""Inter-annotator agreement, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.agreement`: the coefficients over annotation frames and over precomputed sufficient
  statistics (pure functions, no I/O; the formulas are documented there);
* :mod:`analytics.sources.agreement_db`: the same metrics on the filtered annotations in the database.

Kept for the many callers of ``analytics.agreement`` (commands, report, gate, dashboard, notebook, README).
"""
from analytics.metrics.agreement import *  # noqa: F401,F403
from analytics.metrics.agreement import __all__ as _metrics_all
from analytics.metrics.agreement.base import _NAMES  # noqa: F401  (labelqa agreement prints the metric's name)
from analytics.metrics.agreement.krippendorff import _finish_coincidences  # noqa: F401  (tests: SQL vs frame path)
from analytics.sources.agreement_db import *  # noqa: F401,F403
from analytics.sources.agreement_db import __all__ as _db_all
from analytics.sources.agreement_db import _db_stats  # noqa: F401  (tests: the SQL statistics frame)

__all__ = [*_metrics_all, *_db_all]
