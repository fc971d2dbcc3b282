"""Quality rules of a preference project, judged by the quality layer (``analytics.quality``) from the database.

``checks(engine, project_id, thresholds=None, **filters) -> list[analytics.quality.Check]`` judges, per
dimension:

=========================== ======= ======= ===== ========== ==================================================
rule                        limit   warn    judge severity   number
=========================== ======= ======= ===== ========== ==================================================
``preference_agreement``    >= 0.60 >= 0.65 ci_low warn     percent agreement without ties (MT-Bench); AlpacaEval
                                                             reports 65.7% between humans
``preference_position_bias`` <= 0.10 <= 0.05 ci_low warn    ``|share choosing the first-shown response - 0.5|``
``preference_length_bias``  <= 0.15 <= 0.10 ci_low warn     ``|share choosing the longer response - 0.5|``
``preference_tie_rate``     <= 0.40 <= 0.25 ci_low warn     share of tie judgments
``preference_cycle_rate``   <= 0.10 <= 0.05 value  warn     cyclic / decided triads of the compared objects
=========================== ======= ======= ===== ========== ==================================================

Biases are judged on the lower bound of the deviation from 0.5 (the Wilson interval of the share mapped through
``|x - 0.5|``; 0 when the interval holds 0.5), so only a bias the data show beyond the limit fails. The verdict
logic is the quality layer's own (``Thresholds.judge`` and ``_Builder``: small-n rule, decisive intervals, not-judged
outcome from ``settings``); the limits above are the kind's defaults (``overrides`` replaces fields per rule) because
``labelqa.toml`` does not know these rule names yet.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

from analytics.quality.checks import Check, _Builder
from analytics.thresholds import Rule, Thresholds

__all__ = ["RULES", "checks", "deviation"]

RULES: dict[str, Rule] = {
    "preference_agreement": Rule("preference_agreement", "min", 0.60, warn=0.65, severity="warn", judge="ci_low",
                                 tier="overall", description="percent agreement without ties between judges of a "
                                 "pair (MT-Bench), interval's lower bound"),
    "preference_position_bias": Rule("preference_position_bias", "max", 0.10, warn=0.05, severity="warn",
                                     judge="ci_low", tier="overall",
                                     description="|share choosing the first-shown response - 0.5|"),
    "preference_length_bias": Rule("preference_length_bias", "max", 0.15, warn=0.10, severity="warn",
                                   judge="ci_low", tier="overall",
                                   description="|share choosing the longer response - 0.5|"),
    "preference_tie_rate": Rule("preference_tie_rate", "max", 0.40, warn=0.25, severity="warn", judge="ci_low",
                                tier="overall", description="share of tie judgments"),
    "preference_cycle_rate": Rule("preference_cycle_rate", "max", 0.10, warn=0.05, severity="warn", min_n=1,
                                  tier="overall", description="share of cyclic triads in the majority graph"),
}


class _Judge:
    """The quality layer's ``Thresholds.judge`` over the preference rules (settings from the thresholds file)."""

    def __init__(self, base: Thresholds, overrides: Mapping[str, Mapping[str, Any]] | None = None):
        self._base = base
        self._rules = {k: dataclasses.replace(r, **dict((overrides or {}).get(k, {}))) for k, r in RULES.items()}

    def setting(self, key: str, project: str | None = None):
        return self._base.setting(key, project)

    def rule(self, name: str, tier: str | None = "overall", project: str | None = None) -> Rule:
        if name not in self._rules:
            raise ValueError(f"unknown preference rule {name!r}; known: {', '.join(self._rules)}")
        return self._rules[name]

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
    return b.checks


def evaluate(con, project_id: str, scope=None, thresholds: Thresholds | None = None):
    """``KindSpec.rules`` of the kind: the quality layer's ``Evaluation`` of a preference project (every check of
    :func:`checks`; a date range or batch scope is not narrowed yet: the whole project is judged)."""
    from analytics.quality.checks import Evaluation

    return Evaluation(project_id=project_id, scope="whole project", checks=checks(con, project_id, thresholds),
                      thresholds_path=str(thresholds.path) if thresholds is not None and thresholds.path else None)
