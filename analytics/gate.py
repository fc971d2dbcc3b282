"""The quality gate: every rule of ``labelqa.toml`` evaluated on a project (a batch, or everything since a
date), as a typed result that renders to a text table, JSON or JUnit XML.

``evaluate_gate(engine, project_id, batch_id=None, since=None, thresholds=None) -> GateResult``.
``GateResult.exit_code`` is 0 when no check fails and 1 when one does (``labelqa gate`` returns 2 itself
for usage and config errors). Rules and what each check compares:

=====================  =======================================================================  ======
rule                   observed value (per scope)                                                 n
=====================  =======================================================================  ======
accuracy               stratified accuracy vs gold overall; Wilson accuracy per gold class       gold annotations
krippendorff_alpha     Krippendorff's alpha (nominal), cluster-bootstrap CI                      items
fleiss_kappa           Fleiss' kappa, cluster-bootstrap CI                                       items
class_agreement        specific agreement per class                                              items
qa_rate                share of a class's items with gold or a review                            items
gold_items             gold items per class (items whose gold label is the class)                 -
taxonomy               annotations whose label is not in the taxonomy                            annotations
annotator_share        largest share of one batch's annotations made by one annotator            annotations
label_shift            PSI of a batch's label distribution vs the previous batch                 annotations
annotator_drift        one-sided p-value: accuracy in the recent window (the scope, at least the  gold annotations
                       last K weeks) lower than in the annotator's first K weeks
                       (K = ``settings.drift_baseline_weeks``; ``drift.annotator_drift``)
=====================  =======================================================================  ======

Scope: ``batch_id`` judges one batch (shift vs the batch delivered before it);
``since`` judges everything from that date on (shift for each batch whose annotations start in the window);
neither judges the whole project (shift on the latest batch). Drift is judged as of the scope's end. Intervals use ``settings.confidence``. The checks never loop over annotations:
every number comes from the SQL sufficient statistics of the metric modules.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.thresholds import Thresholds, load_thresholds

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

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


@dataclasses.dataclass(frozen=True)
class GateScope:
    """What the gate judges: the filters of the judged annotations and a label for humans."""

    project_id: str
    filters: Filters
    label: str
    batch_id: str | None = None
    since: dt.date | None = None
    drift_start: dt.date | None = None  # the scope's time span for the drift rule (None: whole project)
    drift_end: dt.date | None = None
    change_batches: tuple[str, ...] = ()  # batches judged for label shift


@dataclasses.dataclass
class GateResult:
    """All checks of one gate run; ``outcome`` is the worst outcome, ``exit_code`` 1 iff any check fails."""

    project_id: str
    scope: str
    checks: list[Check]
    thresholds_path: str | None = None
    generated_at: str = dataclasses.field(
        default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())

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


# ------------------------------------------------------------------------------------------ helpers
def population_stability_index(current, reference, eps: float | None = None) -> float:
    """PSI = sum_k (q_k - r_k) ln(q_k / r_k) of the current label shares q against the reference shares r
    (Siddiqi 2006, Credit Risk Scorecards, ch. 8), the same definition as ``analytics.drift.label_shift``:
    a share of exactly 0 is replaced by ``eps`` (``drift.PSI_EPS``, 1e-4) and labels absent from both
    sides are dropped. ``current``/``reference``: aligned count arrays. NaN when either side is empty.
    """
    from analytics.drift import PSI_EPS

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
            reason: str | None = None) -> Check | None:
        r = self.th.rule(rule, tier, self.project)
        if not r.enabled:
            return None
        v, lo, hi, nn = _f(value), _f(ci_low), _f(ci_high), _i(n)
        j = self.th.judge(rule, v, lo, hi, nn, tier, self.project)
        notes = [x for x in ((reason or j.reason) if not j.judged else None, note) if x]
        c = Check(rule=rule, scope=scope, value=v, ci_low=lo, ci_high=hi, n=nn, threshold=r.describe(nn),
                  outcome=j.outcome, status=j.status, judged=j.judged, compared=j.compared, tier=r.tier,
                  kind=kind, note="; ".join(notes) or None)
        self.checks.append(c)
        return c


# -------------------------------------------------------------------------------------------- scope
def project_row(engine: Engine, project_id: str) -> pd.Series:
    df = query_df(engine, "gate_project", project_id=project_id)
    if df.empty:
        known = query_df(engine, "gate_projects")["project_id"].astype(str).tolist()
        hint = f"; projects in this database: {', '.join(known)}" if known else "; the database has no projects"
        raise ValueError(f"unknown project {project_id!r}{hint}")
    return df.iloc[0]


def project_batches(engine: Engine, project_id: str) -> pd.DataFrame:
    """Batches of a project in delivery order: ``batch_id, name, delivered_at, n_annotations, n_items,
    first_at, last_at`` (timestamps as pandas datetimes)."""
    df = query_df(engine, "gate_project_batches", project_id=project_id)
    for c in ("delivered_at", "first_at", "last_at"):
        df[c] = pd.to_datetime(df[c])
    return df.reset_index(drop=True)


def _to_date(x: Any) -> dt.date | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NaT:
        return None
    return pd.Timestamp(x).date()


def resolve_scope(engine: Engine, project_id: str, batch_id: str | None = None,
                  since: dt.date | str | None = None, until: dt.date | str | None = None) -> GateScope:
    """Check that the project (and batch) exist and build the scope; unknown names raise ``ValueError``."""
    project_row(engine, project_id)
    if batch_id is not None and since is not None:
        raise ValueError("give either a batch or a date (--since), not both")
    batches = project_batches(engine, project_id)
    if isinstance(since, str):
        since = _parse_date(since, "since")
    if isinstance(until, str):
        until = _parse_date(until, "until")
    if batch_id is not None:
        row = batches[batches["batch_id"] == batch_id]
        if row.empty:
            known = ", ".join(batches["batch_id"].astype(str).tolist()) or "none"
            raise ValueError(f"unknown batch {batch_id!r} in project {project_id!r}; batches: {known}")
        r = row.iloc[0]
        return GateScope(project_id, Filters(project_id, batch_id=batch_id), f"batch {batch_id}",
                         batch_id=batch_id, drift_start=_to_date(r["first_at"]), drift_end=_to_date(r["last_at"]),
                         change_batches=(batch_id,))
    if since is not None:
        f = Filters(project_id, date_from=since, date_to=until)
        start = batches["first_at"].dt.date
        inwin = batches[(start >= since) & ((until is None) | (start <= (until or dt.date.max)))]
        label = f"since {since.isoformat()}" + (f" until {until.isoformat()}" if until else "")
        last = _to_date(batches["last_at"].max()) if until is None else until
        return GateScope(project_id, f, label, since=since, drift_start=since, drift_end=last,
                         change_batches=tuple(inwin["batch_id"].astype(str)))
    with_data = batches[batches["n_annotations"] > 0]
    latest = with_data.iloc[-1] if not with_data.empty else None
    return GateScope(project_id, Filters(project_id), "whole project",
                     change_batches=(str(latest["batch_id"]),) if latest is not None else ())


def _parse_date(s: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"--{what} must be a date YYYY-MM-DD, got {s!r}") from None


def class_tiers(engine: Engine, project_id: str) -> dict[str, str]:
    """label -> tier; a label critical in any schema version counts as critical."""
    df = query_df(engine, "gate_project_classes", project_id=project_id)
    if df.empty:
        return {}
    crit = df.assign(c=(df["tier"] == "critical")).groupby("label")["c"].any()
    return {str(k): ("critical" if v else "standard") for k, v in crit.items()}


# -------------------------------------------------------------------------------------------- rules
def _rule_accuracy(b: _Builder, engine: Engine, scope: GateScope, tiers: dict[str, str]) -> None:
    from analytics import accuracy as acc

    conf, small = b.th.confidence(b.project), b.th.small_n(b.project)
    res = acc.stratified_accuracy_from_db(engine, scope.filters, confidence=conf)
    est = res["stratified"] if res["stratified"].defined else res["pooled"]
    method = "stratified by gold class" if est is res["stratified"] else "pooled"
    b.add("accuracy", "overall", est.value, est.ci_low, est.ci_high, est.n, "overall",
          note=method, reason=est.reason)
    per = acc.accuracy_from_db(engine, scope.filters, by="gold_label", small_n=small, confidence=conf)
    for row in per.itertuples(index=False):
        label = str(row.gold_label)
        b.add("accuracy", f"class {label}", row.accuracy, row.ci_low, row.ci_high, row.n,
              tiers.get(label, "standard"))
    # Gold items per class: distinct items whose gold label is the class (annotated in the scope); classes
    # of the taxonomy without any gold item count 0.
    gold = dict(zip(per["gold_label"].astype(str), per["n_items"].astype(int)))
    for label, tier in sorted(tiers.items()):
        if b.th.rule("gold_items", tier, b.project).enabled:
            b.add("gold_items", f"class {label}", gold.get(label, 0), tier=tier, kind="count")


def _rule_agreement(b: _Builder, engine: Engine, scope: GateScope) -> None:
    from analytics import agreement as ag

    for rule, metric in (("krippendorff_alpha", "krippendorff"), ("fleiss_kappa", "fleiss")):
        if not b.th.rule(rule, "overall", b.project).enabled:
            continue
        est = ag.agreement_from_db(engine, scope.filters, metric=metric, confidence=b.th.confidence(b.project))
        b.add(rule, "overall", est.value, est.ci_low, est.ci_high, est.n_items if est.n_items is not None else est.n,
              kind="index", reason=est.reason)


def _rule_class_agreement(b: _Builder, engine: Engine, scope: GateScope, tiers: dict[str, str]) -> None:
    from analytics import agreement as ag

    per = ag.per_category_agreement_from_db(engine, scope.filters, confidence=b.th.confidence(b.project))
    for row in per.itertuples(index=False):
        label = str(row.label)
        b.add("class_agreement", f"class {label}", row.specific_agreement, row.ci_low, row.ci_high, row.n_items,
              tiers.get(label, "standard"), kind="proportion", reason=getattr(row, "reason", None) or None)


def _rule_coverage(b: _Builder, engine: Engine, scope: GateScope, tiers: dict[str, str]) -> None:
    from analytics import coverage as cov

    qa = cov.qa_coverage_from_db(engine, scope.filters)
    for row in qa.itertuples(index=False):
        label = str(row.label)
        tier = tiers.get(label, getattr(row, "tier", "standard") or "standard")
        checked = int(row.items_qa) if hasattr(row, "items_qa") else (
            round(int(row.items) * float(row.qa_rate)) if _f(row.qa_rate) is not None else None)
        # QA rate is a count of what was checked (a census), not an estimate: judged on the value, no interval.
        b.add("qa_rate", f"class {label}", row.qa_rate, n=row.items, tier=tier,
              note=None if checked is None else f"{checked:,} of {int(row.items):,} items checked")


def _rule_taxonomy(b: _Builder, engine: Engine, scope: GateScope, n_annotations: int) -> None:
    out = query_df(engine, "gate_labels_outside_taxonomy", **scope.filters.params())
    total = int(out["n"].sum()) if not out.empty else 0
    note = None
    if total:
        shown = out.head(5)
        note = "labels: " + ", ".join(f"{r.label!s} (v{int(r.schema_version)}: {int(r.n):,})" for r in shown.itertuples())
        if len(out) > 5:
            note += f", ... {len(out) - 5} more"
    b.add("taxonomy", "overall", total, n=n_annotations, kind="count", note=note)


def _rule_annotator_share(b: _Builder, engine: Engine, scope: GateScope) -> None:
    vol = query_df(engine, "gate_annotator_volume", **scope.filters.params())
    vol = vol[vol["batch_id"].notna()]
    if vol.empty:
        return
    tot = vol.groupby("batch_id")["n_annotations"].transform("sum")
    vol = vol.assign(share=vol["n_annotations"] / tot, total=tot)
    top = vol.sort_values(["batch_id", "share", "annotator_id"], ascending=[True, False, True]).drop_duplicates("batch_id")
    for row in top.itertuples(index=False):
        b.add("annotator_share", f"batch {row.batch_id}", row.share, n=row.total,
              note=f"top annotator {row.annotator_id}: {int(row.n_annotations):,} of {int(row.total):,} annotations")


def _rule_label_shift(b: _Builder, engine: Engine, scope: GateScope, batches: pd.DataFrame) -> None:
    if not scope.change_batches:
        return
    counts = query_df(engine, "gate_label_counts_by_batch", **Filters(scope.project_id).params())
    counts = counts[counts["batch_id"].notna()]
    wide = counts.pivot_table(index="batch_id", columns="label", values="n", aggfunc="sum", fill_value=0)
    order = [str(x) for x in batches.loc[batches["n_annotations"] > 0, "batch_id"]]
    for bid in scope.change_batches:
        if bid not in order:
            continue
        pos = order.index(bid)
        cur = wide.loc[bid].to_numpy() if bid in wide.index else np.zeros(wide.shape[1])
        if pos == 0:
            b.add("label_shift", f"batch {bid}", None, n=int(cur.sum()), kind="index",
                  reason="no previous batch to compare with")
            continue
        prev = order[pos - 1]
        ref = wide.loc[prev].to_numpy()
        b.add("label_shift", f"batch {bid}", population_stability_index(cur, ref), n=int(cur.sum()), kind="index",
              note=f"vs {prev}")


def _rule_drift(b: _Builder, engine: Engine, scope: GateScope) -> None:
    """``analytics.drift.annotator_drift`` (the dashboard's test) as of the end of the scope: each annotator's
    accuracy in the recent window (the scope's weeks, at least the last ``drift_baseline_weeks`` weeks) vs
    their first ``drift_baseline_weeks`` weeks with gold-scored work; one-sided pooled z-test."""
    rule = b.th.rule("annotator_drift", "overall", b.project)
    if not rule.enabled:
        return
    from analytics import drift

    try:
        weekly = drift.weekly_accuracy_from_db(engine, Filters(scope.project_id), by="annotator_id", fill_weeks=False)
    except ValueError as exc:  # no gold-scored annotations at all
        b.add("annotator_drift", "overall", None, kind="p_value", reason=str(exc))
        return
    k = int(b.th.setting("drift_baseline_weeks", b.project))
    weekly = weekly[weekly["n"] > 0]
    weeks = pd.to_datetime(weekly["week"])
    if weekly.empty:
        return
    # "As of" the end of the scope: the recent window is the scope's weeks, widened to the last
    # drift_baseline_weeks weeks when the scope is shorter (one batch or one week alone has too little gold
    # per annotator to test); the whole project is judged as of its last week, like the dashboard.
    if scope.drift_start is not None:
        start = pd.Timestamp(scope.drift_start - dt.timedelta(days=scope.drift_start.weekday()))
        end_day = scope.drift_end or scope.drift_start
        end = pd.Timestamp(end_day - dt.timedelta(days=end_day.weekday()))
    else:
        end = start = weeks.max()
    start = min(start, end - pd.Timedelta(weeks=k - 1))
    keep = weeks <= end
    weekly, weeks = weekly[keep], weeks[keep]
    recent_weeks = int((end - start).days // 7) + 1
    # Only annotators with gold-scored work both before and in the window can be tested.
    has_base = weekly.loc[(weeks < start).to_numpy(), "annotator_id"].unique()
    has_recent = weekly.loc[(weeks >= start).to_numpy(), "annotator_id"].unique()
    for a in sorted(set(map(str, has_recent)) - set(map(str, has_base))):
        b.add("annotator_drift", f"annotator {a}", None, kind="p_value",
              reason="no gold-scored work before the window to compare with")
    weekly = weekly[weekly["annotator_id"].isin(has_base) & weekly["annotator_id"].isin(has_recent)]
    if weekly.empty:
        return
    res = drift.annotator_drift(weekly, baseline_weeks=k, alpha=b.th.drift_alpha(b.project), min_n=rule.min_n,
                                recent_weeks=recent_weeks)
    res = res[res["n_recent"] > 0]  # annotators without gold-scored work in the window are not in scope
    for row in res.itertuples(index=False):
        note = None
        if row.reason is None or (isinstance(row.reason, float) and math.isnan(row.reason)):
            note = (f"accuracy {row.baseline_acc:.3f} (n={row.n_baseline}) -> {row.recent_acc:.3f} "
                    f"(n={row.n_recent})")
            if bool(row.drift) and pd.notna(row.start_week):
                note += f", drop starts week of {pd.Timestamp(row.start_week).date()}"
        b.add("annotator_drift", f"annotator {row.annotator_id}", row.p_value, n=int(min(row.n_baseline, row.n_recent)),
              kind="p_value", note=note, reason=row.reason if note is None else None)


# --------------------------------------------------------------------------------------------- gate
def evaluate_gate(engine: Engine | Connection, project_id: str, batch_id: str | None = None,
                  since: dt.date | str | None = None, thresholds: Thresholds | str | None = None,
                  until: dt.date | str | None = None) -> GateResult:
    """Evaluate every enabled rule on the scope; see the module docstring.

    Raises ``ValueError`` for an unknown project/batch or a bad date, ``ThresholdsError`` for a bad config.
    """
    th = thresholds if isinstance(thresholds, Thresholds) else load_thresholds(thresholds)
    if isinstance(engine, Engine):  # one connection for all queries (a DuckDB connect costs ~50 ms)
        with engine.connect() as con:
            return evaluate_gate(con, project_id, batch_id, since, th, until)
    scope = resolve_scope(engine, project_id, batch_id, since, until)
    b = _Builder(th, project_id)
    tiers = class_tiers(engine, project_id)
    batches = project_batches(engine, project_id)
    summary = query_df(engine, "gate_scope_summary", **scope.filters.params()).iloc[0]
    n_ann = int(summary["n_annotations"] or 0)
    if n_ann == 0:
        raise ValueError(f"no annotations in project {project_id!r} for {scope.label}")
    _rule_accuracy(b, engine, scope, tiers)
    _rule_agreement(b, engine, scope)
    _rule_class_agreement(b, engine, scope, tiers)
    _rule_coverage(b, engine, scope, tiers)
    _rule_taxonomy(b, engine, scope, n_ann)
    _rule_annotator_share(b, engine, scope)
    _rule_label_shift(b, engine, scope, batches)
    _rule_drift(b, engine, scope)
    return GateResult(project_id=project_id, scope=scope.label, checks=b.checks,
                      thresholds_path=str(th.path) if th.path else None)


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
