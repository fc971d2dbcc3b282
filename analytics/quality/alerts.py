"""The overview's alert list, built from an ``Evaluation`` and nothing else.

``alerts(evaluation) -> list[Alert]``: every check that does not pass becomes part of exactly one alert
(checks judged one by one get an alert each; the standard classes under the accuracy target share one; checks
that could not be judged are listed together per rule, as the gate's text table does). So the overview's alerts
are the gate's non-passing checks for the same scope, by construction: ``Alert.checks`` names them; findings
(``Evaluation.findings``: likely label errors, no gate rule yet) add one alert each. Every alert
ends with the dates it was judged over (the check's ``window`` when it has one, else the scope's period), and
``Alert.params`` holds only what its text names (a class, an annotator), never a date range.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from analytics.quality.checks import Check, Evaluation
from analytics.quality.markdown import md_escape

__all__ = ["Alert", "alerts", "alert_link_label", "PAGE_OF_RULE"]

# The page that explains each rule's alert.
PAGE_OF_RULE = {
    "accuracy": "accuracy", "gold_items": "coverage", "qa_rate": "coverage", "taxonomy": "coverage",
    "label_shift": "coverage", "krippendorff_alpha": "agreement", "fleiss_kappa": "agreement",
    "class_agreement": "agreement", "annotator_share": "annotators", "annotator_drift": "annotators",
    "automation_bias": "annotators", "systematic_confusion": "accuracy",
    "label_errors": "label_errors", "split_leakage": "label_errors", "max_split_leakage": "label_errors",
}
_ORDER = {"red": 0, "amber": 1, "grey": 2, "green": 3}


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
    finding: bool = False  # from Evaluation.findings (no gate rule yet), not a gate check


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


def _when(c: Check, period: str) -> str:
    """`` [dates]``: the check's own window when it was judged over one, else the scope's period."""
    if c.window:
        start, _, end = c.window.partition(" to ")
        try:
            return f" [{dt.date.fromisoformat(start):%d %b %Y} – {dt.date.fromisoformat(end):%d %b %Y}]"
        except ValueError:
            return f" [{c.window}]"
    return f" [{period}]"


def _one(c: Check, period: str) -> tuple[str, dict[str, Any]]:
    """(text, link params) of an alert about one judged check."""
    sub, obs = _subject(c), f"({_ci(c)}{_n(c)})"
    s = md_escape(sub)  # alert text is Markdown: data in it is escaped; params keep the raw value
    when = _when(c, period)
    th = f"; threshold {c.threshold}" if c.threshold else ""
    note = f"; {md_escape(c.note)}" if c.note else ""
    if c.rule == "accuracy" and c.scope == "overall":
        return (f"**Accuracy below target**: {_pct(c.value)} stratified by gold class {obs}{th}.{when}", {})
    if c.rule == "accuracy":
        head = "Critical class under target" if c.tier == "critical" else "Class under accuracy target"
        return (f"**{head}: {s}**: accuracy {_pct(c.value)} {obs}{th}{note}.{when}", {"focus": sub})
    if c.rule == "class_agreement":
        return (f"**Class agreement under target: {s}**: specific agreement {_pct(c.value)} {obs}{th}{note}.{when}",
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
    if c.rule == "systematic_confusion":
        true_label = sub.split(" -> ", 1)[0]
        pair = md_escape(sub.replace(" -> ", " → "))
        return (f"**Systematic confusion: {pair}**: {md_escape(c.note or '')} (Bonferroni p = {c.value:.2g}, "
                f"{_n(c)} confused annotations).{when}", {"focus": true_label})
    if c.rule == "automation_bias":
        return (f"**Automation bias: {s}** {md_escape(c.note or '')} (Bonferroni p = {c.value:.2g}).{when}",
                {"annotator": sub})
    if c.rule == "label_shift":
        return (f"**Label distribution shift: batch {s}**: PSI {c.value:.3f} {md_escape(c.note or '')} ({_n(c)} "
                f"annotations){th}.{when}", {})
    if c.rule == "annotator_share":
        return (f"**One annotator dominates batch {s}**: {_pct(c.value)} of its annotations "
                f"({md_escape(c.note or '')}){th}.{when}", {})
    if c.rule == "max_split_leakage":
        what = "exact duplicates" if sub == "content_hash" else f"shared {md_escape(sub)}"
        return (f"**Leakage between splits ({what})**: {int(c.value or 0):,} items share a {md_escape(sub)} with an "
                f"item of another split ({md_escape(c.note or '')}){th}.{when}", {})
    if c.rule == "taxonomy":
        return (f"**Labels outside the taxonomy**: {int(c.value or 0):,} annotations ({md_escape(c.note or '')}).{when}", {})
    return (f"**{c.rule}: {md_escape(c.scope)}**: {c.value} {obs}{th}.{when}", {})


def alerts(ev: Evaluation, limit: dict[str, float] | None = None) -> list[Alert]:
    """The alert list for ``ev`` (most severe first); see the module docstring. ``limit`` is accepted for
    callers of the first version and unused: a check whose whole interval lies past its threshold is judged
    by the thresholds themselves now."""
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
    # not judged, grouped per rule (and per judged period)
    groups: dict[tuple[str, str], list[Check]] = {}
    for c in bad:
        if not c.judged:
            groups.setdefault((c.rule, _when(c, period)), []).append(c)
    for (rule, when), cs in groups.items():
        names = [md_escape(_subject(c)) for c in cs]  # alert text is Markdown: data escaped
        shown = ", ".join(names[:8]) + (f", ... {len(names) - 8} more" if len(names) > 8 else "")
        reasons = "; ".join(sorted({md_escape((c.note or "").split(";")[0].split(" (n=")[0]) for c in cs}))
        what = "overall" if cs[0].scope == "overall" else f"{len(cs)} {cs[0].scope.split(' ', 1)[0]}(s)"
        out.append(Alert(_status(cs), f"**{rule} not judged for {what}**: {reasons}: {shown}.{when}",
                         PAGE_OF_RULE.get(rule, "overview"), {}, tuple((c.rule, c.scope) for c in cs)))
    # findings: signals without a gate rule yet (issue 14: likely label errors)
    for c in ev.findings:
        when = _when(c, period)
        if c.rule == "label_errors":
            text = (f"**Likely label errors**: {_pct(c.value)} of items ({_ci(c)}{_n(c)}): {md_escape(c.note or '')}; "
                    f"threshold {c.threshold} (not a gate rule yet).{when}")
        elif c.rule == "split_leakage":
            text = (f"**Leakage between splits by {md_escape(_subject(c))}**: {md_escape(c.note or '')}; threshold "
                    f"{c.threshold} (not a gate rule yet).{when}")
        else:
            text = f"**{md_escape(c.rule)}: {md_escape(c.scope)}**: {md_escape(c.note or '')} (not a gate rule yet).{when}"
        out.append(Alert(c.status, text, PAGE_OF_RULE.get(c.rule, "overview"), {}, ((c.rule, c.scope),), finding=True))
    out.sort(key=lambda a: _ORDER.get(a.status, 9))
    return out


_PARAM_WORDS = {"focus": "class", "annotator": "annotator"}


def alert_link_label(alert: Alert, page_title: str) -> str:
    """The label of an alert's link: the page and every choice the link sets (``Open Stratified accuracy: class
    emergency_vehicle``), so that a link changes only what it says (no hidden filter, no date range)."""
    # a page link's label is Markdown: the data in it is escaped like the alert text
    said = [f"{_PARAM_WORDS.get(k, k)} {md_escape(v)}" for k, v in alert.params.items() if v is not None]
    return f"Open {page_title}" + (f": {', '.join(said)}" if said else "")
