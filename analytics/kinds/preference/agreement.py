"""Agreement among judges of pairwise preferences, each figure with n and a 95% bootstrap interval.

Input: the judgments shape (:mod:`.shapes`), ``pair_id, annotator_id, choice`` (+ ``dimension`` and grouping
columns). The *unit* is a pair on one dimension within a group. A judge who judged the same unit more than once
(e.g. in both orders) gives one vote there: the sign of their a-minus-b count (``a``, ``b``, or ``tie`` when
they tied or contradicted themselves), so the metrics below are agreement *between* judges.

Per unit ``u``: ``n_ua, n_ub, n_ut`` votes for a, b, tie; ``n_u`` their sum.

* ``percent_with_ties`` (MT-Bench, Zheng et al. 2023, "Judging LLM-as-a-judge", sec. 4.2 and its
  ``compute_agreement.py``): the share of agreeing pairs of votes among all pairs of votes on the same unit,
  pooled over units: ``sum_u sum_c C(n_uc, 2) / sum_u C(n_u, 2)`` with ``c`` in {a, b, tie}.
* ``percent_without_ties``: the same after dropping tie votes (``c`` in {a, b}, ``n_u = n_ua + n_ub``).
* ``fleiss_kappa`` (Fleiss 1971) on {a, b, tie}: ``(P - P_e) / (1 - P_e)``, ``P`` the mean over units with 2+
  votes of ``sum_c n_uc (n_uc - 1) / (n_u (n_u - 1))``, ``P_e = sum_c p_c^2``, ``p_c`` the mean over voted units
  of ``n_uc / n_u`` (with a constant number of votes this is ``statsmodels`` ``fleiss_kappa``).
* ``krippendorff_alpha`` (Krippendorff 2011, "Computing Krippendorff's alpha-reliability"): nominal on
  {a, b, tie}; with ``level='ordinal'`` on the graded ``strength`` values (ordinal distance
  ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2``).

Intervals: the cluster bootstrap over pairs of :mod:`._boot`. ``n`` counts units with 2+ votes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.preference._boot import N_BUCKETS, bootstrap_ci, by_list, group_codes, pair_bucket
from analytics.kinds.preference.shapes import check_judgments

__all__ = ["AGREEMENT_METRICS", "unit_votes", "agreement", "agreement_from_stats", "unit_stats"]

AGREEMENT_METRICS = ("percent_with_ties", "percent_without_ties", "fleiss_kappa", "krippendorff_alpha")
# columns of the additive per-(group, bucket) statistics
_STATS = ("agree_t", "pairs_t", "agree_nt", "pairs_nt", "fleiss_sum", "n_pairable", "prop_a", "prop_b",
          "prop_t", "n_voted", "o_a", "o_b", "o_t", "v_a", "v_b", "v_t", "n_judgments")
_RESULT_COLS = ("metric", "value", "ci_low", "ci_high", "n", "n_judgments", "reason")


def unit_votes(judgments: pd.DataFrame, by=None, checked: bool = False) -> pd.DataFrame:
    """One row per unit (``by`` columns, ``dimension``, ``pair_id``): ``n_a, n_b, n_tie, n_judgments``.

    A judge's repeated votes on a unit collapse to one (see module docstring); ``n_judgments`` counts the rows.
    """
    j = judgments if checked else check_judgments(judgments)
    keys = [*by_list(by), "dimension", "pair_id"]
    net = (j["choice"] == "a").astype(np.int64) - (j["choice"] == "b").astype(np.int64)
    per = (j.assign(_net=net.to_numpy(), _one=1)
           .groupby([*keys, "annotator_id"], sort=False, observed=True, dropna=False)
           .agg(_net=("_net", "sum"), _rows=("_one", "sum")).reset_index())
    sgn = np.sign(per["_net"].to_numpy())
    per = per.assign(n_a=(sgn > 0).astype(np.int64), n_b=(sgn < 0).astype(np.int64),
                     n_tie=(sgn == 0).astype(np.int64))
    units = (per.groupby(keys, sort=True, observed=True, dropna=False)
             .agg(n_a=("n_a", "sum"), n_b=("n_b", "sum"), n_tie=("n_tie", "sum"), n_judgments=("_rows", "sum"))
             .reset_index())
    return units


def _c2(x):
    return x * (x - 1) / 2.0


def unit_stats(units: pd.DataFrame) -> pd.DataFrame:
    """Per-unit additive statistics (columns ``_STATS``) of a :func:`unit_votes` frame."""
    a, b, t = (units[c].to_numpy(dtype=np.float64) for c in ("n_a", "n_b", "n_tie"))
    n = a + b + t
    nt = a + b
    pairable = n >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        fl = np.where(pairable, (a * (a - 1) + b * (b - 1) + t * (t - 1)) / (n * (n - 1)), 0.0)
        inv = np.where(pairable, 1.0 / (n - 1), 0.0)
        props = [np.where(n > 0, x / n, 0.0) for x in (a, b, t)]
    out = {
        "agree_t": _c2(a) + _c2(b) + _c2(t), "pairs_t": _c2(n),
        "agree_nt": _c2(a) + _c2(b), "pairs_nt": _c2(nt),
        "fleiss_sum": fl, "n_pairable": pairable.astype(float),
        "prop_a": props[0], "prop_b": props[1], "prop_t": props[2], "n_voted": (n > 0).astype(float),
        # Krippendorff coincidences on the diagonal and pairable values per category
        "o_a": a * (a - 1) * inv, "o_b": b * (b - 1) * inv, "o_t": t * (t - 1) * inv,
        "v_a": np.where(pairable, a, 0.0), "v_b": np.where(pairable, b, 0.0), "v_t": np.where(pairable, t, 0.0),
        "n_judgments": units["n_judgments"].to_numpy(dtype=np.float64),
    }
    return pd.DataFrame(out, index=units.index)


def _metric_fns():
    ix = {s: i for i, s in enumerate(_STATS)}

    def col(x, name):
        return x[..., ix[name]]

    def pct(agree, pairs):
        def f(x):
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(col(x, pairs) > 0, col(x, agree) / col(x, pairs), np.nan)
        return f

    def fleiss(x):
        with np.errstate(invalid="ignore", divide="ignore"):
            p_bar = col(x, "fleiss_sum") / col(x, "n_pairable")
            pc = np.stack([col(x, f"prop_{c}") for c in "abt"], -1) / col(x, "n_voted")[..., None]
            pe = (pc ** 2).sum(-1)
            k = (p_bar - pe) / (1 - pe)
        return np.where((col(x, "n_pairable") > 0) & (pe < 1 - 1e-12), k, np.nan)

    def kripp(x):
        v = np.stack([col(x, f"v_{c}") for c in "abt"], -1)
        n_all = v.sum(-1)
        d_o = n_all - (col(x, "o_a") + col(x, "o_b") + col(x, "o_t"))
        d_e = n_all ** 2 - (v ** 2).sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            al = 1 - (n_all - 1) * d_o / d_e
        return np.where(d_e > 1e-12, al, np.nan)

    return {"percent_with_ties": pct("agree_t", "pairs_t"), "percent_without_ties": pct("agree_nt", "pairs_nt"),
            "fleiss_kappa": fleiss, "krippendorff_alpha": kripp}


_FNS = _metric_fns()


def _undefined_reason(metric: str, tot: np.ndarray) -> str:
    ix = {s: i for i, s in enumerate(_STATS)}
    if metric == "percent_without_ties" and tot[ix["pairs_nt"]] == 0:
        return "no pair has two non-tie votes from different judges"
    if tot[ix["n_pairable"]] == 0:
        return "no pair has votes from two or more judges"
    return "all votes fall in one category (chance agreement is 1)"


def agreement_from_stats(stats: np.ndarray, keys: pd.DataFrame, metrics=AGREEMENT_METRICS, n_boot: int = 1000,
                         seed: int = 0) -> pd.DataFrame:
    """Finish the metrics from ``(G, 64, len(_STATS))`` per-(group, bucket) statistics (pandas or SQL path).

    Returns one row per (group, metric): key columns + ``metric, value, ci_low, ci_high, n, n_judgments,
    reason``.
    """
    ix = {s: i for i, s in enumerate(_STATS)}
    frames = []
    tot = stats.sum(axis=1)
    for m in metrics:  # four metrics, each vectorised over groups
        if m not in _FNS:
            raise ValueError(f"unknown agreement metric {m!r}; choose one of {', '.join(AGREEMENT_METRICS)}")
        val, lo, hi = bootstrap_ci(stats, _FNS[m], n_boot, seed)
        reason = [None if np.isfinite(v) else _undefined_reason(m, tot[g]) for g, v in enumerate(val)]
        f = keys.copy().reset_index(drop=True)
        f["metric"] = m
        f["value"], f["ci_low"], f["ci_high"] = val, lo, hi
        f["n"] = tot[:, ix["n_pairable"]].astype(np.int64)
        f["n_judgments"] = tot[:, ix["n_judgments"]].astype(np.int64)
        f["reason"] = reason
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def _stats_cube(units: pd.DataFrame, by_cols: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    g, keys = group_codes(units, by_cols)
    s = unit_stats(units).to_numpy()
    bucket = pair_bucket(units["pair_id"])
    cube = np.zeros((len(keys), N_BUCKETS, len(_STATS)))
    np.add.at(cube, (g, bucket), s)
    return cube, keys


def agreement(judgments: pd.DataFrame, by=None, metrics=AGREEMENT_METRICS, level: str = "nominal",
              n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Agreement per group (``by``: column name(s) of the judgments, e.g. ``dimension``, ``week``, ``team``).

    ``level='ordinal'`` replaces ``krippendorff_alpha`` by ordinal alpha on ``strength`` (graded judgments).
    Returns the long frame of :func:`agreement_from_stats`.
    """
    by_cols = by_list(by)
    j = check_judgments(judgments)
    for c in by_cols:
        if c not in j.columns:
            raise ValueError(f"judgments have no column {c!r} to group by")
    units = unit_votes(j, by_cols, checked=True)
    cube, keys = _stats_cube(units, by_cols)
    metrics = list(metrics)
    if level == "nominal":
        return agreement_from_stats(cube, keys, metrics, n_boot, seed)
    if level != "ordinal":
        raise ValueError(f"unknown level {level!r}; choose nominal or ordinal")
    rest = [m for m in metrics if m != "krippendorff_alpha"]
    out = [agreement_from_stats(cube, keys, rest, n_boot, seed)] if rest else []
    if "krippendorff_alpha" in metrics:
        from analytics.kinds.preference.ordinal import ordinal_alpha
        out.append(ordinal_alpha(j, by_cols, n_boot=n_boot, seed=seed))
    return pd.concat(out, ignore_index=True)
