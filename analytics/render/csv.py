"""The one CSV writer for everything LabelQA produces (dashboard downloads, ``labelqa ... --out``).

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return; OWASP "CSV Injection") get a leading single quote, so Excel, LibreOffice and Google Sheets show
them as text. Numbers are untouched (``-0.5`` stays a number: only text cells are neutralised).
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise", "safe_frame", "csv_bytes", "write_csv"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and column names) are neutralised; other dtypes are left as they are."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(neutralise)
    out.columns = [neutralise(c) if isinstance(c, str) else c for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV of ``df`` (no index), formula cells neutralised."""
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    Path(path).write_bytes(csv_bytes(df))
