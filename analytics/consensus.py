"""Consensus labels and annotator skill without gold, one import for both paths (issue 8 layout):

* :mod:`analytics.metrics.consensus`: majority vote, Dawid-Skene (EM, vectorised) and the comparison of its
  skill estimates with gold (pure functions over annotation frames; conventions documented there);
* :mod:`analytics.sources.consensus_db`: Dawid-Skene annotator skill on the filtered annotations in the
  database (``sql/consensus_*.sql``).

Kept for the callers of ``analytics.consensus`` (consensus command, review queue, ui data, tests, benchmarks).
"""
from analytics.metrics.consensus import *  # noqa: F401,F403
from analytics.metrics.consensus import __all__ as _metrics_all
from analytics.metrics.consensus import _EPS, _Encoded, _encode, _vote_counts  # noqa: F401
from analytics.sources.consensus_db import *  # noqa: F401,F403
from analytics.sources.consensus_db import __all__ as _db_all

__all__ = [*_metrics_all, *_db_all]
