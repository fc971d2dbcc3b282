"""Systematic confusions, no I/O: is a confused pair (gold ``t`` labelled ``l``) concentrated in one group
(team, annotator, item condition, team x condition)? The tests and the shared finish used by both the frame and
the database path of ``systematic_confusions`` (:mod:`analytics.sources.accuracy_db`)."""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import require_columns
from analytics.metrics.accuracy import MISSING_GROUP, _output_name, _resolve_frame_column

__all__ = ["SYSTEMATIC_COLUMNS"]

_SYSTEMATIC_COLUMNS = ("true_label", "label", "n", "share", "dimension", "concentrated_in", "group", "group_n",
                       "group_rate", "rest_rate", "groups_tested", "test", "statistic", "min_expected",
                       "p_raw", "p_value", "systematic", "reason")


def _top_pairs(overall: pd.DataFrame, top: int, min_n: int) -> pd.DataFrame:
    tot = overall.groupby("gold_label")["n"].sum().rename("gold_n")
    off = overall[overall["gold_label"].astype(str) != overall["label"].astype(str)].join(tot, on="gold_label")
    off = off[off["n"] >= min_n].assign(share=lambda d: d["n"] / d["gold_n"])
    off = off.sort_values(["n", "share", "gold_label", "label"], ascending=[False, False, True, True], kind="mergesort")
    return off.head(top).rename(columns={"gold_label": "true_label"})[["true_label", "label", "n", "share"]]


def _test_concentration(x: np.ndarray, m: np.ndarray) -> dict[str, Any]:
    """Is the confusion count ``x_g`` out of ``m_g`` gold-t annotations independent of the group ``g``?

    Pearson chi-square test of independence on the groups x {confused, other} table (no continuity
    correction); Fisher's exact test when the table is 2x2 and an expected count is below 5.
    Returns the test, statistic, raw p-value, smallest expected count and the index of the group with the
    largest positive Pearson residual (where the confusion concentrates).
    """
    keep = m > 0
    x, m = x[keep], m[keep]
    idx = np.flatnonzero(keep)
    res: dict[str, Any] = {"groups_tested": int(len(m))}
    if len(m) < 2:
        return {**res, "reason": "fewer than 2 groups with annotations of the true class"}
    X, M = x.sum(), m.sum()
    if X == 0 or X == M:
        return {**res, "reason": "no variation: the confusion rate is the same (0 or 1) in every group"}
    expected = m * X / M
    table = np.column_stack([x, m - x])
    exp_table = np.column_stack([expected, m - expected])
    resid = (x - expected) / np.sqrt(expected)
    best = int(np.argmax(resid))
    res.update(best=int(idx[best]), min_expected=float(exp_table.min()))
    if len(m) == 2 and exp_table.min() < 5:
        stat, p = stats.fisher_exact(table)
        return {**res, "test": "fisher", "statistic": float(stat), "p_raw": float(p)}
    chi2, p, _dof, _ = stats.chi2_contingency(table, correction=False)
    return {**res, "test": "chi2", "statistic": float(chi2), "p_raw": float(p)}


def _describe_group(dim: str, group: str) -> str:
    """``('team*attr:lighting', 'team_c|night')`` -> ``'team=team_c, lighting=night'``."""
    parts = dim.split("*")
    values = group.split("|", len(parts) - 1) if len(parts) > 1 else [group]
    return ", ".join(f"{_output_name(p)}={v}" for p, v in zip(parts, values))


def _systematic_finish(pairs: pd.DataFrame, group_counts: Mapping[str, pd.DataFrame], alpha: float) -> pd.DataFrame:
    """Shared finish: per (pair, dimension) concentration test + Bonferroni over all tests made.

    ``group_counts[dim]``: long counts ``gold_label, label, group, n`` for the true labels of ``pairs``.
    """
    rows: list[dict[str, Any]] = []
    for pair in pairs.itertuples(index=False):  # a handful of pairs x dimensions, not annotation-sized
        for dim, gc in group_counts.items():
            sub = gc[gc["gold_label"].astype(str) == str(pair.true_label)]
            m_g = sub.groupby("group", sort=True)["n"].sum()
            x_g = sub[sub["label"].astype(str) == str(pair.label)].groupby("group")["n"].sum().reindex(m_g.index,
                                                                                                      fill_value=0)
            r = _test_concentration(x_g.to_numpy(dtype=float), m_g.to_numpy(dtype=float))
            row = {"true_label": pair.true_label, "label": pair.label, "n": int(pair.n), "share": float(pair.share),
                   "dimension": dim, "groups_tested": r["groups_tested"], "test": r.get("test"),
                   "statistic": r.get("statistic", math.nan), "min_expected": r.get("min_expected", math.nan),
                   "p_raw": r.get("p_raw", math.nan), "reason": r.get("reason"),
                   "concentrated_in": None, "group": None, "group_n": 0, "group_rate": math.nan,
                   "rest_rate": math.nan}
            if "best" in r:
                b = r["best"]
                g = m_g.index[b]
                xb, mb = float(x_g.iloc[b]), float(m_g.iloc[b])
                X, M = float(x_g.sum()), float(m_g.sum())
                row.update(group=g, concentrated_in=_describe_group(dim, str(g)), group_n=int(mb), group_rate=xb / mb,
                           rest_rate=(X - xb) / (M - mb) if M > mb else math.nan)
            rows.append(row)
    out = pd.DataFrame(rows, columns=[c for c in _SYSTEMATIC_COLUMNS if c not in ("p_value", "systematic")])
    n_tests = int(out["p_raw"].notna().sum())
    out["p_value"] = np.minimum(1.0, out["p_raw"] * max(n_tests, 1))
    out["systematic"] = (out["p_value"] < alpha) & (out["group_rate"] > out["rest_rate"])
    out["systematic"] = out["systematic"].fillna(False).astype(bool)
    return out[list(_SYSTEMATIC_COLUMNS)]


def _dimension_group_frame(scored: pd.DataFrame, dim: str) -> pd.Series:
    """Group labels of dimension ``dim`` for a frame: a column, ``attr:<key>``, or ``a*b`` (a combination)."""
    parts = dim.split("*")
    vals = []
    for part in parts:
        col = _resolve_frame_column(scored, part)
        require_columns(scored, (col,), "annotations")
        vals.append(scored[col].astype(object).where(scored[col].notna(), MISSING_GROUP).astype(str))
    out = vals[0]
    for v in vals[1:]:
        out = out + "|" + v
    return out


SYSTEMATIC_COLUMNS = _SYSTEMATIC_COLUMNS
