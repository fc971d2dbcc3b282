"""Swap consistency of preference judges (issue 12, metric 2): where the same judge saw the same pair on the same
dimension in both orders, did the verdict survive the swap?

**Unit.** One ``(annotator_id, pair_id, dimension)`` with at least one judgment shown with ``a`` first and at least
one shown with ``b`` first (``shown_first``). Judgments without a position are left out.

**Verdict of an order.** Of the unit's judgments in one order, the earliest by ``created_at`` (undated ones last);
judgments of equal time (or all undated) are broken by the choice, ``a < b < tie``, so the result never depends on
the row order and the file and database paths agree. Later repeats in the same order are ignored: more than two
judgments give one unit, compared once (``v_a``: the verdict when ``a`` was shown first, ``v_b``: when ``b`` was).

**Outcomes** (verdicts in the pair's own a/b terms):

* ``same``: ``v_a == v_b`` (``tie``/``tie`` included);
* ``flip``: ``{v_a, v_b} == {a, b}``: the preference reversed with the order;
* ``tie_change``: exactly one of the two is ``tie`` (a change to or from tie, counted apart from flips).

**Figures** per group (and per judge within it): ``n`` units; ``flip_rate = flips / n`` and
``change_rate = (flips + tie_changes) / n``, each with a Wilson 95% interval; ``follow_first``: among the flips,
the share that chose the response shown first both times (``v_a = a`` and ``v_b = b``; the other flip chose the
second shown both times), with a Wilson interval and the exact binomial p-value against 0.5 (a flip caused by
position rather than by noise follows the first position more often than half the time). Per judge, the
``follow_first`` p-values are Holm-adjusted over the group's judges (:func:`.bias.holm`) and ``flagged`` at
``p_holm < alpha``.

Both paths count ``(group, annotator_id, v_a, v_b) -> units`` (the database with ``sql/preference_swap_units.sql``,
files with :func:`swap_unit_counts`) and finish with the one function :func:`swap_from_counts`. With a group
column, a unit's group is the larger of its two verdicts' group values (for ``week``: the week the swap was
completed; other groupings are constant within a unit).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.preference.bias import binom_p_half, holm
from analytics.metrics.results import wilson_interval
from analytics.kinds.preference.shapes import check_judgments

__all__ = ["NO_SWAP", "swap_unit_counts", "swap_from_counts", "swap_consistency", "swap_doc"]

NO_SWAP = "no judge saw a pair in both orders (same judge, pair and dimension, shown_first a and b)"
_RANK = {"a": 0, "b": 1, "tie": 2}
_FIGS = ("n", "same", "flips", "tie_changes", "flip_rate", "flip_ci_low", "flip_ci_high", "change_rate",
         "change_ci_low", "change_ci_high", "follow_first_n", "follow_first", "follow_first_ci_low",
         "follow_first_ci_high", "follow_first_p", "reason")


def swap_unit_counts(judgments: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """``[group,] annotator_id, v_a, v_b, units`` from judgment rows (the frame of
    ``sql/preference_swap_units.sql``) from checked judgments (:func:`.shapes.check_judgments`); ``group`` names a
    column of ``judgments`` (None: one group)."""
    j = judgments
    cols = ["annotator_id", "v_a", "v_b", "units"]
    if "shown_first" not in j.columns:
        return pd.DataFrame(columns=(["group"] if group else []) + cols)
    d = pd.DataFrame({"annotator_id": j["annotator_id"].astype(str).to_numpy(),
                      "pair_id": j["pair_id"].astype(str).to_numpy(),
                      "dimension": j["dimension"].astype(str).to_numpy() if "dimension" in j.columns else "overall",
                      "shown_first": j["shown_first"].to_numpy(), "choice": j["choice"].to_numpy()})
    d["_grp"] = j[group].to_numpy() if group else None
    t = (pd.to_datetime(j["created_at"]) if "created_at" in j.columns else pd.Series(pd.NaT, index=j.index))
    t = t.dt.tz_convert(None) if getattr(t.dt, "tz", None) is not None else t
    d["_t"] = t.to_numpy()
    d = d[d["shown_first"].isin(["a", "b"])]
    d["_r"] = d["choice"].map(_RANK).to_numpy()
    key = ["annotator_id", "pair_id", "dimension", "shown_first"]
    d = d.sort_values(key + ["_t", "_r"], na_position="last", kind="stable").drop_duplicates(key)
    w = d.pivot_table(index=["annotator_id", "pair_id", "dimension"], columns="shown_first", values="choice",
                      aggfunc="first")
    w = w.dropna(subset=[c for c in ("a", "b")]) if {"a", "b"} <= set(w.columns) else w.iloc[0:0]
    if not len(w):
        return pd.DataFrame(columns=(["group"] if group else []) + cols)
    u = pd.DataFrame({"v_a": w["a"].to_numpy(), "v_b": w["b"].to_numpy()}, index=w.index).reset_index()
    if group:
        g = d[d["_grp"].notna()].groupby(["annotator_id", "pair_id", "dimension"])["_grp"].max()
        u["group"] = g.reindex(pd.MultiIndex.from_frame(u[["annotator_id", "pair_id", "dimension"]])).to_numpy()
        u = u[u["group"].notna()]
    by = (["group"] if group else []) + ["annotator_id", "v_a", "v_b"]
    return u.groupby(by, as_index=False).size().rename(columns={"size": "units"})


def _figures(v_a: np.ndarray, v_b: np.ndarray, units: np.ndarray, g: np.ndarray, m: int) -> pd.DataFrame:
    """Per code 0..m-1 of ``g``: the figures of :data:`_FIGS` from unit counts by (v_a, v_b)."""
    units = units.astype(float)

    def tot(mask):
        return np.bincount(g[mask], weights=units[mask], minlength=m).astype(np.int64)

    n = tot(np.ones(len(g), bool))
    same = tot(v_a == v_b)
    flip = (v_a != "tie") & (v_b != "tie") & (v_a != v_b)
    flips = tot(flip)
    tie_ch = tot((v_a != v_b) & ((v_a == "tie") | (v_b == "tie")))
    follow = tot(flip & (v_a == "a"))
    f = pd.DataFrame({"n": n, "same": same, "flips": flips, "tie_changes": tie_ch})
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, k, nn in (("flip", flips, n), ("change", flips + tie_ch, n), ("follow_first", follow, flips)):
            lo, hi = wilson_interval(k, nn)
            col = "follow_first" if name == "follow_first" else f"{name}_rate"
            f[col] = np.where(nn > 0, k / np.maximum(nn, 1), np.nan)
            f[f"{name}_ci_low"], f[f"{name}_ci_high"] = np.atleast_1d(lo), np.atleast_1d(hi)
    f["follow_first_n"] = flips
    f["follow_first_p"] = binom_p_half(follow, flips)
    f["reason"] = np.where(n > 0, None, NO_SWAP)
    return f[list(_FIGS)]


def swap_from_counts(counts: pd.DataFrame, groups=None, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Finish the unit counts (``[group,] annotator_id, v_a, v_b, units``) into ``(overall, judges)``.

    ``overall``: one row per group (``group`` column when the counts have one; ``groups`` lists the groups to
    report, so a group without units gets a row with ``n = 0`` and ``reason``), the :data:`_FIGS` columns.
    ``judges``: one row per (group,) judge with units, the same figures + ``follow_first_p_holm`` (Holm over the
    group's judges) and ``flagged``."""
    c = counts.copy()
    has_g = "group" in c.columns
    va, vb = c["v_a"].astype(str).to_numpy(), c["v_b"].astype(str).to_numpy()
    units = c["units"].to_numpy(np.int64)
    if has_g:
        keys = pd.Index(sorted(set(c["group"].tolist()) | set(groups or []), key=str))
        g = keys.get_indexer(c["group"])
        overall = pd.concat([pd.DataFrame({"group": list(keys)}), _figures(va, vb, units, g, len(keys))], axis=1)
    else:
        overall = _figures(va, vb, units, np.zeros(len(c), np.int64), 1)
    jk = ["group", "annotator_id"] if has_g else ["annotator_id"]
    jkeys = c[jk].drop_duplicates().sort_values(jk).reset_index(drop=True)
    code = pd.MultiIndex.from_frame(jkeys).get_indexer(pd.MultiIndex.from_frame(c[jk])) if len(c) else np.zeros(0, int)
    judges = pd.concat([jkeys, _figures(va, vb, units, code, len(jkeys))], axis=1)
    judges["annotator_id"] = judges["annotator_id"].astype(str)
    if has_g:
        judges["follow_first_p_holm"] = (judges.groupby("group")["follow_first_p"]
                                         .transform(lambda s: pd.Series(holm(s.to_numpy()), index=s.index))
                                         if len(judges) else np.nan)
    else:
        judges["follow_first_p_holm"] = holm(judges["follow_first_p"].to_numpy())
    judges["follow_first_p_holm"] = judges["follow_first_p_holm"].astype(float)
    judges["flagged"] = judges["follow_first_p_holm"] < alpha
    return overall, judges


