"""Input checks shared by every public function: one shape, named once."""
from __future__ import annotations

from typing import Iterable

import pandas as pd

__all__ = ["ANNOTATION_COLUMNS", "require_columns", "check_annotations", "by_list"]

ANNOTATION_COLUMNS = ("item_id", "annotator_id", "label")


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str = "frame") -> None:
    """Raise ``ValueError`` naming every missing column and the columns that are there."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"{what} is missing column(s) {', '.join(repr(c) for c in missing)}; "
            f"it has {', '.join(repr(c) for c in df.columns) or 'no columns'}"
        )


def check_annotations(df: pd.DataFrame, extra: Iterable[str] = (), what: str = "annotations") -> pd.DataFrame:
    """Check the long annotation shape (``item_id, annotator_id, label`` + ``extra``); drop rows with no label."""
    require_columns(df, (*ANNOTATION_COLUMNS, *extra), what)
    return df[df["label"].notna()]


def by_list(by) -> list[str]:
    """A ``by`` argument (None, one column name or several) as a list of column names."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    cols = list(by)
    if not all(isinstance(c, str) for c in cols):
        raise ValueError(f"by must be a column name or a list of column names, got {by!r}")
    return cols
