"""Position and length bias of preference judges, each share with n, a Wilson interval and an exact p-value.

* Position (``share_first``): among non-tie judgments with ``shown_first``, the share that chose the response
  shown first; H0 share = 0.5, exact two-sided binomial p-value. AlpacaEval reports P(prefer first) = 0.52 for
  its human annotators (alpaca_eval README, annotator comparison table, as quoted in issue 12; not re-checked here).
* Length (``share_longer``): among non-tie judgments of pairs whose two lengths differ, the share that chose the
  longer response; AlpacaEval reports P(prefer longer) = 0.64 for humans (same source).
* Per judge: both tests per ``annotator_id`` with Holm's (1979) step-down correction of the p-values.

The exact two-sided binomial p-value at p0 = 0.5 is ``min(1, 2 min(P(X <= k), P(X >= k)))``: the distribution is
symmetric, so this equals ``scipy.stats.binomtest(k, n).pvalue`` (the "minlike" rule), vectorised here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.metrics.results import wilson_interval
from analytics.kinds.preference._boot import by_list, group_codes, known
from analytics.kinds.preference.shapes import check_judgments, check_pairs

__all__ = ["binom_p_half", "holm", "shares_from_counts", "position_bias", "length_bias", "judge_bias"]

_COLS = ("share", "ci_low", "ci_high", "n", "successes", "p_value", "reason")


def binom_p_half(k, n) -> np.ndarray:
    """Exact two-sided binomial p-value of ``k`` successes in ``n`` trials under p = 0.5 (vectorised)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    lo = stats.binom.cdf(k, n, 0.5)
    hi = stats.binom.sf(k - 1, n, 0.5)
    return np.where(n > 0, np.minimum(1.0, 2 * np.minimum(lo, hi)), np.nan)


def holm(p) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (NaN entries are left out and stay NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def _shares(success: np.ndarray, g: np.ndarray, keys: pd.DataFrame, why: str) -> pd.DataFrame:
    n = np.bincount(g, minlength=len(keys)).astype(np.int64)
    k = np.bincount(g, weights=success.astype(float), minlength=len(keys)).astype(np.int64)
    return shares_from_counts(k, n, keys, why)


def shares_from_counts(k, n, keys: pd.DataFrame, why: str) -> pd.DataFrame:
    """``keys`` + share columns from ``k`` successes in ``n`` trials per group (file and database paths)."""
    k = np.asarray(k, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    lo, hi = wilson_interval(k, n)
    f = keys.copy().reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        f["share"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    f["ci_low"], f["ci_high"], f["n"], f["successes"] = np.atleast_1d(lo), np.atleast_1d(hi), n, k
    f["p_value"] = binom_p_half(k, n)
    f["reason"] = np.where(n > 0, None, why)
    return f


def position_bias(judgments: pd.DataFrame, by=None) -> pd.DataFrame:
    """Share choosing the first-shown response among non-tie judgments with a position, per group."""
    j = check_judgments(judgments)
    by_cols = by_list(by)
    if "shown_first" not in j.columns:
        raise ValueError("position bias needs the column 'shown_first' (a or b)")
    g_all, keys = group_codes(j, by_cols)
    use = (j["choice"] != "tie").to_numpy() & j["shown_first"].notna().to_numpy()
    succ = (j["choice"] == j["shown_first"]).to_numpy()[use]
    return _shares(succ, g_all[use], keys, "no non-tie judgment with a position")


def length_bias(judgments: pd.DataFrame, pairs: pd.DataFrame, by=None) -> pd.DataFrame:
    """Share choosing the longer response among non-tie judgments of pairs with differing lengths, per group."""
    j = check_judgments(judgments)
    p = check_pairs(pairs, allow_identical=True)
    if "len_a" not in p.columns:
        raise ValueError("length bias needs len_a, len_b (or text_a, text_b) in the pairs")
    by_cols = by_list(by)
    g_all, keys = group_codes(j, by_cols)
    lens = p.set_index("pair_id")[["len_a", "len_b"]]
    unknown = ~known(j["pair_id"], lens.index)
    if unknown.any():
        pos = int(np.flatnonzero(unknown)[0])
        raise ValueError(f"judgments row {pos + 1}, column 'pair_id': {j['pair_id'].iloc[pos]!r} is not a known pair")
    la = lens["len_a"].reindex(j["pair_id"]).to_numpy()
    lb = lens["len_b"].reindex(j["pair_id"]).to_numpy()
    use = (j["choice"] != "tie").to_numpy() & np.isfinite(la) & np.isfinite(lb) & (la != lb)
    longer = np.where(lb > la, "b", "a")
    succ = (j["choice"].to_numpy() == longer)[use]
    return _shares(succ, g_all[use], keys, "no non-tie judgment of a pair with differing lengths")


def judge_bias(judgments: pd.DataFrame, pairs: pd.DataFrame | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Per-judge position (and, with pairs, length) tests with Holm-adjusted p-values and a ``flagged`` column.

    Long frame: ``annotator_id, test`` (``position`` / ``length``) + share columns + ``p_holm, flagged``
    (``p_holm < alpha``). Holm is applied within each test over the judges.
    """
    parts = []
    j = check_judgments(judgments)
    if "shown_first" in j.columns:
        parts.append(position_bias(j, by="annotator_id").assign(test="position"))
    if pairs is not None:
        parts.append(length_bias(j, pairs, by="annotator_id").assign(test="length"))
    if not parts:
        raise ValueError("judge bias needs 'shown_first' in the judgments or pairs with lengths")
    out = pd.concat(parts, ignore_index=True)
    out["p_holm"] = out.groupby("test")["p_value"].transform(lambda s: holm(s.to_numpy()))  # <= 2 groups
    out["flagged"] = out["p_holm"] < alpha
    return out
