"""Throughput and QA reach, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.activity`: per-annotator volume and pace from sufficient statistics, the QA rate with
  its Wilson interval, week-over-week changes (pure functions; definitions documented there);
* :mod:`analytics.sources.activity_db`: the same on the filtered annotations in the database
  (``sql/ui_annotator_activity.sql``, ``sql/activity_qa_items.sql``).

Kept for the callers of ``analytics.activity`` (overview page, ui data, tests, benchmarks).
"""
from analytics.metrics.activity import *  # noqa: F401,F403
from analytics.metrics.activity import __all__ as _metrics_all
from analytics.metrics.activity import _STATS, _missing, _reasons  # noqa: F401
from analytics.sources.activity_db import *  # noqa: F401,F403
from analytics.sources.activity_db import __all__ as _db_all

__all__ = [*_metrics_all, *_db_all]
