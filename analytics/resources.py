"""Where LabelQA finds what it ships and where it keeps its own files.

Everything the package needs at run time is package data of ``analytics`` and is found through
``importlib.resources``, never through paths relative to a source tree:

- ``analytics/sql/``: the query files (in a checkout a symlink to the top-level ``sql/``);
- ``analytics/labelqa.toml``: the default thresholds (symlink to the top-level ``labelqa.toml``);
- ``analytics/dashboard/``: the Streamlit entry ``app.py`` with ``pages/`` and ``ui/`` (symlinks to the
  top-level ones); ``labelqa dashboard`` runs it.

The wheel carries copies of these, so an installed LabelQA works from any directory.

The embedded default database lives in the data home: ``$LABELQA_HOME`` if set; in a source checkout
``<checkout>/data`` (what ``make run`` has always used); otherwise the per-user data directory
(``platformdirs.user_data_dir("labelqa")``, e.g. ``~/.local/share/labelqa`` on Linux).
"""
from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version as _dist_version
from importlib.resources import files
from pathlib import Path

__all__ = ["SQL_DIR", "DEFAULT_THRESHOLDS", "DASHBOARD_APP", "data_home", "checkout_root", "version"]

_PKG = Path(str(files("analytics")))
SQL_DIR = _PKG / "sql"
DEFAULT_THRESHOLDS = _PKG / "labelqa.toml"
DASHBOARD_APP = _PKG / "dashboard" / "app.py"


def checkout_root() -> Path | None:
    """The repository root when ``analytics`` is imported from a source checkout, else ``None``."""
    root = _PKG.parent
    if (root / "pyproject.toml").is_file() and (root / "analytics").resolve() == _PKG.resolve():
        return root
    return None


def data_home() -> Path:
    """Directory of LabelQA's own files (the embedded demo database)."""
    env = os.environ.get("LABELQA_HOME")
    if env:
        return Path(env).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "data"
    from platformdirs import user_data_dir

    return Path(user_data_dir("labelqa", appauthor=False))


def version() -> str:
    try:
        return _dist_version("labelqa")
    except PackageNotFoundError:  # imported from a checkout that was never installed
        return "0+unknown"
