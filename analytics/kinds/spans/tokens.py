"""Token units for span agreement: each span becomes the tokens it overlaps (bratiaa's token level)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_TOKEN_PATTERN", "tokenize", "span_tokens"]

DEFAULT_TOKEN_PATTERN = r"\S+"  # runs of non-whitespace, as bratiaa.utils.TOKEN


def tokenize(texts: pd.DataFrame, pattern: str = DEFAULT_TOKEN_PATTERN) -> pd.DataFrame:
    """``item_id, token, tok_start, tok_end`` for every regex match in every text (token = index in its text).

    The regex engine works on one string at a time, so this visits each text once (not each span or pair)."""
    rx = re.compile(pattern)
    rows = [(iid, m.start(), m.end()) for iid, text in zip(texts["item_id"], texts["text"])
            for m in rx.finditer(text)]
    tok = pd.DataFrame(rows, columns=["item_id", "tok_start", "tok_end"])
    tok["token"] = tok.groupby("item_id", sort=False).cumcount()
    return tok


def span_tokens(spans: pd.DataFrame, tokens: pd.DataFrame) -> pd.DataFrame:
    """One row per (span, overlapped token): ``item_id, annotator_id, label, token``.

    A token overlaps ``[start, end)`` when ``tok_start < end`` and ``tok_end > start`` (this is
    ``bratiaa.utils.TokenOverlap.overlapping_tokens``). Vectorised: items are laid end to end on one axis."""
    items = pd.Index(pd.unique(tokens["item_id"]))
    tc = items.get_indexer(tokens["item_id"])
    span_len = max(float(spans["end"].max()) if len(spans) else 0.0, float(tokens["tok_end"].max()) if len(tokens) else 0.0)
    off = span_len + 1
    ts = tc * off + tokens["tok_start"].to_numpy(float)
    te = tc * off + tokens["tok_end"].to_numpy(float)
    order = np.argsort(ts, kind="stable")
    ts, te = ts[order], te[order]
    tok_id = tokens["token"].to_numpy()[order]
    sc = items.get_indexer(spans["item_id"])
    ok = sc >= 0
    sp = spans[ok]
    ss = sc[ok] * off + sp["start"].to_numpy(float)
    se = sc[ok] * off + sp["end"].to_numpy(float)
    first = np.searchsorted(te, ss, side="right")  # first token ending after the span starts
    last = np.searchsorted(ts, se, side="left")  # one past the last token starting before the span ends
    cnt = np.clip(last - first, 0, None)
    rep = np.repeat(np.arange(len(sp)), cnt)
    offs = np.cumsum(cnt) - cnt
    pos = np.repeat(first, cnt) + (np.arange(int(cnt.sum())) - np.repeat(offs, cnt))
    return pd.DataFrame({"item_id": sp["item_id"].to_numpy()[rep], "annotator_id": sp["annotator_id"].to_numpy()[rep],
                         "label": sp["label"].to_numpy()[rep], "token": tok_id[pos]})
