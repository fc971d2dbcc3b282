"""Streamlit column configurations from the one column -> words map (analytics.render.columns): tables show
words, not the frames' column names; the CSV download keeps the names (stable for scripts)."""
from __future__ import annotations

from typing import Iterable

import pandas as pd
import streamlit as st

from analytics.render.columns import kind, words

__all__ = ["column_config", "tidy"]

_CHECKBOX_KINDS = {"bool"}


def column_config(df: pd.DataFrame, **overrides) -> dict:
    """A ``column_config`` naming every column of ``df`` in words, percentages as percentages; ``overrides``
    (column -> words or a ready column config) win."""
    cfg: dict = {}
    for c in df.columns:
        c = str(c)
        label = words(c)
        k = kind(c)
        if k == "pct":
            cfg[c] = st.column_config.NumberColumn(label, format="percent")
        elif k == "int":
            cfg[c] = st.column_config.NumberColumn(label, format="localized")
        elif k == "p":
            cfg[c] = st.column_config.NumberColumn(label, format="%.2g")
        elif k == "num":
            cfg[c] = st.column_config.NumberColumn(label, format="%.3f")
        elif k in _CHECKBOX_KINDS:
            cfg[c] = st.column_config.CheckboxColumn(label)
        else:
            cfg[c] = st.column_config.Column(label)
    for c, v in overrides.items():
        cfg[c] = v if not isinstance(v, str) else st.column_config.Column(v)
    return cfg


def tidy(df: pd.DataFrame, drop_empty: Iterable[str] = ("reason",)) -> pd.DataFrame:
    """``df`` without the columns of ``drop_empty`` that hold nothing (a ``reason`` column of ``None`` only)."""
    gone = [c for c in drop_empty if c in df.columns and df[c].isna().all()]
    return df.drop(columns=gone)
