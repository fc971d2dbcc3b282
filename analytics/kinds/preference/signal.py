"""How much signal the judgments carry: tie rate, similarity of the two responses, majority margin per pair.

* ``tie_rate``: share of tie judgments per group, Wilson 95% interval.
* ``token_jaccard``: ``|T_a & T_b| / |T_a | T_b|`` on the sets of lower-case word tokens (``\\w+``) of the two
  texts; 1 = the same words. Vectorised: one exploded (pair, side, token) frame, no loop over pairs.
* ``margins``: per unit (pair on a dimension) the majority (``a``/``b``/``tie``, or ``None`` when the top two
  counts are equal) and ``margin = |n_a - n_b| / n`` (the winning side's lead as a share of all votes).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.results import wilson_interval
from analytics.kinds.preference._boot import by_list, group_codes
from analytics.kinds.preference.agreement import unit_votes
from analytics.kinds.preference.shapes import check_judgments

__all__ = ["tie_rate", "token_jaccard", "margins"]


def tie_rate(judgments: pd.DataFrame, by=None) -> pd.DataFrame:
    j = check_judgments(judgments)
    g, keys = group_codes(j, by_list(by))
    n = np.bincount(g, minlength=len(keys))
    k = np.bincount(g, weights=(j["choice"] == "tie").to_numpy(float), minlength=len(keys)).astype(np.int64)
    lo, hi = wilson_interval(k, n)
    f = keys.copy().reset_index(drop=True)
    f["value"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    f["ci_low"], f["ci_high"], f["n"], f["ties"] = np.atleast_1d(lo), np.atleast_1d(hi), n, k
    return f


def token_jaccard(text_a: pd.Series, text_b: pd.Series) -> np.ndarray:
    """Token Jaccard similarity of aligned texts (NaN where either text is missing; 1 for two empty texts)."""
    a = pd.Series(text_a).reset_index(drop=True)
    b = pd.Series(text_b).reset_index(drop=True)
    n = len(a)
    long = pd.concat([a.astype("string").str.lower().str.findall(r"\w+").rename("tok").to_frame().assign(side=0),
                      b.astype("string").str.lower().str.findall(r"\w+").rename("tok").to_frame().assign(side=1)])
    long = long.rename_axis("row").reset_index().explode("tok").dropna(subset=["tok"])
    long = long.drop_duplicates(["row", "side", "tok"])
    per_tok = long.groupby(["row", "tok"], sort=False).size()
    rows = per_tok.index.get_level_values("row").to_numpy()
    inter = np.bincount(rows, weights=(per_tok.to_numpy() == 2).astype(float), minlength=n)
    union = np.bincount(rows, minlength=n).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / union, 1.0)
    return np.where(a.isna().to_numpy() | b.isna().to_numpy(), np.nan, sim)


def margins(judgments: pd.DataFrame, by=None) -> pd.DataFrame:
    """Per unit: ``n_a, n_b, n_tie, n, majority, margin`` (see module docstring)."""
    u = unit_votes(judgments, by)
    v = u[["n_a", "n_b", "n_tie"]].to_numpy()
    top = np.sort(v, axis=1)
    n = v.sum(1)
    u["n"] = n
    u["majority"] = np.where(top[:, 2] > top[:, 1], np.array(["a", "b", "tie"])[v.argmax(1)], None)
    u["margin"] = np.abs(v[:, 0] - v[:, 1]) / np.maximum(n, 1)
    return u
