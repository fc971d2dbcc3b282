"""The evaluation's types: one ``Check`` a rule judged on one subject, the ``Scope`` judged and the
``Evaluation`` holding every check; ``_Builder`` judges numbers with the thresholds; label-shift PSI."""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import numpy as np

from analytics.filters import Filters
from analytics.quality.config import Thresholds

OUTCOMES = ("pass", "warn", "fail")


@dataclasses.dataclass(frozen=True)
class Check:
    """One rule judged on one scope.

    ``kind`` says how to read ``value``: ``proportion`` (0..1), ``index`` (alpha, kappa, PSI), ``count``
    or ``p_value``. ``compared`` is the number compared with the threshold (a CI bound for accuracy).
    ``judged`` is False when the check could not be judged (``note`` says why); its ``outcome`` is then
    ``settings.not_judged``.
    """

    rule: str
    scope: str
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    threshold: str = ""
    outcome: str = "pass"
    status: str = "green"
    judged: bool = True
    compared: float | None = None
    tier: str = "standard"
    kind: str = "proportion"
    note: str | None = None
    window: str | None = None  # the dates judged when not the scope's ("2026-09-28 to 2026-11-22"), else None

    # The evaluation's vocabulary (the gate's JSON keeps the field names above).
    @property
    def name(self) -> str:
        """The rule (``accuracy``, ``qa_rate``, ...)."""
        return self.rule

    @property
    def subject(self) -> str:
        """What the rule was judged on: ``overall``, ``class <label>``, ``batch <id>``, ``annotator <id>``."""
        return self.scope

    @property
    def verdict(self) -> str:
        """``pass``, ``warn``, ``fail`` or ``not_judged`` (a check that could not be judged)."""
        return self.outcome if self.judged else "not_judged"

    @property
    def ci(self) -> tuple[float | None, float | None]:
        return self.ci_low, self.ci_high

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


@dataclasses.dataclass(frozen=True)
class Scope:
    """What is judged: the filters of the judged annotations and a label for humans (the period)."""

    project_id: str
    filters: Filters
    label: str
    batch_id: str | None = None
    since: dt.date | None = None
    drift_start: dt.date | None = None  # the scope's time span for the drift rule (None: whole project)
    drift_end: dt.date | None = None
    change_batches: tuple[str, ...] = ()  # batches judged for label shift


@dataclasses.dataclass(frozen=True)
class Window:
    """The rolling window a short scope's small-volume rules are judged over: the ``settings.window_weeks``
    weeks up to the scope's end, with the scope's team / schema / split filters; ``label`` names its dates."""

    filters: Filters
    label: str
    weeks: int
    covered: int = 0  # weeks of the window from the project's first week on (a young project has fewer)

    @property
    def scale(self) -> float:
        """Share of the window with data: count minimums shrink in proportion (``Rule.limit_for``)."""
        return min(1.0, self.covered / self.weeks) if self.covered else 1.0

    @property
    def span(self) -> str:
        """Words for notes: ``over the 8 weeks 2026-09-28 to 2026-11-22``."""
        return f"over the {self.weeks} weeks {self.label}"

    @property
    def over(self) -> str:
        """``span`` + the share of the window with data when count minimums were scaled to it."""
        text = self.span
        if self.scale < 1.0:
            text += f" ({self.covered} with data: count minimums scaled to {self.covered}/{self.weeks})"
        return text


