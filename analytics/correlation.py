"""Label quality versus model quality, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.correlation`: correlations with intervals, the per-class regression of the model metric
  on label quality, the correlation across dataset versions (pure functions);
* :mod:`analytics.metrics.prelabel`: pre-label acceptance and the automation-bias test;
* :mod:`analytics.metrics.calibration`: reliability bins and the expected calibration error;
* :mod:`analytics.sources.model_db`: the same from the database (``sql/model_*.sql``, ``sql/prelabel_*.sql``,
  ``sql/calibration_*.sql``).

Kept for the callers of ``analytics.correlation`` (consensus, quality rules, dashboard, notebook).
"""
from analytics.metrics.calibration import *  # noqa: F401,F403
from analytics.metrics.calibration import __all__ as _cal_all
from analytics.metrics.calibration import _check_bins, _finish_calibration  # noqa: F401
from analytics.metrics.correlation import *  # noqa: F401,F403
from analytics.metrics.correlation import __all__ as _corr_all
from analytics.metrics.correlation import _FIT_COLS, _fisher_ci, _fmt_p, _reasons, _undefined  # noqa: F401
from analytics.metrics.prelabel import *  # noqa: F401,F403
from analytics.metrics.prelabel import __all__ as _pre_all
from analytics.sources.model_db import *  # noqa: F401,F403
from analytics.sources.model_db import __all__ as _db_all
from analytics.sources.model_db import _run_info, _scope  # noqa: F401

__all__ = [*_corr_all, *_pre_all, *_cal_all, *_db_all]
