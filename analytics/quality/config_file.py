"""The thresholds file's vocabulary and its validation: rule names and directions, tiers, settings, the
built-in ``DEFAULTS``, and the checks that make a malformed ``labelqa.toml`` raise ``ThresholdsError`` naming
the file, the line and the dotted key. ``analytics.quality.config`` resolves and applies the rules;
``analytics.thresholds`` re-exports both."""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any, Mapping

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
    "systematic_confusion": ("min", "Bonferroni-adjusted p-value that a frequent confusion is concentrated in one "
                                    "team, annotator or item condition"),
    "automation_bias": ("min", "Bonferroni-adjusted one-sided p-value that an annotator accepts wrong pre-labels "
                               "more often than their peers"),
    "max_split_leakage": ("max", "items of the scope whose fingerprint (content_hash; tier standard: near_dup_key, "
                                 "group_id) also occurs in another split (count)"),
    # preference projects (issue 12; analytics/kinds/preference/rules.py), judged per dimension
    "preference_agreement": ("min", "percent agreement without ties between judges of a pair (MT-Bench)"),
    "preference_position_bias": ("max", "|share choosing the first-shown response - 0.5|"),
    "preference_length_bias": ("max", "|share choosing the longer response - 0.5|"),
    "preference_tie_rate": ("max", "share of tie judgments"),
    "preference_cycle_rate": ("max", "share of cyclic triads in the majority preference graph of the compared objects"),
    "preference_clean_share": ("min", "share of pairs in the clean set (analytics/kinds/preference/clean_set.py)"),
    "preference_gold_pairs": ("min", "gold (expert-adjudicated) pairs per dimension (count)"),
    "preference_max_flip_rate": ("max", "share of a judge's pairs seen in both orders whose verdict reversed a <-> b "
                                        "(analytics/kinds/preference/swap.py)"),
    # region kinds (issue 13; analytics/kinds/region_rules.py): spans, boxes per class / annotator, multilabel
    "region_f1": ("min", "pairwise F1 between annotators per class (spans: identical spans; boxes: IoU-matched)"),
    "region_size_bias": ("max", "|mean log(area annotated / area gold)| of an annotator's matched boxes"),
    "region_miss_rate": ("max", "share of a class's gold regions an annotator left out"),
    "masi_alpha": ("min", "Krippendorff's alpha with the MASI distance over label sets"),
}
_RATE_RULES = {"accuracy", "qa_rate", "annotator_share", "preference_agreement", "preference_tie_rate",
               "preference_cycle_rate", "preference_clean_share", "preference_max_flip_rate", "region_f1",
               "region_miss_rate"}  # limits must lie in [0, 1]
_COUNT_RULES = {"taxonomy", "gold_items", "preference_gold_pairs", "max_split_leakage"}  # limits are counts
_RULE_KEYS = {"enabled", "min", "max", "warn", "severity", "judge", "min_n", "min_count", "description"}
_SETTING_KEYS = {"small_n", "confidence", "not_judged", "drift_baseline_weeks", "window_weeks", "habit_weeks"}

# Built-in defaults; labelqa.toml in the repository root repeats them.
DEFAULTS: dict[str, Any] = {
    "settings": {"small_n": 30, "confidence": 0.95, "not_judged": "warn", "drift_baseline_weeks": 8,
                 "window_weeks": 8, "habit_weeks": 26},
    "rules": {
        "accuracy": {
            "judge": "ci_low",
            "critical": {"min": 0.95, "severity": "fail"},
            "standard": {"min": 0.80, "severity": "warn"},
            "overall": {"min": 0.85, "warn": 0.90, "severity": "fail", "judge": "interval"},
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
        "systematic_confusion": {"min": 0.05, "severity": "warn", "min_n": 5},
        "automation_bias": {"min": 0.05, "severity": "warn", "min_n": 10},
        "max_split_leakage": {"max": 0, "severity": "warn", "min_n": 0, "overall": {"severity": "fail"}},
        "preference_agreement": {"min": 0.60, "warn": 0.65, "severity": "warn", "judge": "ci_low"},
        "preference_position_bias": {"max": 0.10, "warn": 0.05, "severity": "warn", "judge": "ci_low"},
        "preference_length_bias": {"max": 0.15, "warn": 0.10, "severity": "warn", "judge": "ci_low"},
        "preference_tie_rate": {"max": 0.40, "warn": 0.25, "severity": "warn", "judge": "ci_low"},
        "preference_cycle_rate": {"max": 0.10, "warn": 0.05, "severity": "warn", "min_n": 1},
        "preference_clean_share": {"min": 0.30, "warn": 0.50, "severity": "warn", "min_n": 1},
        "preference_gold_pairs": {"min": 30, "severity": "warn", "min_n": 0},
        "preference_max_flip_rate": {"max": 0.20, "warn": 0.10, "severity": "warn", "judge": "ci_low"},
        "region_f1": {"judge": "ci_low", "min": 0.70, "severity": "warn",
                      "critical": {"min": 0.80, "severity": "fail"}},
        "region_size_bias": {"max": 0.10, "warn": 0.05, "severity": "fail", "judge": "ci_low"},
        "region_miss_rate": {"judge": "ci_low", "severity": "fail", "critical": {"max": 0.10},
                             "standard": {"enabled": False}},
        "masi_alpha": {"min": 0.667, "warn": 0.80, "severity": "warn", "judge": "ci_low"},
    },
}


class ThresholdsError(ValueError):
    """A malformed thresholds file; the message names the file, line and dotted key."""



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
            if v not in ("value", "ci_low", "ci_high", "interval"):
                raise src.error(kk, f"judge must be 'value', 'ci_low', 'ci_high' or 'interval', got {v!r}")
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
        if k in ("small_n", "drift_baseline_weeks", "window_weeks", "habit_weeks"):
            _check_number(src, kk, v, integer=True)
            if v < (0 if k == "small_n" else 1):
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

