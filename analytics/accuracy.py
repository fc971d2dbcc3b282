"""Accuracy against gold, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.accuracy`: per-stratum accuracy (Wilson intervals), the post-stratified overall
  estimate, confusion matrices, per-class precision/recall/F1 (pure functions over frames and counts);
* :mod:`analytics.metrics.systematic`: the concentration tests behind ``systematic_confusions``;
* :mod:`analytics.metrics.qa_plan`: the QA sample planner (sizes, over-sampling, inclusion probabilities,
  Horvitz-Thompson reweighting);
* :mod:`analytics.sources.accuracy_db` and :mod:`analytics.sources.qa_sample_db`: the same on the filtered
  annotations in the database.

Kept for the callers of ``analytics.accuracy`` (commands, report, quality rules, dashboard, notebook).
"""
from analytics.metrics.accuracy import *  # noqa: F401,F403
from analytics.metrics.accuracy import __all__ as _metrics_all
from analytics.metrics.accuracy import (  # noqa: F401  (internal helpers some callers use)
    _ACCURACY_COLUMNS, _as_list, _attr_key, _finish_accuracy, _gold_scored, _output_name, _resolve_frame_column,
    _row_estimate,
)
from analytics.metrics.qa_plan import *  # noqa: F401,F403
from analytics.metrics.qa_plan import __all__ as _plan_all
from analytics.metrics.systematic import (  # noqa: F401  (analytics.quality.rules runs these on its connection)
    _SYSTEMATIC_COLUMNS, _describe_group, _dimension_group_frame, _systematic_finish, _test_concentration, _top_pairs,
)
from analytics.sources.accuracy_db import *  # noqa: F401,F403
from analytics.sources.accuracy_db import __all__ as _db_all
from analytics.sources.accuracy_db import _GROUP_KEYS, _dimension_group_db, _grouped_counts  # noqa: F401
from analytics.sources.qa_sample_db import *  # noqa: F401,F403
from analytics.sources.qa_sample_db import __all__ as _sample_all

__all__ = [*_metrics_all, *_plan_all, *_db_all, *_sample_all]
