"""Resolved thresholds: ``Rule`` (one rule for a tier and project), ``Judgement`` (the verdict on one number),
``Thresholds`` and ``load_thresholds``. See ``analytics.thresholds`` (which re-exports this module) for the file's
resolution order, colours and outcomes."""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from analytics.quality.config_file import (
    DEFAULTS, RULES, TIERS, ThresholdsError, _COUNT_RULES, _SETTING_KEYS, _Source, _check_document, _deep_merge,
)
from analytics.resources import DEFAULT_THRESHOLDS

@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule resolved for a (tier, project).

    ``limit`` is the ``min`` or ``max`` of the file; ``warn`` the optional softer level (``None``: none);
    ``min_count`` (``qa_rate`` only) raises the required rate for rare classes to
    ``min(min_count, n) / n`` where ``n`` is the number of items of the class.
    """

    name: str
    direction: str  # 'min' | 'max'
    limit: float | None
    warn: float | None = None
    severity: str = "fail"
    judge: str = "value"
    min_n: int = 30
    min_count: int = 0
    enabled: bool = True
    tier: str = "standard"
    project: str | None = None
    description: str = ""

    def limit_for(self, n: int | None = None, scale: float = 1.0) -> float | None:
        """The limit for a scope with ``n`` units (only ``qa_rate``'s ``min_count`` depends on ``n``).

        ``scale`` (0..1] shrinks count minimums (a count rule's limit, ``min_count``) in proportion: the share
        of the rolling window that has data (``settings.window_weeks``; a project's first weeks)."""
        if self.limit is None:
            return None
        if self.min_count and n:
            return max(self.limit, min(self.min_count * scale, n) / n)
        if scale != 1.0 and self.name in _COUNT_RULES and self.direction == "min":
            return self.limit * scale
        return self.limit

    def target(self) -> float | None:
        """The green boundary: the warn level when set, else the limit."""
        return self.warn if self.warn is not None else self.limit

    def crossed(self, x: float, level: float) -> bool:
        return x < level if self.direction == "min" else x > level

    def describe(self, n: int | None = None, scale: float = 1.0) -> str:
        """Human-readable threshold, e.g. ``ci_low >= 0.95`` or ``<= 0.25 (warn > 0.1)``."""
        if not self.enabled or self.limit is None:
            return "disabled"
        op = ">=" if self.direction == "min" else "<="
        if self.judge == "interval":
            worst, best = ("ci_high", "ci_low") if self.direction == "min" else ("ci_low", "ci_high")
            text = f"{worst} {op} {_fmt(self.limit_for(n, scale))}"
            return text + f" (warn {best} {'<' if self.direction == 'min' else '>'} {_fmt(self.target())})"
        subject = "" if self.judge == "value" else f"{self.judge} "
        text = f"{subject}{op} {_fmt(self.limit_for(n, scale))}"
        if self.warn is not None:
            wop = "<" if self.direction == "min" else ">"
            text += f" (warn {wop} {_fmt(self.warn)})"
        return text


@dataclasses.dataclass(frozen=True)
class Judgement:
    """The verdict of one rule on one number.

    ``status``: green | amber | red | grey (dashboard colour). ``outcome``: pass | warn | fail (gate).
    ``judged`` is False when the number could not be judged; ``reason`` then says why.
    ``compared`` is the number that was compared (the value or an interval bound), ``limit`` the
    limit applied (after ``min_count``).
    """

    rule: str
    status: str
    outcome: str
    judged: bool
    compared: float | None
    limit: float | None
    warn: float | None
    severity: str
    reason: str | None = None


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if float(x).is_integer() and abs(x) >= 1:
        return str(int(x))
    return f"{x:.3g}"


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def default_path() -> Path:
    """``$LABELQA_THRESHOLDS`` if set, else ``./labelqa.toml`` when the working directory has one, else
    the defaults shipped with the package (``analytics/labelqa.toml``, the repository's ``labelqa.toml``)."""
    env = os.environ.get("LABELQA_THRESHOLDS")
    if env:
        return Path(env)
    local = Path.cwd() / "labelqa.toml"
    if local.is_file():
        return local
    return DEFAULT_THRESHOLDS


# ------------------------------------------------------------------------------------------ thresholds
class Thresholds:
    """Resolved thresholds: rules per tier and project, settings, and the verdict on a number.

    Build with ``load_thresholds``. ``status(...)`` gives the dashboard colour, ``judge(...)`` the full
    verdict (the gate uses it), ``rule(...)`` the resolved rule (limit, warn level, target).
    """

    def __init__(self, doc: Mapping[str, Any], path: Path | None = None, text: str | None = None):
        src = _Source(path, text)
        _check_document(src, doc)
        self.path = path
        self._src = src
        self._doc = _deep_merge(DEFAULTS, doc)
        self._cache: dict[tuple[str, str, str | None], Rule] = {}
        # Resolve everything once so that inconsistent combinations fail at load time, not mid-gate.
        projects = [None, *self.projects]
        for p in projects:
            self._settings(p)
            for name in RULES:
                for tier in TIERS:
                    self.rule(name, tier, p)

    @property
    def projects(self) -> list[str]:
        """Project ids that have overrides."""
        return list(self._doc.get("project", {}))

    def _settings(self, project: str | None) -> dict[str, Any]:
        s = dict(self._doc["settings"])
        if project is not None:
            s.update(self._doc.get("project", {}).get(project, {}).get("settings", {}))
        return s

    def setting(self, key: str, project: str | None = None) -> Any:
        if key not in _SETTING_KEYS:
            raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(_SETTING_KEYS))}")
        return self._settings(project)[key]

    def small_n(self, project: str | None = None) -> int:
        return int(self.setting("small_n", project))

    def confidence(self, project: str | None = None) -> float:
        return float(self.setting("confidence", project))

    def drift_alpha(self, project: str | None = None) -> float:
        """Significance level of the annotator-drift test (the ``annotator_drift`` rule's ``min``)."""
        return float(self.rule("annotator_drift", "standard", project).limit)

    def rule(self, name: str, tier: str | None = "standard", project: str | None = None) -> Rule:
        """The rule ``name`` resolved for a tier ('critical' | 'standard' | 'overall'; unknown or None count as
        'standard') and project (None: no project overrides)."""
        if name not in RULES:
            raise ValueError(f"unknown rule {name!r}; known rules: {', '.join(RULES)}")
        tier = tier if tier in TIERS else "standard"
        key = (name, tier, project)
        if key in self._cache:
            return self._cache[key]
        layers: list[tuple[tuple[str, ...], Mapping[str, Any]]] = []
        base = self._doc["rules"].get(name, {})
        chain = ("standard", "overall") if tier == "overall" else (tier,)
        layers += [(("rules", name), base), *[(("rules", name, t), base.get(t, {})) for t in chain]]
        ptab = self._doc.get("project", {}).get(project, {}) if project is not None else {}
        pbase = ptab.get("rules", {}).get(name, {})
        layers += [(("project", project, "rules", name), pbase),
                   *[(("project", project, "rules", name, t), pbase.get(t, {})) for t in chain]]
        vals: dict[str, Any] = {}
        where: dict[str, tuple[str, ...]] = {}
        for lk, table in layers:
            for k, v in table.items():
                if k not in TIERS:
                    vals[k], where[k] = v, lk + (k,)
        direction = RULES[name][0]
        small_n = self.small_n(project)
        r = Rule(
            name=name,
            direction=direction,
            limit=None if vals.get(direction) is None else float(vals[direction]),
            warn=None if vals.get("warn") is None else float(vals["warn"]),
            severity=vals.get("severity", "fail"),
            judge=vals.get("judge", "value"),
            min_n=int(vals.get("min_n", small_n)),
            min_count=int(vals.get("min_count", 0)),
            enabled=bool(vals.get("enabled", True)),
            tier=tier,
            project=project,
            description=vals.get("description", RULES[name][1]),
        )
        if r.enabled and r.limit is None:
            raise self._src.error(("rules", name, tier), f"rule {name!r} has no {direction!r} for tier {tier!r}"
                                  + (f" in project {project!r}" if project else "")
                                  + " (set it, or enabled = false)")
        if r.enabled and r.warn is not None and r.crossed(r.warn, r.limit):
            side = "at or above" if direction == "min" else "at or below"
            raise self._src.error(where["warn"], f"warn level {_fmt(r.warn)} must be {side} the {direction} "
                                  f"{_fmt(r.limit)} (tier {tier!r}{', project ' + repr(project) if project else ''})")
        self._cache[key] = r
        return r

    def target(self, name: str, tier: str | None = "standard", project: str | None = None) -> float | None:
        """The level a number must reach to be green (the warn level when set, else the limit)."""
        return self.rule(name, tier, project).target()

    def limit(self, name: str, tier: str | None = "standard", project: str | None = None) -> float | None:
        """The limit whose crossing gives the rule's severity."""
        return self.rule(name, tier, project).limit

    def judge(self, rule: str, value: float | None, ci_low: float | None = None, ci_high: float | None = None,
              n: int | None = None, tier: str | None = "standard", project: str | None = None,
              scale: float = 1.0) -> Judgement:
        """Judge one number against a rule; see the module docstring for the colours and outcomes (``scale``:
        ``Rule.limit_for``)."""
        r = self.rule(rule, tier, project)
        not_judged = self.setting("not_judged", project)
        limit = r.limit_for(n, scale)

        def grey(reason: str) -> Judgement:
            return Judgement(rule, "grey", not_judged, False, None, limit, r.warn, r.severity, reason)

        if not r.enabled:
            return Judgement(rule, "grey", "pass", False, None, None, None, r.severity, "rule disabled")
        if _nan(value):
            return grey("no value")
        if n is not None and n < r.min_n:
            # Too few units for the usual reading, but an interval that lies wholly on one side of the
            # threshold decides whatever its n (issue 9: 45.8%, CI 27.9-64.9%, n = 24 vs a 95% target fails).
            decided = self._decisive(r, limit, ci_low, ci_high)
            if decided is None:
                return grey(f"too few units (n={n} < {r.min_n})")
            status, outcome, bound = decided
            side = "under" if (r.direction == "min") == (outcome != "pass") else "over"
            return Judgement(rule, status, outcome, True, bound, limit, r.warn, r.severity,
                             f"n={n} < {r.min_n}, judged because its whole interval lies {side} the "
                             f"{'limit' if outcome != 'pass' else 'target'}")
        if r.judge == "interval":
            # The severity only when the whole interval lies past the limit (the data show it is worse), a
            # warning when it reaches past the target (not shown to be good enough): never red from n alone.
            if _nan(ci_low) or _nan(ci_high):
                return grey("no confidence interval to judge on")
            worst, best = (float(ci_high), float(ci_low)) if r.direction == "min" else (float(ci_low), float(ci_high))
            if r.crossed(worst, limit):
                return Judgement(rule, "red", r.severity, True, worst, limit, r.warn, r.severity)
            if r.crossed(best, r.target() if r.warn is not None else limit):
                return Judgement(rule, "amber", "warn", True, best, limit, r.warn, r.severity)
            return Judgement(rule, "green", "pass", True, best, limit, r.warn, r.severity)
        compared = {"value": value, "ci_low": ci_low, "ci_high": ci_high}[r.judge]
        if _nan(compared):
            return grey(f"no confidence interval ({r.judge}) to judge on")
        compared = float(compared)
        if r.crossed(compared, limit):
            status, outcome = "red", r.severity
        elif r.warn is not None and r.crossed(compared, r.warn):
            status, outcome = "amber", "warn"
        else:
            status, outcome = "green", "pass"
        return Judgement(rule, status, outcome, True, compared, limit, r.warn, r.severity)

    @staticmethod
    def _decisive(r: Rule, limit: float | None, ci_low: float | None, ci_high: float | None):
        """``(status, outcome, bound)`` when the interval ``[ci_low, ci_high]`` lies wholly past the limit (red,
        the rule's severity) or wholly within the target (green, pass); None when it straddles either or is
        missing."""
        if _nan(ci_low) or _nan(ci_high) or limit is None:
            return None
        lo, hi = float(ci_low), float(ci_high)
        worst, best = (hi, lo) if r.direction == "min" else (lo, hi)
        if r.crossed(worst, limit):
            return "red", r.severity, worst
        target = r.warn if r.warn is not None else limit
        if not r.crossed(best, target):
            return "green", "pass", best
        return None

    def status(self, rule: str, value: float | None, ci_low: float | None = None, ci_high: float | None = None,
               n: int | None = None, tier: str | None = "standard", project: str | None = None) -> str:
        """Dashboard colour of a number: 'green' | 'amber' | 'red' | 'grey' (grey = not judgeable)."""
        return self.judge(rule, value, ci_low, ci_high, n, tier, project).status

    def as_dict(self) -> dict[str, Any]:
        """The merged document (defaults + file), e.g. to show in the dashboard."""
        return copy.deepcopy(self._doc)

    @property
    def key(self) -> str:
        """A digest of the merged document: equal for equal rules, different after any edit of the file (a cache
        key for results judged against these thresholds; the path alone stays the same when the file changes)."""
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self._doc, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"Thresholds(path={str(self.path) if self.path else None!r}, projects={self.projects})"


_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Load thresholds from ``path`` (default: ``$LABELQA_THRESHOLDS``, ``./labelqa.toml`` or the packaged defaults).

    A missing default file gives the built-in ``DEFAULTS``; a missing explicit file, a TOML syntax error,
    an unknown key or a wrong type raises ``ThresholdsError`` naming the file, line and key.
    """
    explicit = path is not None or bool(os.environ.get("LABELQA_THRESHOLDS"))
    p = Path(path) if path is not None else default_path()
    if not p.is_file():
        if explicit:
            raise ThresholdsError(f"thresholds file {p} not found")
        return Thresholds({}, None, None)
    text = p.read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _LINE.search(msg)
        if m is None and "(at end of document)" in msg:  # e.g. an unclosed array: the error is on the last line
            last = max(1, len(text.rstrip("\n").splitlines()))
            raise ThresholdsError(f"{p}, line {last}: TOML syntax error: {msg.replace('(at end of document)', '').strip()} "
                                  f"(at end of file)") from None
        if m:
            lineno = int(m.group(1))
            lines = text.splitlines()
            shown = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
            raise ThresholdsError(f"{p}, line {lineno}: TOML syntax error: {_LINE.sub('', msg).strip()} "
                                  f"(column {m.group(2)}): {shown!r}") from None
        raise ThresholdsError(f"{p}: TOML syntax error: {msg}") from None
    return Thresholds(doc, p, text)
