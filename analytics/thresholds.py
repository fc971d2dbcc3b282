"""Thresholds: the one TOML file (``labelqa.toml``) that colours the dashboard and drives ``labelqa gate``.

A rule compares one number with a limit. Every rule has a fixed direction (``min``: larger is better, or
``max``: smaller is better), a limit, an optional softer ``warn`` level on the same side, a ``severity``
(outcome when the limit is crossed: ``"fail"`` or ``"warn"``) and ``judge``, which number is compared:
the point estimate (``"value"``) or a bound of its confidence interval (``"ci_low"`` / ``"ci_high"``).
Accuracy is judged on the lower bound of the Wilson interval, so a small sample that happens to look
good does not pass.

Tiers: a per-class number is judged with its class tier (``label_classes.tier``: ``critical`` or
``standard``); a number about the whole scope (headline accuracy, alpha, a batch's PSI) with the pseudo-tier
``overall``, which inherits the ``standard`` keys unless ``[rules.<r>.overall]`` overrides them.

Resolution order for one (rule, tier, project), later wins:
built-in ``DEFAULTS`` < file ``[rules.<r>]`` < (``[rules.<r>.standard]`` for ``overall``) <
file ``[rules.<r>.<tier>]`` < ``[project.<p>.rules.<r>]`` < (``...standard``) <
``[project.<p>.rules.<r>.<tier>]``. The file is deep-merged over the defaults first, so a file may hold
only the keys it changes. Settings resolve the same way (``[settings]`` < ``[project.<p>.settings]``).

Colours (``Thresholds.status``): ``green`` within the warn level, ``amber`` warn level crossed, ``red``
limit crossed, ``grey`` not judgeable (value or the judged bound missing/NaN, or ``n < min_n``, which
defaults to ``settings.small_n`` for estimates). Gate outcomes (``Thresholds.judge(...).outcome``):
``pass``; ``warn`` (warn level crossed, or limit crossed with severity warn); ``fail`` (limit crossed
with severity fail); a rule that cannot be judged gets ``settings.not_judged`` (``"warn"`` by default)
with ``judged=False``.

A malformed file raises ``ThresholdsError`` (a ``ValueError``) whose message names the file, the line and
the dotted key.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from analytics.resources import DEFAULT_THRESHOLDS

__all__ = [
    "ThresholdsError",
    "Rule",
    "Judgement",
    "Thresholds",
    "load_thresholds",
    "default_path",
    "RULES",
    "TIERS",
    "STATUS_COLOURS",
    "DEFAULTS",
]

TIERS = ("critical", "standard", "overall")  # class tiers + the pseudo-tier of whole-scope numbers

# Colours for the four statuses (colour-blind-safe-ish; the dashboard may use its own).
STATUS_COLOURS = {"green": "#1a9850", "amber": "#f0a202", "red": "#d73027", "grey": "#9e9e9e"}

# name -> (direction, what the number is, unit). The direction is fixed: a file cannot turn a min rule
# into a max rule.
RULES: dict[str, tuple[str, str]] = {
    "accuracy": ("min", "accuracy vs gold (share of annotations equal to the gold label)"),
    "krippendorff_alpha": ("min", "Krippendorff's alpha (nominal) over all items"),
    "fleiss_kappa": ("min", "Fleiss' kappa over all items"),
    "class_agreement": ("min", "specific (per-class) agreement"),
    "qa_rate": ("min", "share of a class's items checked by QA (gold or review)"),
    "label_shift": ("max", "population stability index of the label distribution vs the previous batch"),
    "annotator_share": ("max", "largest share of the scope's annotations made by one annotator"),
    "taxonomy": ("max", "annotations whose label is not in the project's taxonomy (count)"),
    "gold_items": ("min", "gold items per class (count)"),
    "annotator_drift": ("min", "one-sided p-value of an annotator's accuracy decline vs their baseline"),
}
_RATE_RULES = {"accuracy", "qa_rate", "annotator_share"}  # limits must lie in [0, 1]
_COUNT_RULES = {"taxonomy", "gold_items"}  # limits are counts
_RULE_KEYS = {"enabled", "min", "max", "warn", "severity", "judge", "min_n", "min_count", "description"}
_SETTING_KEYS = {"small_n", "confidence", "not_judged", "drift_baseline_weeks"}

# Built-in defaults; labelqa.toml in the repository root repeats them.
DEFAULTS: dict[str, Any] = {
    "settings": {"small_n": 30, "confidence": 0.95, "not_judged": "warn", "drift_baseline_weeks": 8},
    "rules": {
        "accuracy": {
            "judge": "ci_low",
            "critical": {"min": 0.95, "severity": "fail"},
            "standard": {"min": 0.80, "severity": "warn"},
            "overall": {"min": 0.85, "warn": 0.90, "severity": "fail"},
        },
        "krippendorff_alpha": {"min": 0.667, "warn": 0.80, "severity": "warn"},
        "fleiss_kappa": {"min": 0.41, "warn": 0.61, "severity": "warn"},
        "class_agreement": {"min": 0.60, "severity": "warn", "critical": {"min": 0.70}},
        "qa_rate": {
            "min_n": 0,
            "critical": {"min": 0.10, "min_count": 30, "severity": "fail"},
            "standard": {"min": 0.05, "min_count": 0, "severity": "warn"},
        },
        "label_shift": {"max": 0.25, "warn": 0.10, "severity": "fail"},
        "annotator_share": {"max": 0.35, "severity": "warn", "min_n": 0},
        "taxonomy": {"max": 0, "severity": "fail", "min_n": 0},
        "gold_items": {"min_n": 0, "severity": "fail", "critical": {"min": 30}, "standard": {"enabled": False}},
        "annotator_drift": {"min": 0.01, "severity": "warn", "min_n": 20},
    },
}


class ThresholdsError(ValueError):
    """A malformed thresholds file; the message names the file, line and dotted key."""


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

    def limit_for(self, n: int | None = None) -> float | None:
        """The limit for a scope with ``n`` units (only ``qa_rate``'s ``min_count`` depends on ``n``)."""
        if self.limit is None:
            return None
        if self.min_count and n:
            return max(self.limit, min(self.min_count, n) / n)
        return self.limit

    def target(self) -> float | None:
        """The green boundary: the warn level when set, else the limit."""
        return self.warn if self.warn is not None else self.limit

    def crossed(self, x: float, level: float) -> bool:
        return x < level if self.direction == "min" else x > level

    def describe(self, n: int | None = None) -> str:
        """Human-readable threshold, e.g. ``ci_low >= 0.95`` or ``<= 0.25 (warn > 0.1)``."""
        if not self.enabled or self.limit is None:
            return "disabled"
        op = ">=" if self.direction == "min" else "<="
        subject = "" if self.judge == "value" else f"{self.judge} "
        text = f"{subject}{op} {_fmt(self.limit_for(n))}"
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


# ---------------------------------------------------------------------------------------------- lines
_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(s: str) -> list[str] | None:
    """Split a TOML dotted key (bare or quoted parts); ``None`` if it is not one."""
    parts, i, s = [], 0, s.strip()
    while i < len(s):
        while i < len(s) and s[i] in " \t":
            i += 1
        if i >= len(s):
            break
        if s[i] in "\"'":
            q = s[i]
            j = s.find(q, i + 1)
            if j < 0:
                return None
            parts.append(s[i + 1:j])
            i = j + 1
        else:
            m = _BARE.match(s, i)
            if not m:
                return None
            parts.append(m.group(0))
            i = m.end()
        while i < len(s) and s[i] in " \t":
            i += 1
        if i < len(s):
            if s[i] != ".":
                return None
            i += 1
    return parts


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map every table header and key of a TOML text to its 1-based line (first occurrence)."""
    out: dict[tuple[str, ...], int] = {}
    table: list[str] = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            inner = line.lstrip("[").split("]", 1)[0]
            parts = _split_key(inner)
            if parts is not None:
                table = parts
                out.setdefault(tuple(table), no)
            continue
        if "=" in line:
            parts = _split_key(line.split("=", 1)[0])
            if parts:
                for k in range(1, len(parts) + 1):
                    out.setdefault(tuple(table + parts[:k]), no)
    return out


class _Source:
    """Where the file's keys are, to name the line in error messages."""

    def __init__(self, path: Path | None, text: str | None):
        self.path = path
        self.lines = _key_lines(text) if text else {}

    def error(self, key: tuple[str, ...], message: str) -> ThresholdsError:
        dotted = ".".join(key)
        line = None
        for k in range(len(key), 0, -1):  # the key itself, else the nearest table that holds it
            if key[:k] in self.lines:
                line = self.lines[key[:k]]
                break
        where = str(self.path) if self.path else "thresholds"
        if line is not None and self.path is not None:
            where += f", line {line}"
        elif self.path is None:
            where = "built-in thresholds"
        return ThresholdsError(f"{where}: {dotted}: {message}")


# ------------------------------------------------------------------------------------------ validation
def _check_number(src: _Source, key: tuple[str, ...], v: Any, integer: bool = False) -> None:
    ok = isinstance(v, int) if integer else isinstance(v, (int, float))
    if isinstance(v, bool) or not ok or (isinstance(v, float) and not math.isfinite(v)):
        want = "an integer" if integer else "a finite number"
        raise src.error(key, f"expected {want}, got {v!r}")


def _check_rule_table(src: _Source, key: tuple[str, ...], name: str, table: Any, tier_level: bool) -> None:
    if not isinstance(table, dict):
        raise src.error(key, f"expected a table of rule settings, got {table!r}")
    direction = RULES[name][0]
    for k, v in table.items():
        kk = key + (k,)
        if k in TIERS and not tier_level:
            _check_rule_table(src, kk, name, v, tier_level=True)
            continue
        if k not in _RULE_KEYS:
            allowed = sorted(_RULE_KEYS | (set() if tier_level else set(TIERS)))
            raise src.error(kk, f"unknown key {k!r} for rule {name!r}; allowed: {', '.join(allowed)}")
        if k in ("min", "max"):
            if k != direction:
                raise src.error(kk, f"rule {name!r} is a {direction!r} rule (larger is "
                                    f"{'better' if direction == 'min' else 'worse'}); use {direction!r}, not {k!r}")
            _check_number(src, kk, v)
        elif k == "warn":
            _check_number(src, kk, v)
        elif k in ("min_n", "min_count"):
            _check_number(src, kk, v, integer=True)
            if v < 0:
                raise src.error(kk, f"must be >= 0, got {v}")
            if k == "min_count" and name != "qa_rate":
                raise src.error(kk, "min_count only applies to rule 'qa_rate'")
        elif k == "severity":
            if v not in ("warn", "fail"):
                raise src.error(kk, f"severity must be 'warn' or 'fail', got {v!r}")
        elif k == "judge":
            if v not in ("value", "ci_low", "ci_high"):
                raise src.error(kk, f"judge must be 'value', 'ci_low' or 'ci_high', got {v!r}")
        elif k == "enabled":
            if not isinstance(v, bool):
                raise src.error(kk, f"expected true or false, got {v!r}")
        elif k == "description":
            if not isinstance(v, str):
                raise src.error(kk, f"expected a string, got {v!r}")
        if k in ("min", "max", "warn") and name in _RATE_RULES and not 0 <= v <= 1:
            raise src.error(kk, f"{name} is a proportion: {k} must lie in [0, 1], got {v}")
        if k in ("min", "max", "warn") and name in _COUNT_RULES and v < 0:
            raise src.error(kk, f"{name} is a count: {k} must be >= 0, got {v}")


def _check_settings(src: _Source, key: tuple[str, ...], table: Any) -> None:
    if not isinstance(table, dict):
        raise src.error(key, f"expected a table, got {table!r}")
    for k, v in table.items():
        kk = key + (k,)
        if k not in _SETTING_KEYS:
            raise src.error(kk, f"unknown setting {k!r}; allowed: {', '.join(sorted(_SETTING_KEYS))}")
        if k in ("small_n", "drift_baseline_weeks"):
            _check_number(src, kk, v, integer=True)
            if v < (1 if k == "drift_baseline_weeks" else 0):
                raise src.error(kk, f"must be positive, got {v}")
        elif k == "confidence":
            _check_number(src, kk, v)
            if not 0 < v < 1:
                raise src.error(kk, f"confidence must lie in (0, 1), got {v}")
        elif k == "not_judged":
            if v not in ("warn", "fail", "pass"):
                raise src.error(kk, f"not_judged must be 'warn', 'fail' or 'pass', got {v!r}")


def _check_rules(src: _Source, key: tuple[str, ...], rules: Any) -> None:
    if not isinstance(rules, dict):
        raise src.error(key, f"expected a table of rules, got {rules!r}")
    for name, table in rules.items():
        if name not in RULES:
            raise src.error(key + (name,), f"unknown rule {name!r}; known rules: {', '.join(RULES)}")
        _check_rule_table(src, key + (name,), name, table, tier_level=False)


def _check_document(src: _Source, doc: Mapping[str, Any]) -> None:
    for k, v in doc.items():
        if k == "settings":
            _check_settings(src, ("settings",), v)
        elif k == "rules":
            _check_rules(src, ("rules",), v)
        elif k == "project":
            if not isinstance(v, dict):
                raise src.error(("project",), "expected tables [project.<project_id>]")
            for pid, ptab in v.items():
                pk = ("project", pid)
                if not isinstance(ptab, dict):
                    raise src.error(pk, f"expected a table, got {ptab!r}")
                for kk, vv in ptab.items():
                    if kk == "settings":
                        _check_settings(src, pk + ("settings",), vv)
                    elif kk == "rules":
                        _check_rules(src, pk + ("rules",), vv)
                    else:
                        raise src.error(pk + (kk,), f"unknown key {kk!r} in a project table; allowed: settings, rules")
        else:
            raise src.error((k,), f"unknown top-level key {k!r}; allowed: settings, rules, project")


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


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
              n: int | None = None, tier: str | None = "standard", project: str | None = None) -> Judgement:
        """Judge one number against a rule; see the module docstring for the colours and outcomes."""
        r = self.rule(rule, tier, project)
        not_judged = self.setting("not_judged", project)
        limit = r.limit_for(n)

        def grey(reason: str) -> Judgement:
            return Judgement(rule, "grey", not_judged, False, None, limit, r.warn, r.severity, reason)

        if not r.enabled:
            return Judgement(rule, "grey", "pass", False, None, None, None, r.severity, "rule disabled")
        if _nan(value):
            return grey("no value")
        if n is not None and n < r.min_n:
            return grey(f"too few units (n={n} < {r.min_n})")
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

    def status(self, rule: str, value: float | None, ci_low: float | None = None, ci_high: float | None = None,
               n: int | None = None, tier: str | None = "standard", project: str | None = None) -> str:
        """Dashboard colour of a number: 'green' | 'amber' | 'red' | 'grey' (grey = not judgeable)."""
        return self.judge(rule, value, ci_low, ci_high, n, tier, project).status

    def as_dict(self) -> dict[str, Any]:
        """The merged document (defaults + file), e.g. to show in the dashboard."""
        return copy.deepcopy(self._doc)

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
