"""The JSON document of ``labelqa preference JUDGMENTS [--pairs PAIRS] [--by ...] --json`` (issue 12).

Per group: ``n_pairs, n_judgments, tie_rate, agreement{percent_with_ties, percent_without_ties, fleiss_kappa,
krippendorff_alpha}, position_bias, length_bias, transitivity, bradley_terry``; with ``by`` a list of these, each
with its ``group``. ``by='week'`` groups by the ISO week (Monday) of ``created_at``; ``by='category'`` by the
pairs' category. Sections that need an absent column are ``null``. ``swap_consistency`` (:mod:`.swap`): where a
judge saw a pair in both orders, the flip rate, the change rate and the flips' share following the first position,
per group and per judge; ``null`` when no judgment has a position, ``n = 0`` with ``reason`` when positions are
given but no judge saw a pair in both orders. ``length_bias.logistic_slope`` is the slope of
the choice on the log length ratio (:mod:`.length_control`: ``value, ci_low, ci_high, p_value, n`` verdicts,
``reason`` when it cannot be fitted).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analytics.kinds.preference import agreement as ag
from analytics.kinds.preference.bias import length_bias, position_bias
from analytics.kinds.preference.consistency import bradley_terry, transitivity
from analytics.kinds.preference.length_control import length_slope, length_slope_from_units
from analytics.kinds.preference.shapes import _CHECKED, check_judgments, check_pairs
from analytics.kinds.preference.signal import tie_rate
from analytics.kinds.preference.swap import swap_consistency, swap_doc

__all__ = ["BY_CHOICES", "preference_report", "preference_report_from_db"]

BY_CHOICES = ("dimension", "annotator", "week", "category")


def _num(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if math.isnan(float(v)) else float(v)
    return v


def _est(value, lo, hi, n, **extra) -> dict:
    return {"value": _num(value), "ci_low": _num(lo), "ci_high": _num(hi), "n": _num(n),
            **{k: _num(v) for k, v in extra.items()}}


def _frame(judgments: pd.DataFrame, pairs: pd.DataFrame | None, by: str | None) -> tuple[pd.DataFrame, str | None]:
    j = check_judgments(judgments)
    p = check_pairs(pairs, allow_identical=True) if pairs is not None else None
    if p is not None:
        from analytics.kinds.preference._boot import known

        unknown = ~known(j["pair_id"], p["pair_id"])
        if unknown.any():
            pos = int(np.flatnonzero(unknown)[0])
            raise ValueError(f"judgments row {pos + 1}, column 'pair_id': {j['pair_id'].iloc[pos]!r} is not a "
                             "pair in PAIRS")
        cols = [c for c in ("response_a", "response_b", "category") if c in p.columns]
        j = j.merge(p[["pair_id", *cols]], on="pair_id", how="left", validate="many_to_one")
        j.attrs[_CHECKED] = True  # the checked judgments plus the pairs' columns: still checked
    if by is None:
        return j, None
    if by not in BY_CHOICES:
        raise ValueError(f"unknown --by {by!r}; choose one of {', '.join(BY_CHOICES)}")
    if by == "annotator":
        return j.assign(_group=j["annotator_id"]), "_group"
    if by == "week":
        if "created_at" not in j.columns:
            raise ValueError("--by week needs the column 'created_at' in the judgments")
        wk = j["created_at"].dt.tz_convert(None).dt.to_period("W-SUN").dt.start_time.dt.date.astype(str)
        return j.assign(_group=wk), "_group"
    if by not in j.columns:
        raise ValueError(f"--by {by} needs the column {by!r} ({'PAIRS' if by == 'category' else 'JUDGMENTS'})")
    return j.assign(_group=j[by]), "_group"


def _slope(sl: pd.DataFrame | None, g) -> dict | None:
    """``length_bias.logistic_slope`` of group ``g`` (None: no lengths)."""
    if sl is None:
        return None
    rows = sl if g is None or "group" not in sl.columns else sl[sl["group"] == g]
    if not len(rows):
        return {"value": None, "ci_low": None, "ci_high": None, "p_value": None, "n": 0,
                "reason": "no non-tie verdict of a pair with two known lengths"}
    r = rows.iloc[0]
    return {"value": _num(float(r["logistic_slope"])), "ci_low": _num(float(r["slope_ci_low"])),
            "ci_high": _num(float(r["slope_ci_high"])), "p_value": _num(float(r["slope_p_value"])),
            "n": int(r["slope_n"]), "reason": r["slope_reason"]}


def preference_report(judgments: pd.DataFrame, pairs: pd.DataFrame | None = None, by: str | None = None,
                      n_boot: int = 1000, seed: int = 0):
    """The report document (a dict, or with ``by`` a list of dicts with ``group``)."""
    j, gcol = _frame(judgments, pairs, by)
    groups = [None] if gcol is None else sorted(j[gcol].dropna().unique().tolist())
    gb = [gcol] if gcol else None
    agr = ag.agreement(j, by=gb, n_boot=n_boot, seed=seed)
    ties = tie_rate(j, by=gb)
    pos = position_bias(j, by=gb) if "shown_first" in j.columns and j["shown_first"].notna().any() else None
    ln = length_bias(j, pairs, by=gb) if pairs is not None and ("len_a" in pairs or "text_a" in pairs) else None
    sl = length_slope(j, pairs, by=gb) if ln is not None else None
    sw = swap_consistency(j, by=gcol) if pos is not None else None
    has_obj = "response_a" in j.columns and j["response_a"].notna().any()
    tr = transitivity(j, by=gb) if has_obj else None
    bt = bradley_terry(j, by=gb, n_boot=min(n_boot, 200), seed=seed) if has_obj else None

    def pick(frame, g):
        return frame if g is None else frame[frame[gcol] == g]

    docs = []
    for g in groups:  # one dict per --by value (the groups are few); every figure was computed grouped above
        jg = pick(j, g)
        a = pick(agr, g).set_index("metric")
        t = pick(ties, g).iloc[0]
        doc: dict[str, Any] = {} if g is None else {"group": _num(g)}
        doc.update(n_pairs=int(jg["pair_id"].nunique()), n_judgments=int(len(jg)),
                   tie_rate=_est(t["value"], t["ci_low"], t["ci_high"], t["n"]),
                   agreement={m: _est(a.loc[m, "value"], a.loc[m, "ci_low"], a.loc[m, "ci_high"], a.loc[m, "n"],
                                      reason=a.loc[m, "reason"]) for m in ag.AGREEMENT_METRICS})
        doc["position_bias"] = None
        if pos is not None and len(pick(pos, g)):
            r = pick(pos, g).iloc[0]
            doc["position_bias"] = {"share_first": _num(r["share"]), "ci_low": _num(r["ci_low"]),
                                    "ci_high": _num(r["ci_high"]), "n": _num(r["n"]), "p_value": _num(r["p_value"])}
        doc["length_bias"] = None
        if ln is not None and len(pick(ln, g)):
            r = pick(ln, g).iloc[0]
            doc["length_bias"] = {"share_longer": _num(r["share"]), "ci_low": _num(r["ci_low"]),
                                  "ci_high": _num(r["ci_high"]), "n": _num(r["n"]), "p_value": _num(r["p_value"]),
                                  "logistic_slope": _slope(sl, g if gcol else None)}
        doc["swap_consistency"] = None if sw is None else swap_doc(*sw, group=g)
        doc["transitivity"] = None
        if tr is not None and len(pick(tr, g)):
            r = pick(tr, g).iloc[0]
            doc["transitivity"] = {"triads": _num(r["triads"]), "cyclic_triads": _num(r["cyclic_triads"]),
                                   "cycle_rate": _num(r["cycle_rate"])}
        doc["bradley_terry"] = None
        if bt is not None:
            rows = pick(bt, g)
            doc["bradley_terry"] = [{"object": r.object, "score": _num(r.score), "interval": [_num(r.ci_low),
                                     _num(r.ci_high)], "rank": _num(r.rank), "wins": _num(r.wins),
                                     "losses": _num(r.losses), "ties": _num(r.ties)} for r in rows.itertuples()]
        docs.append(doc)
    return docs if gcol else docs[0]


def preference_report_from_db(engine, project_id: str, by: str | None = None, n_boot: int = 1000, seed: int = 0,
                              **filters):
    """The same document as :func:`preference_report`, from the database's sufficient statistics
    (:mod:`analytics.kinds.preference.db`). ``position_bias`` is null when no judgment in scope has a position,
    ``length_bias`` when no non-tie judgment has a pair with two different lengths; ``transitivity`` and
    ``bradley_terry`` when the pairs name no compared objects."""
    from analytics.kinds.preference import db as pdb

    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"unknown --by {by!r}; choose one of {', '.join(BY_CHOICES)}")
    s = pdb.summary_from_db(engine, project_id, by=by, n_boot=n_boot, seed=seed, **filters)
    sl = (length_slope_from_units(pdb.length_units_from_db(engine, project_id, by, **filters))
          if int(s["counts"]["len_n"].sum()) > 0 else None)
    counts = s["counts"]
    has_pos = int(counts["pos_n"].sum()) > 0
    has_len = int(counts["len_n"].sum()) > 0
    has_obj = not s["bradley_terry"].empty
    sw = pdb.swap_consistency_from_db(engine, project_id, by, groups=counts["group"].tolist() if by else None,
                                      **filters)
    has_swap = has_pos or int(sw[0]["n"].sum()) > 0

    def pick(frame, g):
        return frame if by is None else frame[frame["group"] == g]

    docs = []
    for i, row in counts.reset_index(drop=True).iterrows():
        g = None if by is None else row["group"]
        a = pick(s["agreement"], g).set_index("metric")
        t = pick(s["tie_rate"], g).iloc[0]
        doc: dict[str, Any] = {} if by is None else {"group": _num(g)}
        doc.update(n_pairs=int(row["n_pairs"]), n_judgments=int(row["n_judgments"]),
                   tie_rate=_est(t["value"], t["ci_low"], t["ci_high"], t["n"]),
                   agreement={m: _est(a.loc[m, "value"], a.loc[m, "ci_low"], a.loc[m, "ci_high"], a.loc[m, "n"],
                                      reason=a.loc[m, "reason"]) for m in ag.AGREEMENT_METRICS})
        doc["position_bias"] = None
        if has_pos:
            r = pick(s["position_bias"], g).iloc[0]
            doc["position_bias"] = {"share_first": _num(r["share"]), "ci_low": _num(r["ci_low"]),
                                    "ci_high": _num(r["ci_high"]), "n": _num(r["n"]), "p_value": _num(r["p_value"])}
        doc["length_bias"] = None
        if has_len:
            r = pick(s["length_bias"], g).iloc[0]
            doc["length_bias"] = {"share_longer": _num(r["share"]), "ci_low": _num(r["ci_low"]),
                                  "ci_high": _num(r["ci_high"]), "n": _num(r["n"]), "p_value": _num(r["p_value"]),
                                  "logistic_slope": _slope(sl, g)}
        doc["swap_consistency"] = swap_doc(*sw, group=g) if has_swap else None
        doc["transitivity"] = None
        tr = pick(s["transitivity"], g)
        if has_obj and len(tr):
            r = tr.iloc[0]
            doc["transitivity"] = {"triads": _num(r["triads"]), "cyclic_triads": _num(r["cyclic_triads"]),
                                   "cycle_rate": _num(r["cycle_rate"])}
        doc["bradley_terry"] = None
        if has_obj:
            rows = pick(s["bradley_terry"], g)
            doc["bradley_terry"] = [{"object": r.object, "score": _num(r.score), "interval": [_num(r.ci_low),
                                     _num(r.ci_high)], "rank": _num(r.rank), "wins": _num(r.wins),
                                     "losses": _num(r.losses), "ties": _num(r.ties)} for r in rows.itertuples()]
        docs.append(doc)
    return docs if by is not None else docs[0]
