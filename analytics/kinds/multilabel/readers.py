"""Multi-label readers: CSV/TSV/Parquet files with one row per chosen label (``item_id, annotator_id, label``;
an annotator who chose nothing on an item: one row with an empty label), read by
:func:`analytics.io.files.read_table` (text columns, only empty cells missing: a label ``NA`` is a label)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.multilabel.agreement import MULTILABEL_COLUMNS, check_multilabel

__all__ = ["GOLD_SET_COLUMNS", "read_multilabel_file", "read_gold_set_file", "check_gold_sets", "read_input"]

GOLD_SET_COLUMNS = ("item_id", "label")


def read_multilabel_file(path) -> pd.DataFrame:
    from analytics.io.files import read_checked

    return read_checked(path, "multi-label annotations", MULTILABEL_COLUMNS, check_multilabel)


def check_gold_sets(df: pd.DataFrame, what: str = "gold sets") -> pd.DataFrame:
    """Gold sets ``item_id, label`` (one row per gold label; an empty gold set: one row with an empty label)."""
    from analytics.frames import require_columns

    require_columns(df, GOLD_SET_COLUMNS, what)
    bad = df["item_id"].isna().to_numpy()
    if bad.any():
        raise ValueError(f"row {df.index[int(np.flatnonzero(bad)[0])]!r}, column 'item_id': missing item id")
    return df


def read_gold_set_file(path) -> pd.DataFrame:
    from analytics.io.files import read_checked

    return read_checked(path, "gold sets", GOLD_SET_COLUMNS, check_gold_sets)


def read_input(path, role: str = "annotations") -> dict:
    """The file CLI's reader: a CSV/TSV/Parquet file (``role="gold"``: gold sets)."""
    return {"frame": read_gold_set_file(path) if role == "gold" else read_multilabel_file(path), "gold": None}
