"""Old import path of the validated ingest; the code lives in :mod:`analytics.io.ingest` (issue 8).

Kept so that ``from analytics.ingest import load_files, IngestError`` (docs/INGEST.md, user scripts) keeps working.
"""
from analytics.io.ingest import *  # noqa: F401,F403
from analytics.io.ingest import __all__  # noqa: F401
