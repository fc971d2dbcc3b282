"""The span frame, declared once: ``item_id, annotator_id, start, end, label`` (character offsets into the
item's text, end exclusive). A row with a missing label (and missing offsets) records that the annotator
annotated the item and marked nothing. Texts: ``item_id, text``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.frames import require_columns

__all__ = ["SPAN_COLUMNS", "TEXT_COLUMNS", "check_spans", "check_texts"]

SPAN_COLUMNS = ("item_id", "annotator_id", "start", "end", "label")
TEXT_COLUMNS = ("item_id", "text")


def _fail(df: pd.DataFrame, bad: np.ndarray, col: str, why: str) -> None:
    k = int(np.flatnonzero(bad)[0])
    v = df[col].iloc[k]
    v = v.item() if hasattr(v, "item") else v  # -3.0, not np.float64(-3.0)
    raise ValueError(f"row {df.index[k]!r}, column {col!r}: {why} (value {v!r})")


def check_spans(df: pd.DataFrame, texts: pd.DataFrame | None = None, what: str = "spans") -> pd.DataFrame:
    """Check the span shape; return it with integer offsets. Raises ``ValueError`` naming row and column for a
    missing column, non-integer offsets, ``end <= start``, or (with ``texts``) a span outside its text."""
    require_columns(df, SPAN_COLUMNS, what)
    out = df.copy()
    has = out["label"].notna() & (out["label"].astype(str) != "")
    for col in ("start", "end"):
        v = pd.to_numeric(out[col], errors="coerce")
        bad = (has & (v.isna() | (v != np.floor(v)) | (v < 0))).to_numpy()
        if bad.any():
            _fail(out, bad, col, "offset must be a non-negative integer")
        out[col] = v
    bad = (has & (out["end"] <= out["start"])).to_numpy()
    if bad.any():
        _fail(out, bad, "end", "end must be greater than start (end is exclusive)")
    if texts is not None:
        t = check_texts(texts)
        length = out["item_id"].map(t.set_index("item_id")["text"].str.len())
        bad = (has & length.isna()).to_numpy()
        if bad.any():
            _fail(out, bad, "item_id", "no text for this item")
        bad = (has & (out["end"] > length)).to_numpy()
        if bad.any():
            _fail(out, bad, "end", "span ends outside the item's text")
    out.loc[~has, "label"] = pd.NA
    return out


def check_texts(df: pd.DataFrame, what: str = "texts") -> pd.DataFrame:
    require_columns(df, TEXT_COLUMNS, what)
    dup = df["item_id"].duplicated().to_numpy()
    if dup.any():
        _fail(df, dup, "item_id", "item has more than one text")
    bad = df["text"].isna().to_numpy()
    if bad.any():
        _fail(df, bad, "text", "missing text")
    return df
