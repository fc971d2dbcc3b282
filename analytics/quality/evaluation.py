"""The single quality layer: ``evaluate(engine, project, scope, thresholds) -> Evaluation``.

One call decides, for a scope (whole project, one batch or a date range, plus the dashboard's filters),
which signals exist and how each is judged against ``labelqa.toml``. The gate (``analytics.gate``: text,
JSON, JUnit and the exit code), the overview page's KPI badges and alerts (``analytics.quality.alerts``) and
the weekly report all read this one evaluation, so they cannot disagree.

Rules and what each check compares:

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
systematic_confusion   Bonferroni p-value that a frequent confusion (gold -> label) is            confused annotations
                       concentrated in a team, annotator, item condition or team x condition
                       (``accuracy.systematic_confusions``, the accuracy page's test)
automation_bias        Bonferroni one-sided p-value that an annotator accepts wrong pre-labels    wrong pre-labels
                       more often than their peers, over ``settings.habit_weeks`` weeks up to
                       the scope's end (``correlation.prelabel_acceptance``)
max_split_leakage      items of the scope whose fingerprint (``content_hash``: overall tier;       fingerprinted
                       ``near_dup_key``, ``group_id``: standard tier) occurs in another split      items
                       (``sources.leakage_db``); no check without fingerprints
=====================  =======================================================================  ======

Scope: a batch is judged alone (shift vs the batch delivered before it); a date range judges everything
from its start on (shift for each batch whose annotations start in the window); neither judges the whole
project (shift on the latest batch). Drift is judged as of the scope's end. Intervals use
``settings.confidence``. The checks never loop over annotations: every number comes from the SQL
sufficient statistics of the metric modules.

Short date ranges (a weekly or daily cron). A date range shorter than ``settings.window_weeks`` weeks judges
what one period of a rare class cannot reach over the rolling window of that many weeks up to its end
(``window_of``): gold items per class, the QA rate of classes whose rule has a ``min_count``, the accuracy of a
critical class the range alone cannot judge, and systematic confusions. Those checks carry ``Check.window``
(the dates) and say so in their note; in a project younger than the window the count minimums shrink in
proportion to the weeks with data. Any check whose whole interval lies on one side of its threshold is judged
whatever its n (``Thresholds.judge``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.engine import Connection, Engine

from analytics import kinds
from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import NoData
from analytics.quality import rules
from analytics.quality.checks import Check, Evaluation, Scope, Window, _Builder
from analytics.quality.scope import class_tiers, project_batches, project_row, resolve_scope
from analytics.quality.config import Thresholds, load_thresholds

__all__ = ["ScopeRequest", "evaluate", "headline_accuracy", "window_of", "FINDINGS_WEEKS", "WINDOW_WEEKS"]

headline_accuracy = rules.headline_accuracy
# Defaults of settings.habit_weeks and settings.window_weeks (labelqa.toml), kept for importers.
FINDINGS_WEEKS = 26
WINDOW_WEEKS = 8


@dataclasses.dataclass(frozen=True)
class ScopeRequest:
    """What to judge, before it is checked against the database: ``batch_id`` (one batch), ``since`` /
    ``until`` (a date range), neither (the whole project); ``filters`` adds the dashboard's team, schema
    version and split (its project, batch and dates are ignored)."""

    batch_id: str | None = None
    since: dt.date | str | None = None
    until: dt.date | str | None = None
    filters: Filters | None = None

    @classmethod
    def project(cls, filters: Filters | None = None) -> "ScopeRequest":
        return cls(filters=filters)

    @classmethod
    def batch(cls, batch_id: str, filters: Filters | None = None) -> "ScopeRequest":
        return cls(batch_id=batch_id, filters=filters)

    @classmethod
    def dates(cls, since: dt.date | str, until: dt.date | str | None = None,
              filters: Filters | None = None) -> "ScopeRequest":
        return cls(since=since, until=until, filters=filters)


def evaluate(engine: Engine | Connection, project: str, scope: ScopeRequest | Scope | None = None,
             thresholds: Thresholds | str | None = None, *, findings: bool = False) -> Evaluation:
    """Evaluate every enabled rule on the scope (None: the whole project); see the module docstring.

    ``findings=True`` adds ``Evaluation.findings``: signals without a rule in ``labelqa.toml`` yet (likely label
    errors and leakage between splits, issue 14; nothing without model scores or fingerprints), shown as alerts,
    never gate checks. Automation bias and systematic confusions are gate rules now.

    Raises ``ValueError`` for an unknown project/batch or a bad date, ``NoData`` for a scope without annotations,
    ``ThresholdsError`` for a bad config.
    """
    th = thresholds if isinstance(thresholds, Thresholds) else load_thresholds(thresholds)
    if isinstance(engine, Engine):  # one connection for all queries (a DuckDB connect costs ~50 ms)
        with engine.connect() as con:
            return evaluate(con, project, scope, th, findings=findings)
    kind = _project_kind(engine, project)
    if kind.name != kinds.DEFAULT_KIND:  # the kind's own rules (KindSpec.rules) judge its projects
        if not kind.rules:
            raise NoData(f"project {project!r} is a {kind.title.lower()} project; that kind declares no quality "
                         "rules yet")
        return kinds.resolve(kind.rules)(engine, project, scope, th)
    if not isinstance(scope, Scope):
        req = scope or ScopeRequest()
        scope = resolve_scope(engine, project, req.batch_id, req.since, req.until, base=req.filters)
    b = _Builder(th, project)
    tiers = class_tiers(engine, project)
    batches = project_batches(engine, project)
    summary = query_df(engine, "gate_scope_summary", **scope.filters.params()).iloc[0]
    n_ann = int(summary["n_annotations"] or 0)
    if n_ann == 0:
        raise NoData(f"no annotations in project {project!r} for {scope.label}")
    period = _period(scope, summary)
    first = batches["first_at"].min() if not batches.empty else None
    win = window_of(th, project, scope, period, None if first is None or first != first else first.date())
    headline, pooled = rules._rule_accuracy(b, engine, scope, tiers, win)
    rules._rule_agreement(b, engine, scope)
    rules._rule_class_agreement(b, engine, scope, tiers)
    rules._rule_coverage(b, engine, scope, tiers, win)
    rules._rule_taxonomy(b, engine, scope, n_ann)
    rules._rule_annotator_share(b, engine, scope)
    rules._rule_label_shift(b, engine, scope, batches)
    rules._rule_drift(b, engine, scope)
    rules._rule_systematic(b, engine, scope, win)
    rules._rule_automation_bias(b, engine, scope, period)
    rules._rule_split_leakage(b, engine, scope)
    return Evaluation(project_id=project, scope=scope.label, checks=b.checks,
                      thresholds_path=str(th.path) if th.path else None, period=period,
                      accuracy=headline, pooled_accuracy=pooled,
                      findings=_label_errors(engine, scope) if findings else [])


def _project_kind(engine: Connection, project: str) -> kinds.KindSpec:
    """The registered kind of ``projects.task_type`` (classification when empty; ``ValueError`` for an unknown
    project or a task type no kind declares)."""
    name = kinds.kind_of(project_row(engine, project).get("task_type"))  # ValueError naming known projects
    try:
        return kinds.get(name)
    except KeyError as exc:
        raise ValueError(f"project {project!r} has task_type {name!r}, which no annotation kind declares") from exc


def _label_errors(engine: Connection, scope: Scope) -> list[Check]:
    """Likely label errors and leakage between splits (issue 14); nothing without model scores / fingerprints."""
    from analytics.quality.findings import label_error_findings

    return label_error_findings(engine, scope.filters)


def window_of(th: Thresholds, project: str, scope: Scope, period, first: dt.date | None = None) -> Window | None:
    """The rolling window of a date-range scope shorter than ``settings.window_weeks`` weeks: those weeks up to
    the scope's end (Monday of the first to the scope's last day), the scope's other filters kept. None for
    a batch, the whole project, or a range at least that long (it is judged on itself). ``first``: the project's
    first annotation day; ``Window.covered`` counts the window's weeks from it on."""
    start, end = period
    f = scope.filters
    if f.date_from is None or f.batch_id is not None or start is None or end is None:
        return None
    weeks = int(th.setting("window_weeks", project))
    monday = end - dt.timedelta(days=end.weekday())
    w_from = monday - dt.timedelta(weeks=weeks - 1)
    if w_from >= start:
        return None
    covered = weeks
    if first is not None and first > w_from:  # the project is younger than the window
        covered = max(1, (monday - (first - dt.timedelta(days=first.weekday()))).days // 7 + 1)
    return Window(f.replace(date_from=w_from, date_to=end), f"{w_from.isoformat()} to {end.isoformat()}", weeks,
                  min(covered, weeks))


def _period(scope: Scope, summary) -> tuple[dt.date | None, dt.date | None]:
    """The judged dates: the range asked for, a batch's first and last annotation, or the project's."""
    import pandas as pd

    def day(x):
        return None if x is None or pd.isna(x) else pd.Timestamp(x).date()

    f = scope.filters
    start = f.date_from or scope.drift_start or day(summary.get("first_at"))
    end = f.date_to or scope.drift_end or day(summary.get("last_at"))
    return start, end