@dataclasses.dataclass
class Evaluation:
    """Every check of one scope; ``outcome`` is the worst outcome, ``exit_code`` 1 iff any check fails.

    ``scope`` is the period label (``whole project``, ``batch b05``, ``since 2026-11-16 until 2026-11-22``);
    ``period`` the judged dates (None: open). ``accuracy`` is the headline accuracy estimate (stratified by gold
    class when defined; the value of check ``accuracy`` / ``overall``), ``pooled_accuracy`` the pooled share of
    correct gold-scored annotations that may stand beside it (both ``metrics.results.Estimate``).
    ``findings`` are signals without a rule in ``labelqa.toml`` yet (automation bias): shown as alerts,
    never part of the gate's checks, its JSON or its exit code.
    """

    project_id: str
    scope: str
    checks: list[Check]
    thresholds_path: str | None = None
    generated_at: str = dataclasses.field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())
    period: tuple[dt.date | None, dt.date | None] = (None, None)
    accuracy: Any = None  # analytics.metrics.results.Estimate
    pooled_accuracy: Any = None
    findings: list[Check] = dataclasses.field(default_factory=list)

    @property
    def not_passing(self) -> list[Check]:
        """Every check that does not pass (fails, warnings and checks not judged whose outcome is not pass)."""
        return [c for c in self.checks if c.outcome != "pass"]

    def get(self, rule: str, scope: str) -> Check | None:
        for c in self.checks:
            if c.rule == rule and c.scope == scope:
                return c
        return None

    @property
    def counts(self) -> dict[str, int]:
        c = {o: 0 for o in OUTCOMES}
        for ch in self.checks:
            c[ch.outcome] += 1
        c["not_judged"] = sum(1 for ch in self.checks if not ch.judged)
        c["total"] = len(self.checks)
        return c

    @property
    def outcome(self) -> str:
        outs = {ch.outcome for ch in self.checks}
        return "fail" if "fail" in outs else "warn" if "warn" in outs else "pass"

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome == "fail" else 0

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.outcome == "fail"]

    def by_rule(self, rule: str) -> list[Check]:
        return [c for c in self.checks if c.rule == rule]

    def find(self, rule: str, scope: str) -> Check:
        for c in self.checks:
            if c.rule == rule and c.scope == scope:
                return c
        raise KeyError(f"no check {rule!r} on scope {scope!r}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "project_id": self.project_id,
            "scope": self.scope,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "counts": self.counts,
            "thresholds": self.thresholds_path,
            "generated_at": self.generated_at,
            "checks": [c.as_dict() for c in self.checks],
        }


GateResult = Evaluation  # the gate's name for it
GateScope = Scope


def population_stability_index(current, reference, eps: float | None = None) -> float:
    """PSI = sum_k (q_k - r_k) ln(q_k / r_k) of the current label shares q against the reference shares r
    (Siddiqi 2006, Credit Risk Scorecards, ch. 8), the same definition as ``analytics.drift.label_shift``:
    a share of exactly 0 is replaced by ``eps`` (``drift.PSI_EPS``, 1e-4) and labels absent from both
    sides are dropped. ``current``/``reference``: aligned count arrays. NaN when either side is empty.
    """
    from analytics.metrics.drift import PSI_EPS

    eps = PSI_EPS if eps is None else eps
    cur = np.asarray(current, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if cur.sum() <= 0 or ref.sum() <= 0:
        return math.nan
    used = (cur + ref) > 0
    q = np.where(cur > 0, cur / cur.sum(), eps)
    r = np.where(ref > 0, ref / ref.sum(), eps)
    return float(np.where(used, (q - r) * np.log(q / r), 0.0).sum())


def _f(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _i(x: Any) -> int | None:
    v = _f(x)
    return None if v is None else int(v)


class _Builder:
    """Collects checks, judging each number with the thresholds."""

    def __init__(self, th: Thresholds, project_id: str):
        self.th, self.project = th, project_id
        self.checks: list[Check] = []

    def add(self, rule: str, scope: str, value: Any, ci_low: Any = None, ci_high: Any = None, n: Any = None,
            tier: str = "overall", kind: str = "proportion", note: str | None = None,
            reason: str | None = None, window: str | None = None, scale: float = 1.0) -> Check | None:
        r = self.th.rule(rule, tier, self.project)
        if not r.enabled:
            return None
        v, lo, hi, nn = _f(value), _f(ci_low), _f(ci_high), _i(n)
        j = self.th.judge(rule, v, lo, hi, nn, tier, self.project, scale=scale)
        notes = [x for x in ((reason or j.reason) if not j.judged else j.reason, note) if x]
        c = Check(rule=rule, scope=scope, value=v, ci_low=lo, ci_high=hi, n=nn, threshold=r.describe(nn, scale),
                  outcome=j.outcome, status=j.status, judged=j.judged, compared=j.compared, tier=r.tier,
                  kind=kind, note="; ".join(notes) or None, window=window)
        self.checks.append(c)
        return c