def swap_consistency(judgments: pd.DataFrame, by: str | None = None,
                     alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Swap consistency from judgment rows: ``(overall, judges)`` of :func:`swap_from_counts`, per ``by`` (a
    column of the judgments, e.g. ``dimension`` or ``annotator_id``; None: one group)."""
    j = check_judgments(judgments)
    for c in judgments.columns:  # keep extra grouping columns (category, a week key...) next to the checked ones
        if c not in j.columns:
            j[c] = judgments[c].to_numpy()
    groups = sorted(j[by].dropna().unique().tolist(), key=str) if by else None
    return swap_from_counts(swap_unit_counts(j, by), groups, alpha)


def _num(v):
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    return v


def swap_doc(overall: pd.DataFrame, judges: pd.DataFrame, group=None) -> dict:
    """The report's ``swap_consistency`` object of one group (``group`` None: the frames have no group column):
    ``n, same, flips, tie_changes, flip_rate{value, ci_low, ci_high, n}, change_rate{...},
    follow_first{share, ci_low, ci_high, n, p_value}, judges[...], reason`` (``reason`` set when ``n = 0``)."""
    o = overall if group is None else overall[overall["group"] == group]
    jd = judges if group is None else judges[judges["group"] == group]
    r = o.iloc[0] if len(o) else None
    if r is None or int(r["n"]) == 0:
        return {"n": 0, "same": 0, "flips": 0, "tie_changes": 0, "flip_rate": None, "change_rate": None,
                "follow_first": None, "judges": [], "reason": NO_SWAP}

    def rate(x, name, n):
        return {"value": _num(x[name if name == "follow_first" else f"{name}_rate"]),
                "ci_low": _num(x[f"{name}_ci_low"]), "ci_high": _num(x[f"{name}_ci_high"]), "n": _num(x[n])}

    ff = rate(r, "follow_first", "follow_first_n")
    return {"n": int(r["n"]), "same": int(r["same"]), "flips": int(r["flips"]), "tie_changes": int(r["tie_changes"]),
            "flip_rate": rate(r, "flip", "n"), "change_rate": rate(r, "change", "n"),
            "follow_first": {"share": ff.pop("value"), **ff, "p_value": _num(r["follow_first_p"])},
            "judges": [{"annotator_id": str(x["annotator_id"]), "n": int(x["n"]), "flips": int(x["flips"]),
                        "tie_changes": int(x["tie_changes"]), "flip_rate": rate(x, "flip", "n"),
                        "follow_first": _num(x["follow_first"]), "follow_first_p": _num(x["follow_first_p"]),
                        "follow_first_p_holm": _num(x["follow_first_p_holm"]), "flagged": bool(x["flagged"])}
                       for _, x in jd.iterrows()],
            "reason": None}
