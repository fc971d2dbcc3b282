"""LabelQA dashboard entry point: routes the seven pages and sets up the shared state every page reads
(read-only database engine, URL-backed sidebar filters, thresholds). Pages call ``ui.common.ctx()``.

Run with ``streamlit run app.py`` (``make run``). The database comes from ``LABELQA_DB_URL``,
``.streamlit/secrets.toml`` ``[connections.labelqa] url`` or the embedded demo file, built on first use.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.common import PAGES, setup
from ui.problems import guarded

# A packaged image, not a ":material/...:" icon: Streamlit fetches those favicons from fonts.gstatic.com, and the
# dashboard loads nothing from the network.
ICON = Path(__file__).resolve().parent / "ui" / "static" / "labelqa_icon.png"
st.set_page_config(page_title="LabelQA", page_icon=str(ICON), layout="wide")

pages = [
    st.Page(path, title=title, icon=icon, url_path=url_path, default=(key == "overview"))
    for key, (path, title, icon, url_path) in PAGES.items()
]
page = st.navigation(pages, position="sidebar", expanded=True)


def _run() -> None:
    setup()
    page.run()


guarded(_run)  # a broken or busy database becomes a page-level message, not a traceback
