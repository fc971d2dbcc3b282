"""What a client is promised and told: the delivery settings (``delivery.toml``) and the verdict per contracted
target, read from the quality layer's evaluation of the batch (``analytics.quality.evaluate``).

The settings file sits next to the thresholds file (``labelqa.toml``'s folder) or is named by
``$LABELQA_DELIVERY``; without one the defaults below apply. It is a separate file because ``labelqa.toml``'s
validator accepts only ``settings``, ``rules`` and ``project``. Shape::

    [delivery]
    annotators = "aggregate"        # client view: "aggregate" (one summary row), "hide", "pseudonyms"
    targets = ["accuracy.overall", "accuracy.critical", "accuracy.standard", "krippendorff_alpha.overall"]

    [delivery.notes]                # known issues / what is being done, one short note per batch
    "streetscene-b05" = "Guideline v2 from 27 Jul: van and truck are now told apart by axle count."

    [client."Acme Mobility"]        # per client (projects.client): overrides of the keys above, and
    annotators = "hide"             # contracted targets per tier that replace the rule's limit
    [client."Acme Mobility".targets.accuracy]
    critical = 0.97

A target is a rule of ``labelqa.toml`` judged for one tier (``overall``: the whole batch); its number is the
rule's limit (or the client's contracted value, judged by ``evaluate`` with that value as the project's limit).
Verdicts: ``met`` (every judged check of the tier passes its limit), ``not met`` (a judged check misses it and,
for a rule judged on an interval bound, the whole interval lies past it), ``not enough evidence`` (nothing
judged, or an interval that straddles the limit).
"""
from __future__ import annotations

import copy
import dataclasses
import math
import os
import tomllib
from pathlib import Path
from typing import Any

from analytics.quality.checks import Check, Evaluation
from analytics.thresholds import RULES, Thresholds

__all__ = ["DeliveryConfig", "Target", "load_delivery_config", "target_verdicts", "contract_thresholds",
           "VERDICTS", "ANNOTATOR_VIEWS"]

ANNOTATOR_VIEWS = ("aggregate", "hide", "pseudonyms")
VERDICTS = ("met", "not met", "not enough evidence")
DEFAULT_TARGETS = ("accuracy.overall", "accuracy.critical", "accuracy.standard", "krippendorff_alpha.overall")
_TIERS = ("overall", "critical", "standard")
_KEYS = {"annotators", "targets", "notes"}

# Client words for a rule (the quality layer's rule names stay internal).
RULE_WORDS = {
    "accuracy": "Accuracy against expert labels", "krippendorff_alpha": "Agreement between annotators (α)",
    "class_agreement": "Agreement per class", "qa_rate": "Share of items checked by QA",
    "gold_items": "Items checked against expert labels", "label_shift": "Change of the label mix",
}
TIER_WORDS = {"overall": "whole batch", "critical": "each critical class", "standard": "each other class"}


class DeliveryConfigError(ValueError):
    """A malformed delivery settings file (names the file and the key)."""


@dataclasses.dataclass(frozen=True)
class DeliveryConfig:
    annotators: str = "aggregate"
    targets: tuple[tuple[str, str], ...] = tuple(tuple(t.split(".")) for t in DEFAULT_TARGETS)  # (rule, tier)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)
    contracted: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)  # client's own limits
    path: Path | None = None


@dataclasses.dataclass(frozen=True)
class Target:
    """One contracted target and its verdict for the batch: ``n_met`` / ``n_not_met`` / ``n_unknown`` count
    the tier's judged subjects (classes; 1 for ``overall``); ``checks`` are the evaluation's checks behind it."""

    rule: str
    tier: str
    limit: float | None
    contracted: bool
    verdict: str
    n_met: int
    n_not_met: int
    n_unknown: int
    checks: tuple[Check, ...] = ()

    @property
    def words(self) -> str:
        return f"{RULE_WORDS.get(self.rule, self.rule)}, {TIER_WORDS.get(self.tier, self.tier)}"


def _err(path: Path | None, key: str, msg: str) -> DeliveryConfigError:
    return DeliveryConfigError(f"{path or 'delivery settings'}: {key}: {msg}")


def _section(path: Path | None, key: str, tab: Any, base: DeliveryConfig) -> DeliveryConfig:
    if not isinstance(tab, dict):
        raise _err(path, key, "expected a table")
    unknown = set(tab) - _KEYS
    if unknown:
        raise _err(path, key, f"unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(_KEYS))}")
    out = base
    if "annotators" in tab:
        if tab["annotators"] not in ANNOTATOR_VIEWS:
            raise _err(path, f"{key}.annotators", f"expected one of {', '.join(ANNOTATOR_VIEWS)}, got {tab['annotators']!r}")
        out = dataclasses.replace(out, annotators=tab["annotators"])
    if "targets" in tab:
        t = tab["targets"]
        if isinstance(t, list):  # names of rule.tier
            pairs = []
            for s in t:
                rule, _, tier = str(s).partition(".")
                if rule not in RULES or tier not in _TIERS:
                    raise _err(path, f"{key}.targets", f"{s!r} is not <rule>.<tier> (tiers: {', '.join(_TIERS)})")
                pairs.append((rule, tier))
            out = dataclasses.replace(out, targets=tuple(pairs))
        elif isinstance(t, dict):  # contracted limits: targets.<rule>.<tier> = number
            contracted = dict(out.contracted)
            pairs = list(out.targets)
            for rule, tiers in t.items():
                if rule not in RULES or not isinstance(tiers, dict):
                    raise _err(path, f"{key}.targets.{rule}", "expected a known rule with a table of tiers")
                for tier, v in tiers.items():
                    if tier not in _TIERS or isinstance(v, bool) or not isinstance(v, (int, float)):
                        raise _err(path, f"{key}.targets.{rule}.{tier}", f"expected a number per tier ({', '.join(_TIERS)})")
                    contracted[(rule, tier)] = float(v)
                    if (rule, tier) not in pairs:
                        pairs.append((rule, tier))
            out = dataclasses.replace(out, contracted=contracted, targets=tuple(pairs))
        else:
            raise _err(path, f"{key}.targets", "expected a list of <rule>.<tier> or a table of contracted limits")
    if "notes" in tab:
        if not isinstance(tab["notes"], dict) or not all(isinstance(v, str) for v in tab["notes"].values()):
            raise _err(path, f"{key}.notes", "expected a table batch_id = \"note\"")
        out = dataclasses.replace(out, notes={**out.notes, **{str(k): v for k, v in tab["notes"].items()}})
    return out


