"""The overview's alert list, built from an ``Evaluation`` and nothing else.

``alerts(evaluation) -> list[Alert]``: every check that does not pass becomes part of exactly one alert
(checks judged one by one get an alert each; the standard classes under the accuracy target share one; checks
that could not be judged are listed together per rule, as the gate's text table does), and every
finding (signals without a gate rule yet: automation bias, a critical class over a rolling window) adds one. So the overview's alerts are the
gate's non-passing checks for the same scope, by construction: ``Alert.checks`` names them.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from analytics.quality.checks import Check, Evaluation
from analytics.quality.markdown import md_escape

__all__ = ["Alert", "alerts", "PAGE_OF_RULE"]

# The page that explains each rule's alert.
PAGE_OF_RULE = {
    "accuracy": "accuracy", "gold_items": "coverage", "qa_rate": "coverage", "taxonomy": "coverage",
    "label_shift": "coverage", "krippendorff_alpha": "agreement", "fleiss_kappa": "agreement",
    "class_agreement": "agreement", "annotator_share": "annotators", "annotator_drift": "annotators",
    "automation_bias": "annotators", "accuracy_window": "accuracy",
}
_ORDER = {"red": 0, "amber": 1, "grey": 2, "green": 3}
_WORST = {"fail": 2, "warn": 1, "pass": 0}


@dataclasses.dataclass(frozen=True)
class Alert:
    """One line of the overview's alert list: ``status`` (a colour of ``thresholds.STATUS_COLOURS``),
    ``text`` (markdown, states its period), ``page`` (key of the page that explains it), ``params``
    (the filters the link sets), ``checks`` (``(rule, subject)`` of the checks it reports)."""

    status: str
    text: str
    page: str
    params: dict[str, Any]
    checks: tuple[tuple[str, str], ...]
    finding: bool = False


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _ci(c: Check) -> str:
    if c.ci_low is None or c.ci_high is None:
        return ""
    return f"CI {_pct(c.ci_low)}–{_pct(c.ci_high)}, "


def _n(c: Check) -> str:
    return f"n = {c.n:,}" if c.n is not None else "n = –"


def _subject(c: Check) -> str:
    return c.scope.split(" ", 1)[-1]


def _status(checks: list[Check]) -> str:
    return min((c.status for c in checks), key=lambda s: _ORDER.get(s, 9))


def _period(ev: Evaluation) -> str:
    start, end = ev.period
    if start and end:
        return f"{start:%d %b %Y} – {end:%d %b %Y}"
    return ev.scope


def _one(c: Check, period: str) -> tuple[str, dict[str, Any]]:
    """(text, link params) of an alert about one judged check."""
    sub, obs = _subject(c), f"({_ci(c)}{_n(c)})"
    s = md_escape(sub)  # alert text is Markdown: data in it is escaped; params keep the raw value
    when = f" [{period}]"
    th = f"; threshold {c.threshold}" if c.threshold else ""
    if c.rule == "accuracy" and c.scope == "overall":
        return (f"**Accuracy below target**: {_pct(c.value)} stratified by gold class {obs}{th}.{when}", {})
    if c.rule == "accuracy":
        head = "Critical class under target" if c.tier == "critical" else "Class under accuracy target"
        return (f"**{head}: {s}**: accuracy {_pct(c.value)} {obs}{th}.{when}", {"focus": sub})
    if c.rule == "class_agreement":
        return (f"**Class agreement under target: {s}**: specific agreement {_pct(c.value)} {obs}{th}.{when}",
                {"focus": sub})
    if c.rule == "qa_rate":
        return (f"**QA rate under minimum: {s}** ({c.tier}): {md_escape(c.note or _pct(c.value))} "
                f"({_pct(c.value)}){th}.{when}", {"focus": sub})
    if c.rule == "gold_items":
        return (f"**Too few gold items: {s}** ({c.tier}): {int(c.value or 0):,} gold items{th}.{when}",
                {"focus": sub})
    if c.rule in ("krippendorff_alpha", "fleiss_kappa"):
        name = "Krippendorff's α" if c.rule == "krippendorff_alpha" else "Fleiss' κ"
        lo_hi = f"CI {c.ci_low:.3f}–{c.ci_high:.3f}, " if c.ci_low is not None and c.ci_high is not None else ""
        return (f"**Agreement below target**: {name} {c.value:.3f} ({lo_hi}{_n(c)} items){th}.{when}", {})
    if c.rule == "annotator_drift":
        p = f"one-sided p = {c.value:.2g}" if c.value is not None else ""
        return (f"**Annotator drift: {s}**: {md_escape(c.note or '')}; {p}.{when}", {"annotator": sub})
    if c.rule == "label_shift":
        return (f"**Label distribution shift: batch {s}**: PSI {c.value:.3f} {md_escape(c.note or '')} ({_n(c)} "
                f"annotations){th}.{when}", {})
    if c.rule == "annotator_share":
        return (f"**One annotator dominates batch {s}**: {_pct(c.value)} of its annotations "
                f"({md_escape(c.note or '')}){th}.{when}", {})
    if c.rule == "taxonomy":
        return (f"**Labels outside the taxonomy**: {int(c.value or 0):,} annotations ({md_escape(c.note or '')}).{when}", {})
    return (f"**{c.rule}: {md_escape(c.scope)}**: {c.value} {obs}{th}.{when}", {})


def alerts(ev: Evaluation, limit: dict[str, float] | None = None) -> list[Alert]:
    """The alert list for ``ev`` (most severe first); see the module docstring.

    ``limit``: the accuracy target per tier (``{"critical": 0.95, ...}``); a critical class that could not be
    judged (too few units) but whose whole interval lies under its target is still called "under target".
    """
    period = _period(ev)
    out: list[Alert] = []
    bad = ev.not_passing
    # judged, one alert each; the standard classes under the accuracy target share one alert
    std = [c for c in bad if c.judged and c.rule == "accuracy" and c.scope != "overall" and c.tier != "critical"]
    for c in bad:
        if not c.judged or c in std:
            continue
        text, params = _one(c, period)
        out.append(Alert(c.status, text, PAGE_OF_RULE.get(c.rule, "overview"), params, ((c.rule, c.scope),)))
    if std:
        names = ", ".join(md_escape(_subject(c)) for c in std)
        out.append(Alert(_status(std), f"**{len(std)} standard classes below the accuracy target**: {names} "
                                       f"(threshold {std[0].threshold}). [{period}]",
                         "accuracy", {}, tuple((c.rule, c.scope) for c in std)))
    # not judged, grouped per rule (a critical class clearly under target stands alone)
    groups: dict[str, list[Check]] = {}
    windowed = {f.scope for f in ev.findings if f.rule == "accuracy_window"}  # judged over a window below
    for c in bad:
        if c.judged:
            continue
        target = (limit or {}).get(c.tier)
        if (c.rule == "accuracy" and c.tier == "critical" and target is not None and c.ci_high is not None
                and c.ci_high < target and c.scope not in windowed):
            out.append(Alert(c.status, f"**Critical class under target: {md_escape(_subject(c))}**: accuracy {_pct(c.value)} "
                                       f"({_ci(c)}{_n(c)}); its whole interval lies under the {_pct(target, 0)} "
                                       f"target, though the gate does not judge it ({md_escape(c.note or '')}). [{period}]",
                             "accuracy", {"focus": _subject(c)}, ((c.rule, c.scope),)))
            continue
        groups.setdefault(c.rule, []).append(c)
    for rule, cs in groups.items():
        names = [md_escape(_subject(c)) for c in cs]  # alert text is Markdown: data escaped
        shown = ", ".join(names[:8]) + (f", ... {len(names) - 8} more" if len(names) > 8 else "")
        reasons = "; ".join(sorted({md_escape((c.note or "").split(";")[0].split(" (n=")[0]) for c in cs}))
        what = "overall" if cs[0].scope == "overall" else f"{len(cs)} {cs[0].scope.split(' ', 1)[0]}(s)"
        out.append(Alert(_status(cs), f"**{rule} not judged for {what}**: {reasons}: {shown}. [{period}]",
                         PAGE_OF_RULE.get(rule, "overview"), {}, tuple((c.rule, c.scope) for c in cs)))
    for c in ev.findings:
        if c.rule == "accuracy_window":
            out.append(Alert(c.status, f"**Critical class under target: {md_escape(_subject(c))}**: accuracy {_pct(c.value)} "
                                       f"({_ci(c)}{_n(c)}) {md_escape(c.note or '')}; threshold {c.threshold} (not a gate rule yet).",
                             "accuracy", {"focus": _subject(c)}, ((c.rule, c.scope),), finding=True))
            continue
        if c.rule == "label_errors":
            out.append(Alert(c.status, f"**Likely label errors**: {_pct(c.value)} of items ({_ci(c)}{_n(c)}): "
                                       f"{md_escape(c.note or '')}; threshold {c.threshold} (not a gate rule yet).",
                             "label_errors", {}, ((c.rule, c.scope),), finding=True))
            continue
        if c.rule == "split_leakage":
            out.append(Alert(c.status, f"**Leakage between splits by {md_escape(_subject(c))}**: "
                                       f"{md_escape(c.note or '')}; threshold {c.threshold} (not a gate rule yet).",
                             "label_errors", {}, ((c.rule, c.scope),), finding=True))
            continue
        if not c.judged:
            out.append(Alert("grey", f"**Automation bias not tested**: {md_escape(c.note or '')}.", "label_vs_model", {},
                             ((c.rule, c.scope),), finding=True))
            continue
        out.append(Alert(c.status, f"**Automation bias: {md_escape(_subject(c))}** accepts {_pct(c.value)} of wrong pre-labels "
                                   f"({md_escape(c.note or '')}; not a gate rule yet).", "annotators", {"annotator": _subject(c)},
                         ((c.rule, c.scope),), finding=True))
    out.sort(key=lambda a: _ORDER.get(a.status, 9))
    return out
