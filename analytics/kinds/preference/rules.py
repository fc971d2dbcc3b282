"""Quality rules of a preference project, judged by the quality layer (``analytics.quality``) from the database.

``checks(engine, project_id, thresholds=None, **filters) -> list[analytics.quality.Check]`` judges, per
dimension, the rules of ``labelqa.toml`` (``[rules.preference_*]``; defaults in
``analytics/quality/config_file.py``, tier ``overall``, per-project overrides as for any rule):

=============================== ======= ======= ====== ================================================
rule                            limit   warn    judge  number
=============================== ======= ======= ====== ================================================
``preference_agreement``        >= 0.60 >= 0.65 ci_low percent agreement without ties (MT-Bench); AlpacaEval
                                                       reports 65.7% between humans
``preference_position_bias``    <= 0.10 <= 0.05 ci_low ``|share choosing the first-shown response - 0.5|``
``preference_length_bias``      <= 0.15 <= 0.10 ci_low ``|share choosing the longer response - 0.5|``
``preference_tie_rate``         <= 0.40 <= 0.25 ci_low share of tie judgments
``preference_cycle_rate``       <= 0.10 <= 0.05 value  cyclic / decided triads of the compared objects
``preference_clean_share``      >= 0.30 >= 0.50 value  share of the dimension's pairs in the clean set
``preference_gold_pairs``       >= 30           value  gold pairs of the dimension (count)
``preference_max_flip_rate``    <= 0.20 <= 0.10 ci_low share of (judge, pair) units seen in both orders whose
                                                       verdict reversed a <-> b (:mod:`.swap`); checked only
                                                       for dimensions with such units
=============================== ======= ======= ====== ================================================

Biases are judged on the lower bound of the deviation from 0.5 (the Wilson interval of the share mapped through
``|x - 0.5|``; 0 when the interval holds 0.5), so only a bias the data show beyond the limit fails. The verdict
logic is the quality layer's own (``Thresholds.judge`` and ``_Builder``); ``overrides`` replaces fields of a
resolved rule (tests, what-if). :func:`evaluate` narrows the judgments to the scope asked for: a batch
(``preference_judgments.batch_id``), a date range (``created_at``) and the dashboard's team.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from analytics.quality.checks import Check, _Builder
from analytics.thresholds import Rule, Thresholds

__all__ = ["RULES", "checks", "deviation"]

RULES = ("preference_agreement", "preference_position_bias", "preference_length_bias", "preference_tie_rate",
         "preference_cycle_rate", "preference_clean_share", "preference_gold_pairs", "preference_max_flip_rate")


class _Judge:
    """The quality layer's thresholds, with ``overrides`` applied to the resolved preference rules."""

    def __init__(self, base: Thresholds, overrides: Mapping[str, Mapping[str, Any]] | None = None):
        self._base = base
        self._over = {k: dict(v) for k, v in (overrides or {}).items()}
        unknown = set(self._over) - set(RULES)
        if unknown:
            raise ValueError(f"unknown preference rule(s) {', '.join(sorted(unknown))}; known: {', '.join(RULES)}")

    def setting(self, key: str, project: str | None = None):
        return self._base.setting(key, project)

    def rule(self, name: str, tier: str | None = "overall", project: str | None = None) -> Rule:
        r = self._base.rule(name, "overall", project)
        return dataclasses.replace(r, **self._over[name]) if name in self._over else r

    if hasattr(Thresholds, "_decisive"):  # the interval rule for small n, where the quality layer has it
        _decisive = staticmethod(Thresholds._decisive)
    judge = Thresholds.judge


def deviation(share, lo, hi) -> tuple[float, float, float]:
    """``|x - 0.5|`` of a share and its interval: (value, low, high); low is 0 when the interval holds 0.5."""
    if share is None or not np.isfinite(share):
        return np.nan, np.nan, np.nan
    d_lo, d_hi = abs(lo - 0.5), abs(hi - 0.5)
    low = 0.0 if lo <= 0.5 <= hi else min(d_lo, d_hi)
    return abs(share - 0.5), low, max(d_lo, d_hi)


def _why(x) -> str | None:
    return x if isinstance(x, str) and x else None


def checks(engine, project_id: str, thresholds: Thresholds | None = None,
           overrides: Mapping[str, Mapping[str, Any]] | None = None, n_boot: int = 500, seed: int = 0,
           **filters) -> list[Check]:
    """The judged checks of a preference project, one per rule and dimension (subject ``dimension <name>``)."""
    from analytics.kinds.preference import db as pdb
    from analytics.thresholds import load_thresholds

    th = _Judge(thresholds or load_thresholds(), overrides)
    b = _Builder(th, project_id)
    s = pdb.summary_from_db(engine, project_id, by="dimension", n_boot=n_boot, seed=seed, **filters)
    agr = s["agreement"]
    for row in s["tie_rate"].itertuples(index=False):
        g = row.group
        subject = f"dimension {g}"
        a = agr[(agr["group"] == g) & (agr["metric"] == "percent_without_ties")]
        if len(a):
            r = a.iloc[0]
            b.add("preference_agreement", subject, r["value"], r["ci_low"], r["ci_high"], r["n"],
                  note="pairs judged by two or more judges", reason=_why(r["reason"]))
        b.add("preference_tie_rate", subject, row.value, row.ci_low, row.ci_high, row.n)
        for rule, frame, what in (("preference_position_bias", s["position_bias"], "chose the first-shown response"),
                                  ("preference_length_bias", s["length_bias"], "chose the longer response")):
            r = frame[frame["group"] == g].iloc[0]
            v, lo, hi = deviation(r["share"], r["ci_low"], r["ci_high"])
            note = (f"{100 * r['share']:.1f}% {what} (95% CI {100 * r['ci_low']:.1f}-{100 * r['ci_high']:.1f}%)"
                    if np.isfinite(r["share"]) else None)
            b.add(rule, subject, v, lo, hi, r["n"], note=note, reason=_why(r["reason"]))
    tr = s["transitivity"]
    for row in tr.itertuples(index=False):
        g = getattr(row, "group", None)
        b.add("preference_cycle_rate", f"dimension {g}", row.cycle_rate, n=row.triads, kind="proportion",
              note=f"{int(row.cyclic_triads)} cyclic of {int(row.triads)} decided triads", reason=_why(row.reason))
    dims = [str(g) for g in s["tie_rate"]["group"]] if "group" in s["tie_rate"].columns else []
    sw = pdb.swap_consistency_from_db(engine, project_id, by="dimension", **filters)[0]
    for r in sw[sw["n"] > 0].itertuples(index=False):  # only where a judge saw pairs in both orders
        b.add("preference_max_flip_rate", f"dimension {r.group}", r.flip_rate, r.flip_ci_low, r.flip_ci_high, r.n,
              note=f"{int(r.flips)} of {int(r.n)} units seen in both orders flipped a <-> b; "
                   f"{int(r.tie_changes)} changed to or from tie")
    if dims:
        _clean_and_gold(b, engine, project_id, dims, n_boot, seed, filters)
    return b.checks


