"""Dashboard helpers shared by ``app.py`` and ``pages/*.py``: database connection, URL-backed filters,
cached data loaders, status colours, formatting, tables with CSV download and chart builders.

Only formatting happens here: every statistic comes from ``analytics`` (which never imports Streamlit).
"""
