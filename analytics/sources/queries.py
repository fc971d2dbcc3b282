"""The query loader: the canonical text of ``sql/<name>.sql`` with ``-- @include x`` lines expanded from
``sql/_x.sql``. A leaf module (it imports only the package's resource paths), so ``analytics.db`` and the
dialect translator both use it without importing each other."""
from __future__ import annotations

import re
from functools import lru_cache

from analytics.resources import SQL_DIR

__all__ = ["sql_text"]

_INCLUDE = re.compile(r"^\s*--\s*@include\s+(\w+)\s*$", re.MULTILINE)


@lru_cache(maxsize=None)
def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql`` with ``-- @include x`` lines expanded from ``sql/_x.sql``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no query file {path}")
    body = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: sql_text("_" + m.group(1)), body)
