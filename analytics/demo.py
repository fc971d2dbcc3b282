"""Old import path of the seeded demo scenario; the code lives in :mod:`analytics.io.demo` (issue 8).

Kept so that ``analytics.demo.build_demo`` / ``analytics.demo.TRUTHS`` (sample_data/README.md, the notebook,
user scripts) keep working.
"""
from analytics.io.demo import *  # noqa: F401,F403
from analytics.io.demo import __all__  # noqa: F401
