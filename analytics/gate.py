"""The quality gate: the CLI side of the quality layer. ``analytics.quality.evaluate`` judges every rule of
``labelqa.toml`` on a project (a batch, or a date range); this module renders that evaluation as a text
table, JSON or JUnit XML and gives the exit code.

``evaluate_gate(engine, project_id, batch_id=None, since=None, thresholds=None) -> GateResult`` (a thin
wrapper over ``analytics.quality.evaluate``; ``GateResult`` is ``analytics.quality.Evaluation``).
``GateResult.exit_code`` is 0 when no check fails and 1 when one does (``labelqa gate`` returns 2 itself
for usage and config errors). The rules and what each check compares are listed in
``analytics.quality.evaluation``.
"""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

from sqlalchemy.engine import Connection, Engine

from analytics.quality import (
    OUTCOMES, Check, GateResult, GateScope, ScopeRequest, class_tiers, evaluate, population_stability_index,
    project_batches, project_row, resolve_scope,
)
from analytics.thresholds import Thresholds

__all__ = [
    "Check",
    "GateResult",
    "GateScope",
    "evaluate_gate",
    "resolve_scope",
    "project_row",
    "project_batches",
    "class_tiers",
    "population_stability_index",
    "format_observed",
    "render_text",
    "render_json",
    "render_junit",
    "OUTCOMES",
]


# --------------------------------------------------------------------------------------------- gate
def evaluate_gate(engine: Engine | Connection, project_id: str, batch_id: str | None = None,
                  since: dt.date | str | None = None, thresholds: Thresholds | str | None = None,
                  until: dt.date | str | None = None) -> GateResult:
    """``analytics.quality.evaluate`` on a batch (``batch_id``), a date range (``since``/``until``) or the
    whole project. Raises ``ValueError`` for an unknown project/batch or a bad date, ``ThresholdsError`` for
    a bad config."""
    return evaluate(engine, project_id, ScopeRequest(batch_id=batch_id, since=since, until=until), thresholds)


# ------------------------------------------------------------------------------------------ renderers
def format_observed(c: Check) -> str:
    """``0.941 (0.932-0.950) n=2,345``, ``3 n=12,000``, ``p=0.0004 n=80``, or ``- (reason)``."""
    n = f" n={c.n:,}" if c.n is not None else ""
    if c.value is None:
        return f"-{n}"
    if c.kind == "count":
        v = f"{int(c.value):,}"
    elif c.kind == "p_value":
        v = f"p={c.value:.2g}" if c.value < 0.001 else f"p={c.value:.3f}"
    else:
        v = f"{c.value:.3f}"
    if c.ci_low is not None and c.ci_high is not None:
        v += f" ({c.ci_low:.3f}-{c.ci_high:.3f})"
    return v + n


_MARK = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}


