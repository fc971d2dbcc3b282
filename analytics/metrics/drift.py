"""Weekly quality series, per-annotator accuracy drift and week-over-week label-distribution shift (pure
statistics over small count frames; the database path is :mod:`analytics.sources.drift_db`).

Weeks start on Monday (SQL ``date_trunc('week', created_at)``; pandas ``to_period('W-SUN').start_time``) and
are returned as ``datetime64`` Mondays in a column ``week``. Proportions are fractions in [0, 1].

Inputs are per-(week, annotator) gold counts or peer-agreement sums and per-(week, label) counts with the
item-level sums the cluster correction needs (as ``sql/drift_*.sql`` returns them, or built from annotation frames
by ``weekly_accuracy`` / ``label_counts``). All computations are grouped numpy/pandas operations over annotators
(no loop per annotator or week).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import check_annotations, require_columns
from analytics.metrics.results import SMALL_N, NoData, wilson_interval

__all__ = [
    "week_of",
    "weekly_series",
    "weekly_accuracy",
    "annotator_drift",
    "control_limits",
    "label_counts",
    "label_shift",
    "PSI_EPS",
    "PSI_MODERATE",
]

WEEKLY_BY = (None, "annotator_id", "team")
PSI_EPS = 1e-4       # proportion used for a label absent in one of the two weeks (keeps log finite)
PSI_MODERATE = 0.1   # PSI >= 0.1: "moderate shift", >= 0.25: "major" (Siddiqi 2006, Credit Risk Scorecards, ch. 8)


def _reasons(values, index=None) -> pd.Series:
    """A ``reason`` column: text where a value is undefined, ``None`` elsewhere (object dtype, so pandas does not
    turn ``None`` into NaN)."""
    arr = np.asarray(values, dtype=object)
    return pd.Series(arr, index=index, dtype=object).where(pd.notna(arr), None)


def week_of(timestamps: pd.Series) -> pd.Series:
    """Monday of each timestamp's ISO week (same as SQL ``CAST(date_trunc('week', ts) AS DATE)``)."""
    ts = pd.to_datetime(timestamps)
    return ts.dt.to_period("W-SUN").dt.start_time.astype("datetime64[ns]")


def _as_week(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).astype("datetime64[ns]")