def _clean_and_gold(b: _Builder, engine, project_id: str, dims: list[str], n_boot: int, seed: int,
                    filters: dict) -> None:
    """``preference_clean_share`` and ``preference_gold_pairs`` per dimension (per-verdict rows of the scope)."""
    from analytics.kinds.preference import db as pdb
    from analytics.kinds.preference.clean_set import clean_set
    from analytics.metrics.results import wilson_interval

    rows = pdb.scope_rows_from_db(engine, project_id, **filters)
    pairs = pdb.pairs_from_db(engine, project_id)
    gold = pdb.gold_from_db(engine, project_id)
    cs = clean_set(rows, pairs, n_boot=n_boot, seed=seed)
    counts = cs["counts"].set_index("dimension")
    flagged = f"; verdicts of {len(cs['flagged'])} flagged judge(s) left out" if cs["flagged"] else ""
    for d in dims:
        subject = f"dimension {d}"
        if d in counts.index:
            k, n = int(counts.loc[d, "clean"]), int(counts.loc[d, "units"])
            lo, hi = wilson_interval(k, n)
            b.add("preference_clean_share", subject, k / n if n else None, float(lo), float(hi), n,
                  note=f"{k:,} of {n:,} pairs clean{flagged}")
        judged = set(rows.loc[rows["dimension"] == d, "pair_id"])
        g = gold[(gold["dimension"] == d) & gold["pair_id"].isin(judged)]
        b.add("preference_gold_pairs", subject, int(g["pair_id"].nunique()), kind="count",
              note="gold (expert-adjudicated) pairs among the dimension's judged pairs")


def scope_filters(con, project_id: str, scope=None) -> tuple[dict, str, tuple]:
    """``(filters for the preference SQL, scope label, period)`` of a ``ScopeRequest`` (None: whole project).

    A batch must be one of the project's batches (``ValueError`` otherwise); dates are inclusive days."""
    import datetime as dt

    from sqlalchemy import text

    if scope is None:
        return {}, "whole project", (None, None)
    if hasattr(scope, "label") and hasattr(scope, "filters"):  # an already resolved quality.checks.Scope
        fl = scope.filters
        out = {k: v for k, v in (("team", getattr(fl, "team", None)), ("batch_id", getattr(fl, "batch_id", None)),
                                 ("date_from", getattr(fl, "date_from", None)),
                                 ("date_to", getattr(fl, "date_to", None))) if v is not None}
        return out, scope.label, (out.get("date_from"), out.get("date_to"))
    filters: dict = {}
    f = getattr(scope, "filters", None)
    if f is not None and getattr(f, "team", None):
        filters["team"] = f.team
    batch = getattr(scope, "batch_id", None)
    if batch:
        with (con.connect() if hasattr(con, "connect") else _nullctx(con)) as c:
            ok = c.execute(text("SELECT COUNT(*) FROM batches WHERE batch_id = :b AND project_id = :p"),
                           {"b": batch, "p": project_id}).scalar_one()
        if not ok:
            raise ValueError(f"batch {batch!r} is not a batch of project {project_id!r}")
        filters["batch_id"] = batch
        return filters, f"batch {batch}", (None, None)
    since, until = getattr(scope, "since", None), getattr(scope, "until", None)
    day = lambda v: None if v is None else (v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))  # noqa: E731
    since, until = day(since), day(until)
    if since is None and until is None:
        return filters, "whole project", (None, None)
    filters.update(date_from=since, date_to=until)
    label = " ".join(x for x in (f"since {since}" if since else "", f"until {until}" if until else "") if x)
    return filters, label, (since, until)


class _nullctx:
    def __init__(self, c):
        self.c = c

    def __enter__(self):
        return self.c

    def __exit__(self, *exc):
        return False


def evaluate(con, project_id: str, scope=None, thresholds: Thresholds | None = None):
    """``KindSpec.rules`` of the kind: the quality layer's ``Evaluation`` of a preference project (every check of
    :func:`checks`) over the scope asked for: a batch, a date range, the dashboard's team (:func:`scope_filters`)."""
    from analytics.quality.checks import Evaluation

    filters, label, period = scope_filters(con, project_id, scope)
    return Evaluation(project_id=project_id, scope=label, checks=checks(con, project_id, thresholds, **filters),
                      thresholds_path=str(thresholds.path) if thresholds is not None and thresholds.path else None,
                      period=period)
