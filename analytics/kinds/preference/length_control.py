"""Length-controlled preference: a logistic model of the choice on the compared objects and the length difference.

Issue 12 asks for "length (share preferring the longer response; logistic regression with a length-controlled
preference, as AlpacaEval's length-controlled win rate does)" and, in the file CLI's ``length_bias``, "the
logistic slope of choice on log length ratio". Both are fitted here on the non-tie verdicts of pairs whose two
lengths are known and positive, with ``x = log(len_a / len_b)`` and ``y = 1`` when the verdict is ``a``:

* **Slope** (:func:`length_slope`): ``logit P(a) = b0 + b1 x`` per group; ``logistic_slope`` = ``b1`` with its
  Wald 95% interval and p-value (``b1 > 0``: the longer response is preferred; ``exp(b1 log 2)`` is the odds
  ratio of a response twice as long).
* **Length-controlled scores** (:func:`length_controlled`): ``logit P(a) = theta[obj_a] - theta[obj_b] + beta x``
  (a Bradley-Terry logistic model with a length term; one object's ``theta`` fixed at 0, then centred to mean 0).
  As in AlpacaEval 2.0's length-controlled win rate (Dubois et al. 2024, "Length-Controlled AlpacaEval"), the
  controlled win rate is the model's prediction with the length term set to zero: ``lc_win_rate[i]`` = the mean
  over the other objects ``j`` of ``sigmoid(theta_i - theta_j)``, with a delta-method 95% interval from the
  fit's covariance. Beside it the ``raw_win_rate`` (share of the object's non-tie verdicts it won, Wilson
  interval) and ``length_beta`` (the length coefficient once identity is controlled, interval, p). AlpacaEval
  uses ``tanh`` of the standardised length difference; the issue's log ratio is used here.

The fit is Newton-Raphson (IRLS) on grouped binomial counts (one row per pair: ``n_a`` of ``n_a + n_b``), which is
what ``sql/preference_length_units.sql`` returns, so the file and the database paths fit the same model;
``tests/test_preference_length_control.py`` checks it against ``statsmodels`` ``Logit`` on one row a verdict.
A fit that does not converge (separation: one object always wins) gives NaN with a ``reason``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.kinds.preference._boot import by_list, group_codes
from analytics.kinds.preference.shapes import check_judgments, check_pairs
from analytics.metrics.results import wilson_interval

__all__ = ["logit_fit", "length_units", "length_slope", "length_slope_from_units", "length_controlled",
           "length_controlled_from_units"]

_Z = stats.norm.ppf(0.975)
SLOPE_COLS = ["logistic_slope", "slope_ci_low", "slope_ci_high", "slope_p_value", "slope_n", "slope_reason"]
LC_COLS = ["object", "lc_score", "lc_score_ci_low", "lc_score_ci_high", "lc_win_rate", "lc_ci_low", "lc_ci_high",
           "raw_win_rate", "raw_ci_low", "raw_ci_high", "wins", "losses", "n", "length_beta", "length_beta_ci_low",
           "length_beta_ci_high", "length_beta_p_value", "n_verdicts", "reason"]


def logit_fit(X: np.ndarray, k: np.ndarray, n: np.ndarray, max_iter: int = 100, tol: float = 1e-10):
    """Maximum-likelihood logistic regression on grouped counts (``k`` successes of ``n`` per row of ``X``).

    Returns ``(coef, cov, converged)``; ``cov`` is the inverse observed information (the Wald covariance).
    """
    X = np.asarray(X, dtype=float)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    b = np.zeros(X.shape[1])
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(X @ b)))
        w = n * p * (1 - p)
        H = X.T @ (X * w[:, None])
        g = X.T @ (k - n * p)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return np.full_like(b, np.nan), np.full((len(b), len(b)), np.nan), False
        b = b + step
        if not np.all(np.isfinite(b)) or np.max(np.abs(b)) > 50:
            return np.full_like(b, np.nan), np.full((len(b), len(b)), np.nan), False
        if np.max(np.abs(step)) < tol:
            p = 1.0 / (1.0 + np.exp(-(X @ b)))
            H = X.T @ (X * (n * p * (1 - p))[:, None])
            try:
                return b, np.linalg.inv(H), True
            except np.linalg.LinAlgError:
                return b, np.full((len(b), len(b)), np.nan), False
    return np.full_like(b, np.nan), np.full((len(b), len(b)), np.nan), False


def length_units(judgments: pd.DataFrame, pairs: pd.DataFrame, by=None) -> pd.DataFrame:
    """Per (group, pair): ``response_a, response_b, len_a, len_b, n_a, n_b`` from the non-tie verdicts (the
    frame ``sql/preference_length_units.sql`` returns; ``group`` column with ``by``)."""
    j = check_judgments(judgments)
    p = check_pairs(pairs, allow_identical=True).drop_duplicates("pair_id").set_index("pair_id")
    if "len_a" not in p.columns:
        raise ValueError("the length-controlled preference needs len_a, len_b (or text_a, text_b) in the pairs")
    by_cols = by_list(by)
    j = j[j["choice"] != "tie"]
    g, keys = group_codes(j, by_cols)
    f = pd.DataFrame({"_g": g, "pair_id": j["pair_id"].to_numpy(), "a": (j["choice"] == "a").to_numpy(int)})
    u = f.groupby(["_g", "pair_id"], sort=True).agg(n_a=("a", "sum"), n=("a", "size")).reset_index()
    u["n_b"] = u["n"] - u["n_a"]
    for c in ("response_a", "response_b", "len_a", "len_b"):
        u[c] = p[c].reindex(u["pair_id"]).to_numpy() if c in p.columns else None
    if by_cols:
        u["group"] = keys.iloc[u["_g"].to_numpy(), 0].to_numpy() if len(keys.columns) == 1 else \
            [tuple(r) for r in keys.iloc[u["_g"].to_numpy()].itertuples(index=False)]
    return u.drop(columns=["_g", "n"])


def _usable(u: pd.DataFrame) -> pd.DataFrame:
    la = pd.to_numeric(u["len_a"], errors="coerce").to_numpy(float)
    lb = pd.to_numeric(u["len_b"], errors="coerce").to_numpy(float)
    ok = np.isfinite(la) & np.isfinite(lb) & (la > 0) & (lb > 0) & ((u["n_a"] + u["n_b"]).to_numpy() > 0)
    return u[ok].assign(x=np.log(la[ok] / lb[ok]))


def _groups(u: pd.DataFrame):
    if "group" in u.columns:
        for g, part in u.groupby("group", sort=True):
            yield g, part
    else:
        yield None, u


def _wald(b, se):
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * stats.norm.sf(np.abs(b / se))
    return b - _Z * se, b + _Z * se, p


def length_slope_from_units(units: pd.DataFrame) -> pd.DataFrame:
    """``logit P(a) = b0 + b1 log(len_a/len_b)`` per group: :data:`SLOPE_COLS` (+ ``group``)."""
    rows = []
    for g, part in _groups(_usable(units)):
        k, n = part["n_a"].to_numpy(float), (part["n_a"] + part["n_b"]).to_numpy(float)
        row = {} if g is None else {"group": g}
        if len(part) < 3 or np.ptp(part["x"].to_numpy()) == 0:
            b, cov, ok, why = np.full(2, np.nan), np.full((2, 2), np.nan), False, "fewer than 3 pairs with different lengths"
        else:
            b, cov, ok = logit_fit(np.column_stack([np.ones(len(part)), part["x"]]), k, n)
            why = None if ok else "the logistic fit did not converge (separation)"
        se = np.sqrt(cov[1, 1]) if ok else np.nan
        lo, hi, p = _wald(b[1], se)
        row.update(logistic_slope=b[1], slope_ci_low=lo, slope_ci_high=hi, slope_p_value=p, slope_n=int(n.sum()),
                   slope_reason=why)
        rows.append(row)
    if not rows and "group" not in units.columns:
        rows.append({c: np.nan for c in SLOPE_COLS} | {"slope_n": 0, "slope_reason": "no non-tie verdict of a pair "
                                                                                      "with two known lengths"})
    return pd.DataFrame(rows, columns=(["group"] if "group" in units.columns else []) + SLOPE_COLS)


def length_slope(judgments: pd.DataFrame, pairs: pd.DataFrame, by=None) -> pd.DataFrame:
    """The slope of the choice on the log length ratio per group (file path of :func:`length_slope_from_units`)."""
    return length_slope_from_units(length_units(judgments, pairs, by))


def _controlled_one(part: pd.DataFrame) -> pd.DataFrame:
    ra, rb = part["response_a"].astype(str).to_numpy(), part["response_b"].astype(str).to_numpy()
    objects = np.array(sorted(set(ra) | set(rb)), dtype=object)
    K = len(objects)
    ia, ib = np.searchsorted(objects, ra), np.searchsorted(objects, rb)
    k = part["n_a"].to_numpy(float)
    n = k + part["n_b"].to_numpy(float)
    raw_w = np.bincount(ia, weights=k, minlength=K) + np.bincount(ib, weights=n - k, minlength=K)
    raw_n = np.bincount(ia, weights=n, minlength=K) + np.bincount(ib, weights=n, minlength=K)
    rlo, rhi = wilson_interval(raw_w, raw_n)
    out = pd.DataFrame({"object": objects, "raw_win_rate": np.where(raw_n > 0, raw_w / np.maximum(raw_n, 1), np.nan),
                        "raw_ci_low": rlo, "raw_ci_high": rhi, "wins": raw_w.astype(np.int64),
                        "losses": (raw_n - raw_w).astype(np.int64), "n": raw_n.astype(np.int64),
                        "n_verdicts": int(n.sum())})
    D = np.zeros((len(part), K))
    np.add.at(D, (np.arange(len(part)), ia), 1.0)
    np.add.at(D, (np.arange(len(part)), ib), -1.0)
    X = np.column_stack([D[:, 1:], part["x"].to_numpy(float)])  # objects[0] is the reference (theta = 0)
    nan = np.full(K, np.nan)
    if K < 2:
        return out.assign(lc_score=nan, lc_score_ci_low=nan, lc_score_ci_high=nan, lc_win_rate=nan, lc_ci_low=nan,
                          lc_ci_high=nan, length_beta=np.nan, length_beta_ci_low=np.nan, length_beta_ci_high=np.nan,
                          length_beta_p_value=np.nan, reason="fewer than two compared objects")
    b, cov, ok = logit_fit(X, k, n) if np.linalg.matrix_rank(X) == X.shape[1] else (None, None, False)
    if not ok:
        return out.assign(lc_score=nan, lc_score_ci_low=nan, lc_score_ci_high=nan, lc_win_rate=nan, lc_ci_low=nan,
                          lc_ci_high=nan, length_beta=np.nan, length_beta_ci_low=np.nan, length_beta_ci_high=np.nan,
                          length_beta_p_value=np.nan,
                          reason="the logistic fit did not converge or is not identified (an object always wins, or "
                                 "the objects are not connected by compared pairs)")
    theta = np.concatenate([[0.0], b[:-1]])
    T = np.zeros((K, K - 1))  # theta = T @ free params
    T[1:, :] = np.eye(K - 1)
    C = np.eye(K) - 1.0 / K  # centring
    cov_t = T @ cov[:-1, :-1] @ T.T
    score = C @ theta
    se_s = np.sqrt(np.clip(np.diag(C @ cov_t @ C.T), 0, None))
    diff = theta[:, None] - theta[None, :]
    sig = 1 / (1 + np.exp(-diff))
    off = 1 - np.eye(K)
    wr = (sig * off).sum(1) / (K - 1)
    dsig = sig * (1 - sig) * off
    G = (np.diag(dsig.sum(1)) - dsig) / (K - 1)  # d wr_i / d theta_m
    se_w = np.sqrt(np.clip(np.diag(G @ cov_t @ G.T), 0, None))
    blo, bhi, bp = _wald(b[-1], np.sqrt(cov[-1, -1]))
    return out.assign(lc_score=score, lc_score_ci_low=score - _Z * se_s, lc_score_ci_high=score + _Z * se_s,
                      lc_win_rate=wr, lc_ci_low=np.clip(wr - _Z * se_w, 0, 1), lc_ci_high=np.clip(wr + _Z * se_w, 0, 1),
                      length_beta=b[-1], length_beta_ci_low=blo, length_beta_ci_high=bhi, length_beta_p_value=bp,
                      reason=None)


def length_controlled_from_units(units: pd.DataFrame) -> pd.DataFrame:
    """Length-controlled scores and win rates per group and object: :data:`LC_COLS` (+ ``group``)."""
    u = _usable(units)
    u = u[u["response_a"].notna() & u["response_b"].notna()]
    parts = []
    for g, part in _groups(u):
        one = _controlled_one(part)
        parts.append(one if g is None else one.assign(group=g))
    cols = (["group"] if "group" in units.columns else []) + LC_COLS
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def length_controlled(judgments: pd.DataFrame, pairs: pd.DataFrame, by=None) -> pd.DataFrame:
    """File path of :func:`length_controlled_from_units` (the pairs need ``response_a, response_b``)."""
    return length_controlled_from_units(length_units(judgments, pairs, by))