def delivery_config_path(thresholds: Thresholds | None = None) -> Path | None:
    env = os.environ.get("LABELQA_DELIVERY")
    if env:
        return Path(env)
    base = thresholds.path.parent if thresholds is not None and thresholds.path else Path.cwd()
    p = base / "delivery.toml"
    return p if p.is_file() else None


def load_delivery_config(path: str | Path | None = None, client: str | None = None,
                         thresholds: Thresholds | None = None) -> DeliveryConfig:
    """The delivery settings for ``client`` (``[delivery]`` overridden by ``[client."<client>"]``)."""
    p = Path(path) if path is not None else delivery_config_path(thresholds)
    if p is None:
        return DeliveryConfig()
    if not p.is_file():
        raise DeliveryConfigError(f"delivery settings file {p} not found")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DeliveryConfigError(f"{p}: TOML syntax error: {exc}") from None
    unknown = set(doc) - {"delivery", "client"}
    if unknown:
        raise _err(p, sorted(unknown)[0], "unknown top-level key; allowed: delivery, client")
    cfg = _section(p, "delivery", doc.get("delivery", {}), DeliveryConfig(path=p))
    clients = doc.get("client", {})
    if not isinstance(clients, dict):
        raise _err(p, "client", "expected tables [client.\"<client name>\"]")
    for name, tab in clients.items():  # validate every client's table, apply only ours
        one = _section(p, f"client.{name}", tab, cfg)
        if client is not None and name == client:
            cfg = one
    return cfg


def contract_thresholds(th: Thresholds, project_id: str, cfg: DeliveryConfig) -> Thresholds:
    """``th`` with the client's contracted limits as the project's limits (``[project.<p>.rules.<r>.<tier>]
    min/max``), so that ``evaluate`` judges the contract; ``th`` itself when nothing is contracted."""
    if not cfg.contracted:
        return th
    doc = copy.deepcopy(th.as_dict())
    rules = doc.setdefault("project", {}).setdefault(project_id, {}).setdefault("rules", {})
    for (rule, tier), v in cfg.contracted.items():
        key = "min" if RULES[rule][0] == "min" else "max"
        tab = rules.setdefault(rule, {}).setdefault(tier, {})
        tab[key] = v
        warn = th.rule(rule, tier, project_id).warn
        if warn is not None and ((key == "min" and warn < v) or (key == "max" and warn > v)):
            tab["warn"] = v  # a softer level may not lie past the contracted limit
    return Thresholds(doc, th.path)


def _in_tier(c: Check, tier: str) -> bool:
    if tier == "overall":
        return c.scope == "overall"
    return c.scope.startswith("class ") and c.tier == tier


def _verdict(c: Check, rule) -> str:
    """One check's verdict against its limit (``rule``: the resolved ``analytics.thresholds.Rule``)."""
    if not c.judged or c.status == "grey":
        return "not enough evidence"
    if c.status == "green":
        return "met"
    limit = rule.limit
    if limit is None:
        return "not enough evidence"
    worse = (lambda x: x < limit) if rule.direction == "min" else (lambda x: x > limit)
    if c.status == "amber":  # warn level crossed: met when the compared bound is within the limit
        return "met" if c.compared is not None and not worse(c.compared) else "not enough evidence"
    if rule.judge == "value":
        return "not met"
    far = c.ci_high if rule.direction == "min" else c.ci_low  # the bound on the good side
    if far is None or (isinstance(far, float) and math.isnan(far)):
        return "not met" if c.compared is not None and worse(c.compared) else "not enough evidence"
    return "not met" if worse(float(far)) else "not enough evidence"


def check_verdict(c: Check, th: Thresholds, project_id: str) -> str:
    return _verdict(c, th.rule(c.rule, c.tier if c.scope != "overall" else "overall", project_id))


def target_verdicts(ev: Evaluation, th: Thresholds, project_id: str, cfg: DeliveryConfig) -> list[Target]:
    """One ``Target`` per configured (rule, tier) that the evaluation has checks for (a tier without classes in
    the batch, e.g. no critical class, gives no row)."""
    out = []
    for rule, tier in cfg.targets:
        checks = tuple(c for c in ev.by_rule(rule) if _in_tier(c, tier))
        if not checks:
            continue
        r = th.rule(rule, tier, project_id)
        vs = [_verdict(c, r) for c in checks]
        n_met, n_not, n_unk = vs.count("met"), vs.count("not met"), vs.count("not enough evidence")
        verdict = "not met" if n_not else ("not enough evidence" if n_unk else "met")
        out.append(Target(rule, tier, r.limit, (rule, tier) in cfg.contracted, verdict, n_met, n_not, n_unk, checks))
    return out