def _short_path(path: str) -> str:
    """The path relative to the working directory when it lies below it (shorter CI logs)."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def render_text(result: GateResult, verbose: bool = False) -> str:
    """A fixed-width table: rule, scope, observed (value, interval, n), threshold, result (+ note).

    Without ``verbose``, passing per-class / per-batch / per-annotator rows are summarised as one line a rule,
    and so are the ones that could not be judged (with their reason); overall rows and everything judged
    to warn or fail are always listed. ``verbose`` lists every check.
    """
    head = (f"LabelQA gate - project {result.project_id}, {result.scope}"
            + (f" - thresholds {_short_path(result.thresholds_path)}" if result.thresholds_path
               else " - built-in thresholds"))
    rows: list[tuple[str, str, str, str, str, str]] = []
    order = {"fail": 0, "warn": 1, "pass": 2}
    rules: list[str] = []
    for c in result.checks:
        if c.rule not in rules:
            rules.append(c.rule)
    for rule in rules:
        checks = sorted(result.by_rule(rule), key=lambda c: (c.scope != "overall", order[c.outcome], not c.judged))
        passed, unjudged = 0, []
        for c in checks:
            if not verbose and c.scope != "overall":
                if c.outcome == "pass":
                    passed += 1
                    continue
                if not c.judged:
                    unjudged.append(c)
                    continue
            scope = c.scope + (" [critical]" if c.tier == "critical" else "")
            res = _MARK[c.outcome] + ("" if c.judged else " (not judged)")
            rows.append((c.rule, scope, format_observed(c), c.threshold, res, c.note or ""))
        for outcome in ("fail", "warn"):
            group = [c for c in unjudged if c.outcome == outcome]
            if group:
                names = [c.scope.split(" ", 1)[-1] for c in group]
                shown = ", ".join(names[:6]) + (f", ... {len(names) - 6} more" if len(names) > 6 else "")
                kind = group[0].scope.split(" ", 1)[0] if " " in group[0].scope else "scope"
                reasons = sorted({(c.note or "").split(";")[0].split(" (n=")[0] for c in group})
                rows.append((rule, f"{len(group)} {kind}{'es' if kind == 'class' else 's'} not judged", "", "",
                             _MARK[outcome] + " (not judged)", f"{'; '.join(reasons)}: {shown}"))
        if passed:
            rows.append((rule, f"... {passed} more pass", "", "", "pass", ""))
    cols = ("RULE", "SCOPE", "OBSERVED", "THRESHOLD", "RESULT", "NOTE")
    widths = [max(len(cols[i]), *(len(r[i]) for r in rows)) if rows else len(cols[i]) for i in range(5)]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join(r[i].ljust(widths[i]) for i in range(5)) + ("  " + r[5] if r[5] else "")

    out = [head, "", line(cols).rstrip(), "  ".join("-" * w for w in widths)]
    out += [line(r).rstrip() for r in rows]
    k = result.counts
    verdict = {"fail": "FAIL (exit 1)", "warn": "PASS with warnings (exit 0)", "pass": "PASS (exit 0)"}[result.outcome]
    out += ["", f"{k['total']} checks: {k['pass']} pass, {k['warn']} warn, {k['fail']} fail "
                f"({k['not_judged']} not judged) -> {verdict}"]
    return "\n".join(out) + "\n"


def render_json(result: GateResult) -> str:
    return json.dumps(result.as_dict(), indent=2) + "\n"


def render_junit(result: GateResult) -> str:
    """JUnit XML (the Jenkins xUnit ``junit-10.xsd`` dialect GitLab, GitHub and Jenkins read).

    One ``testcase`` a check (classname ``labelqa.gate.<rule>``, name = scope). ``fail`` -> ``<failure>``;
    a check that could not be judged -> ``<skipped>`` (or ``<failure>`` if ``not_judged = "fail"``); a judged
    ``warn`` passes with a ``WARN`` line in ``<system-out>`` (JUnit has no warning state).
    """
    k = result.counts
    skipped = sum(1 for c in result.checks if not c.judged and c.outcome != "fail")
    suites = ET.Element("testsuites", name="labelqa gate", tests=str(k["total"]), failures=str(k["fail"]),
                        errors="0", time="0")
    suite = ET.SubElement(suites, "testsuite", name=f"labelqa gate: {result.project_id} ({result.scope})",
                          tests=str(k["total"]), failures=str(k["fail"]), errors="0", skipped=str(skipped),
                          time="0", timestamp=result.generated_at[:19])
    props = ET.SubElement(suite, "properties")
    for name, value in (("project", result.project_id), ("scope", result.scope),
                        ("thresholds", result.thresholds_path or "built-in"), ("outcome", result.outcome)):
        ET.SubElement(props, "property", name=name, value=value)
    for c in result.checks:
        tc = ET.SubElement(suite, "testcase", classname=f"labelqa.gate.{c.rule}", name=c.scope, time="0")
        detail = (f"{c.rule} on {c.scope} ({c.tier}): observed {format_observed(c)}; threshold {c.threshold}"
                  + (f"; {c.note}" if c.note else ""))
        if c.outcome == "fail":
            f = ET.SubElement(tc, "failure", type="not_judged" if not c.judged else "threshold",
                              message=f"{format_observed(c)} violates {c.threshold}" if c.judged
                              else f"not judged: {c.note}")
            f.text = detail
        elif not c.judged:
            ET.SubElement(tc, "skipped", message=f"not judged: {c.note}")
            ET.SubElement(tc, "system-out").text = detail
        else:
            ET.SubElement(tc, "system-out").text = ("WARN: " if c.outcome == "warn" else "") + detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