def _by_cols(by: str | Iterable[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def weekly_series(counts: pd.DataFrame, success_col: str = "correct", n_col: str = "n",
                  by: str | list[str] | None = None, value_name: str = "accuracy", fill_weeks: bool = True,
                  small_n: int = SMALL_N) -> pd.DataFrame:
    """A weekly proportion series from counts: sums ``success_col`` and ``n_col`` per ``week`` (x ``by``), then
    ``value_name`` = successes / n with a Wilson 95% interval (``ci_low``, ``ci_high``).

    ``fill_weeks`` adds every Monday between the first and last week (for every group) with n = 0, so gaps are
    visible; there ``value_name`` is NaN and ``reason`` says so. ``small_sample`` is ``n < small_n``.
    Columns: ``week, <by...>, <success_col>, n, <value_name>, ci_low, ci_high, small_sample, reason``.
    """
    keys = _by_cols(by)
    require_columns(counts, ("week", success_col, n_col, *keys), "counts")
    d = counts[["week", *keys, success_col, n_col]].copy()
    d["week"] = _as_week(d["week"])
    agg = d.groupby(["week", *keys], sort=True, dropna=False)[[success_col, n_col]].sum()
    if fill_weeks and len(agg):
        weeks = pd.date_range(agg.index.get_level_values("week").min(), agg.index.get_level_values("week").max(),
                              freq="7D")
        if keys:
            groups = agg.index.droplevel("week").unique().to_frame(index=False)
            full = pd.MultiIndex.from_frame(pd.DataFrame({"week": weeks}).merge(groups, how="cross"))
        else:
            full = pd.Index(weeks, name="week")
        agg = agg.reindex(full, fill_value=0)
    out = agg.reset_index().rename(columns={n_col: "n"})
    s = out[success_col].to_numpy(float)
    n = out["n"].to_numpy(float)
    low, high = wilson_interval(s, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[value_name] = np.where(n > 0, s / n, np.nan)
    out["ci_low"], out["ci_high"] = low, high
    if np.all(np.mod(s, 1) == 0):  # counts stay integers; a fractional success sum (agreement) stays float
        out[success_col] = out[success_col].astype(np.int64)
    out["n"] = out["n"].astype(np.int64)
    out["small_sample"] = n < small_n
    out["reason"] = _reasons(np.where(n > 0, None, "no gold-scored annotations this week"), out.index)
    return out.sort_values([*keys, "week"], kind="stable").reset_index(drop=True)


def weekly_accuracy(df: pd.DataFrame, gold: pd.DataFrame, by: str | None = None, fill_weeks: bool = True) -> pd.DataFrame:
    """Weekly accuracy against gold from a long frame (the DataFrame twin of ``weekly_accuracy_from_db``).

    ``df``: ``item_id, annotator_id, label`` and ``week`` or ``created_at`` (+ ``team`` when ``by='team'``);
    ``gold``: ``item_id, label`` (one row per item). Every annotation of a gold item is scored.
    """
    if by not in WEEKLY_BY:
        raise ValueError(f"by must be one of None, 'annotator_id', 'team'; got {by!r}")
    df = check_annotations(df, extra=[by] if by == "team" else [])
    require_columns(gold, ("item_id", "label"), "gold")
    if "week" not in df.columns:
        require_columns(df, ("created_at",), "annotations (need week or created_at)")
        df = df.assign(week=week_of(df["created_at"]))
    g = df["item_id"].map(gold.drop_duplicates("item_id").set_index("item_id")["label"])
    scored = df[g.notna()].assign(correct=(df["label"] == g)[g.notna()].astype(np.int64), n=1)
    return weekly_series(scored, by=by, fill_weeks=fill_weeks)


# --------------------------------------------------------------------------------------------------------------
# Per-annotator drift
# --------------------------------------------------------------------------------------------------------------
def _newcombe_diff(x1, n1, x2, n2):
    """95% interval of p1 - p2 by Newcombe's hybrid score method (Newcombe 1998, method 10) from Wilson limits."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1)
    l2, u2 = wilson_interval(x2, n2)
    d = p1 - p2
    return d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def annotator_drift(weekly: pd.DataFrame, baseline_weeks: int = 8, alpha: float = 0.01, min_n: int = 20,
                    recent_weeks: int | None = None, correction: str = "none",
                    success_col: str | None = None) -> pd.DataFrame:
    """Which annotators are now less accurate than their own baseline, and since when.

    ``weekly``: ``week, annotator_id, correct, n`` (``weekly_accuracy_from_db(..., by='annotator_id')``), or
    ``week, annotator_id, agree, n`` (``weekly_agreement_from_db``); ``success_col`` picks the column (default
    ``correct`` if present, else ``agree``). ``baseline_acc``/``recent_acc`` are then accuracies or agreements.

    - Baseline: each annotator's first ``baseline_weeks`` weeks with gold-scored work (before the recent window).
    - Recent window: the last ``recent_weeks`` calendar weeks of the frame (default ``baseline_weeks``).
    - Test: one-sided pooled two-proportion z-test, H1 recent accuracy < baseline accuracy; ``p_value`` per
      annotator at level ``alpha`` (``correction='bonferroni'`` multiplies by the number of annotators tested).
      Annotators with fewer than ``min_n`` scored annotations in either window are not tested (``reason``);
      an annotator whose scored work is all in the recent window (``"no baseline weeks ..."``) or all before it
      (``"no recent weeks ..."``) gets ``drift = False``, NaN ``p_value`` and that reason.
    - Start of the drop (``drift`` rows only): Bernoulli CUSUM of the weekly deficit against the midpoint of the
      baseline and recent accuracies, ``C_t = sum_{s<=t} (k n_s - correct_s)`` with ``k = (p_base + p_recent)/2``
      (Page 1954); the change point is the week after the minimum of ``C`` preceding the CUSUM's maximum
      excursion ``C_t - min_{s<=t} C_s`` (Hinkley 1971's maximum-likelihood estimate for a single step change).

    Returns ``annotator_id, drift, start_week, baseline_acc, recent_acc, delta, delta_ci_low, delta_ci_high,
    p_value, n_baseline, n_recent, method, reason`` (delta = recent - baseline; Newcombe hybrid 95% interval),
    sorted by ``p_value``.
    """
    if success_col is None:
        success_col = "correct" if "correct" in weekly.columns or "agree" not in weekly.columns else "agree"
    require_columns(weekly, ("week", "annotator_id", success_col, "n"), "weekly")
    if baseline_weeks < 1:
        raise ValueError("baseline_weeks must be at least 1")
    recent_weeks = baseline_weeks if recent_weeks is None else int(recent_weeks)
    if recent_weeks < 1:
        raise ValueError("recent_weeks must be at least 1")
    if correction not in ("none", "bonferroni"):
        raise ValueError(f"correction must be 'none' or 'bonferroni'; got {correction!r}")
    w = weekly[["week", "annotator_id", success_col, "n"]].rename(columns={success_col: "correct"})
    w["week"] = _as_week(w["week"])
    w = w.groupby(["annotator_id", "week"], sort=True)[["correct", "n"]].sum().reset_index()
    w = w[w["n"] > 0].reset_index(drop=True)
    if w.empty:
        raise NoData("weekly has no gold-scored annotations")
    last = w["week"].max()
    recent_start = last - pd.Timedelta(weeks=recent_weeks - 1)
    w["recent"] = w["week"] >= recent_start
    w["pos"] = w.groupby("annotator_id").cumcount()
    w["baseline"] = (~w["recent"]) & (w["pos"] < baseline_weeks)
    g = w.assign(bc=w["correct"] * w["baseline"], bn=w["n"] * w["baseline"],
                 rc=w["correct"] * w["recent"], rn=w["n"] * w["recent"]).groupby("annotator_id", sort=True)
    t = g[["bc", "bn", "rc", "rn"]].sum().astype(float)
    bc, bn, rc, rn = (t[c].to_numpy() for c in ("bc", "bn", "rc", "rn"))
    with np.errstate(invalid="ignore", divide="ignore"):
        pb, pr = bc / bn, rc / rn
        pooled = (bc + rc) / (bn + rn)
        se = np.sqrt(pooled * (1 - pooled) * (1 / bn + 1 / rn))
        z = np.where(se > 0, (pb - pr) / se, 0.0)
        dlow, dhigh = _newcombe_diff(rc, rn, bc, bn)
    tested = (bn >= min_n) & (rn >= min_n)
    p = np.where(tested, stats.norm.sf(z), np.nan)
    m = int(tested.sum()) if correction == "bonferroni" else 1
    p_decide = np.minimum(p * max(m, 1), 1.0)
    drift = tested & (p_decide < alpha) & (pr < pb)

    # CUSUM change point, one grouped pass over all annotators (the Lindley recursion
    # S_t = max(0, S_{t-1} + d_t) equals C_t - min(0, min_{s<=t} C_s)).
    # An annotator with no baseline or no recent weeks has no reference accuracy; a finite placeholder keeps the
    # grouped CUSUM free of NaN (idxmax fails on an all-NaN group). Such annotators are never tested, so their
    # change point is never reported.
    k_ref = pd.Series(np.where(np.isfinite(pb) & np.isfinite(pr), (pb + pr) / 2, 0.0), index=t.index)
    d = k_ref.reindex(w["annotator_id"]).to_numpy() * w["n"].to_numpy() - w["correct"].to_numpy()
    w["C"] = pd.Series(d).groupby(w["annotator_id"]).cumsum().to_numpy()
    run_min = np.minimum(w.groupby("annotator_id")["C"].cummin().to_numpy(), 0.0)
    w["S"] = w["C"] - run_min
    top = w.groupby("annotator_id")["S"].idxmax()                      # row of the maximum excursion
    w["upto"] = w.index.to_numpy() <= top.reindex(w["annotator_id"]).to_numpy()
    pre = w[w["upto"]]
    # the last minimum of C before the maximum (ties: the later one, where the excursion starts)
    rev = pre.iloc[::-1]
    at_min = rev.groupby("annotator_id")["C"].idxmin()
    min_c = pre.groupby("annotator_id")["C"].min()
    start_pos = np.where(min_c.reindex(t.index).to_numpy() >= 0, 0,
                         w.loc[at_min.reindex(t.index).fillna(0).astype(int), "pos"].to_numpy() + 1)
    week_at = w.set_index(["annotator_id", "pos"])["week"]
    n_rows = w.groupby("annotator_id").size().reindex(t.index).to_numpy()
    start_pos = np.minimum(start_pos, n_rows - 1)
    start = week_at.reindex(pd.MultiIndex.from_arrays([t.index, start_pos])).to_numpy()
    start = np.where(drift, start, np.datetime64("NaT"))

    reason = np.full(len(t), None, dtype=object)
    reason[~tested] = f"fewer than {min_n} gold-scored annotations in the baseline or recent window"
    reason[rn == 0] = "no recent weeks: no gold-scored annotations in the recent window"
    reason[bn == 0] = "no baseline weeks: no gold-scored annotations before the recent window"
    method = (f"one-sided two-proportion z-test, last {recent_weeks} weeks vs the annotator's first "
              f"{baseline_weeks} weeks, alpha {alpha}" + (", Bonferroni" if correction == "bonferroni" else "")
              + "; start by Bernoulli CUSUM (Page 1954; Hinkley 1971)")
    out = pd.DataFrame({
        "annotator_id": t.index.to_numpy(),
        "drift": drift,
        "start_week": pd.to_datetime(start),
        "baseline_acc": pb,
        "recent_acc": pr,
        "delta": pr - pb,
        "delta_ci_low": dlow,
        "delta_ci_high": dhigh,
        "p_value": p_decide if correction == "bonferroni" else p,
        "n_baseline": bn.astype(np.int64),
        "n_recent": rn.astype(np.int64),
        "method": method,
        "reason": _reasons(reason),
    })
    return out.sort_values(["p_value", "annotator_id"], kind="stable", na_position="last").reset_index(drop=True)


def control_limits(baseline_rate, n, sigmas: float = 3.0):
    """Shewhart p-chart control limits for a weekly proportion (accuracy) around a baseline rate.

    ``low, high = p0 -+ sigmas * sqrt(p0 (1 - p0) / n)``, clipped to [0, 1] (Montgomery, *Introduction to
    Statistical Quality Control*, 7th ed., section 7.2.1, the p chart with variable sample size). ``p0`` is the
    baseline proportion (fraction) and ``n`` each week's number of scored units; the limits are where that week's
    observed proportion falls with probability about 99.73% (``sigmas = 3``) if the annotator is still at
    baseline. This is the acceptance region of the observed proportion given ``p0``, which is what a control chart
    needs; a Wilson interval at 0.9973 answers the inverse question (plausible true rates given an observed one)
    and is not used. At ``p0`` = 0 or 1 the limits collapse onto ``p0`` (any deviation is out of control).

    Vectorised over ``n`` (and ``p0``). Returns ``(low, high)`` as floats for scalar input, arrays otherwise; NaN
    where ``n <= 0`` or ``p0`` is NaN.
    """
    p0 = np.asarray(baseline_rate, dtype=float)
    nn = np.asarray(n, dtype=float)
    if np.any((p0 < 0) | (p0 > 1)):
        raise ValueError("baseline_rate must be a proportion in [0, 1]")
    if not sigmas > 0:
        raise ValueError(f"sigmas must be positive; got {sigmas!r}")
    with np.errstate(invalid="ignore", divide="ignore"):
        half = sigmas * np.sqrt(p0 * (1 - p0) / nn)
        ok = (nn > 0) & np.isfinite(p0)
        low = np.where(ok, np.clip(p0 - half, 0.0, 1.0), np.nan)
        high = np.where(ok, np.clip(p0 + half, 0.0, 1.0), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


# --------------------------------------------------------------------------------------------------------------
# Label-distribution shift
# --------------------------------------------------------------------------------------------------------------
def label_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Per (week, label) counts from a long frame with ``week`` or ``created_at`` (the DataFrame twin of
    ``sql/drift_label_counts.sql``): ``week, label, n, sum_sq, sum_cross`` where, with y = an item's annotations
    with that label that week and m = all its annotations that week, ``sum_sq`` = sum over items of y^2 and
    ``sum_cross`` = sum over items of y m (what the Rao-Scott correction in ``label_shift`` needs)."""
    df = check_annotations(df)
    if "week" not in df.columns:
        require_columns(df, ("created_at",), "annotations (need week or created_at)")
        df = df.assign(week=week_of(df["created_at"]))
    d = pd.DataFrame({"week": _as_week(df["week"]).to_numpy(), "item_id": df["item_id"].to_numpy(),
                      "label": df["label"].to_numpy()})
    y = d.groupby(["week", "item_id", "label"], sort=False).size().rename("y").reset_index()
    m = d.groupby(["week", "item_id"], sort=False).size().rename("m")
    y = y.join(m, on=["week", "item_id"])
    y["sum_sq"] = y["y"] * y["y"]
    y["sum_cross"] = y["y"] * y["m"]
    out = y.groupby(["week", "label"], sort=True)[["y", "sum_sq", "sum_cross"]].sum().rename(columns={"y": "n"})
    return out.reset_index()


def label_shift(counts: pd.DataFrame, reference: str = "previous", alpha: float = 0.01,
                psi_threshold: float = PSI_MODERATE, eps: float = PSI_EPS) -> pd.DataFrame:
    """Has the label distribution changed from one week to the next?

    ``counts``: ``week, label, n`` (+ ``sum_sq, sum_cross`` from ``label_counts`` / the SQL, for the cluster
    correction). For each week t compared with its reference week (``'previous'`` week with data, or the
    ``'first'`` week):

    - ``chi2``, ``dof``: Pearson chi-square statistic of homogeneity on the 2 x K table of annotation counts (no
      continuity correction; labels absent from both weeks dropped; dof = K - 1), the same number as
      ``scipy.stats.chi2_contingency(table, correction=False)``;
    - ``deff``, ``chi2_adj``, ``p_value``: annotations of one item are not independent (several annotators give
      the same item mostly the same label), which inflates chi2 by roughly the number of annotations per item.
      First-order Rao-Scott correction (Rao & Scott, JASA 76, 1981): ``chi2_adj = chi2 / deff`` with
      ``deff = sum_k (1 - p_k) d_k / (K - 1)``, where ``d_k`` is the design effect of label k's pooled share with
      items as clusters, ``d_k = sum_i (y_ik - p_k m_i)^2 / (N p_k (1 - p_k))``. ``p_value`` is from
      ``chi2_adj`` on ``dof``. Without ``sum_sq``/``sum_cross`` columns ``deff = 1`` (independent annotations);
    - ``cramers_v`` = sqrt(chi2_adj / N): effect size, since with thousands of annotations a tiny change is
      "significant";
    - ``psi``: Population Stability Index ``sum_k (q_k - r_k) ln(q_k / r_k)`` of this week's label shares q
      against the reference's r, with a share of exactly 0 replaced by ``eps`` (1e-4) so an empty label adds a
      finite, large term instead of infinity;
    - ``flagged``: ``p_value < alpha`` and ``psi >= psi_threshold`` (0.1 = "moderate shift", Siddiqi 2006).

    Columns ``week, reference_week, n, n_reference, chi2, dof, deff, chi2_adj, p_value, cramers_v, psi, flagged,
    reason``.
    """
    require_columns(counts, ("week", "label", "n"), "counts")
    if reference not in ("previous", "first"):
        raise ValueError(f"reference must be 'previous' or 'first'; got {reference!r}")
    cols = ["week", "reference_week", "n", "n_reference", "chi2", "dof", "deff", "chi2_adj", "p_value",
            "cramers_v", "psi", "flagged", "reason"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    clustered = "sum_sq" in counts.columns and "sum_cross" in counts.columns
    d = counts.assign(week=_as_week(counts["week"]))
    if not clustered:  # independent annotations: every annotation its own cluster (y = m = 1)
        d = d.assign(sum_sq=d["n"], sum_cross=d["n"])
    piv = d.pivot_table(index="week", columns="label", values=["n", "sum_sq", "sum_cross"], aggfunc="sum",
                        fill_value=0).sort_index()
    keep = piv["n"].sum(axis=1).to_numpy() > 0
    piv = piv[keep]
    weeks = piv.index
    if len(weeks) < 2:
        return pd.DataFrame(columns=cols)
    x, y2, ym = (piv[v].to_numpy(float) for v in ("n", "sum_sq", "sum_cross"))

    def pairs(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cur = a[1:]
        ref = a[:-1] if reference == "previous" else np.repeat(a[:1], len(cur), axis=0)
        return cur, ref

    (cur, ref), (y2c, y2r), (ymc, ymr) = pairs(x), pairs(y2), pairs(ym)
    ref_week = weeks[:-1] if reference == "previous" else np.repeat(weeks[:1], len(cur))
    n_cur, n_ref = cur.sum(axis=1, keepdims=True), ref.sum(axis=1, keepdims=True)
    col = cur + ref
    total = n_cur + n_ref
    e_cur, e_ref = n_cur * col / total, n_ref * col / total
    used = col > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(used, (cur - e_cur) ** 2 / e_cur + (ref - e_ref) ** 2 / e_ref, 0.0)
        chi2 = terms.sum(axis=1)
        dof = used.sum(axis=1) - 1
        # Rao-Scott: cell design effects of the pooled shares, items as clusters (sum_k y_ik m_i = m_i^2).
        p_k = col / total
        m2 = (ymc + ymr).sum(axis=1, keepdims=True)
        ss = (y2c + y2r) - 2 * p_k * (ymc + ymr) + p_k ** 2 * m2
        d_k = np.where(used & (p_k < 1), ss / (total * p_k * (1 - p_k)), 0.0)
        deff = np.where(dof > 0, ((1 - p_k) * d_k).sum(axis=1) / np.maximum(dof, 1), 1.0)
        chi2_adj = chi2 / deff
    p = np.where(dof > 0, stats.chi2.sf(chi2_adj, np.maximum(dof, 1)), np.nan)
    q = np.where(cur > 0, cur / n_cur, eps)
    r = np.where(ref > 0, ref / n_ref, eps)
    psi = np.where(used, (q - r) * np.log(q / r), 0.0).sum(axis=1)
    reason = np.where(dof > 0, None, "a single label in both weeks: nothing to compare")
    return pd.DataFrame({
        "week": weeks[1:],
        "reference_week": pd.to_datetime(ref_week),
        "n": n_cur.ravel().astype(np.int64),
        "n_reference": n_ref.ravel().astype(np.int64),
        "chi2": chi2,
        "dof": dof.astype(np.int64),
        "deff": deff,
        "chi2_adj": chi2_adj,
        "p_value": p,
        "cramers_v": np.sqrt(chi2_adj / total.ravel()),
        "psi": psi,
        "flagged": (p < alpha) & (psi >= psi_threshold),
        "reason": _reasons(reason),
    })[cols]


