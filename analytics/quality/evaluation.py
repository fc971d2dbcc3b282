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
=====================  =======================================================================  ======

Scope: a batch is judged alone (shift vs the batch delivered before it); a date range judges everything
from its start on (shift for each batch whose annotations start in the window); neither judges the whole
project (shift on the latest batch). Drift is judged as of the scope's end. Intervals use
``settings.confidence``. The checks never loop over annotations: every number comes from the SQL
sufficient statistics of the metric modules.

``findings=True`` adds signals that have no rule in ``labelqa.toml`` yet; they are ``Evaluation.findings``,
never gate checks: automation bias on pre-labels (over the 26 weeks up to the scope's end), and the accuracy of
a critical class the scope has too few units to judge, over the ``WINDOW_WEEKS`` weeks up to the scope's end
(rule ``accuracy_window``, judged with the critical tier's accuracy rule).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy.engine import Connection, Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import NoData
from analytics.quality import rules
from analytics.quality.checks import Check, Evaluation, Scope, _Builder
from analytics.quality.scope import class_tiers, project_batches, resolve_scope
from analytics.thresholds import Thresholds, load_thresholds

__all__ = ["ScopeRequest", "evaluate", "headline_accuracy", "FINDINGS_WEEKS", "WINDOW_WEEKS"]

headline_accuracy = rules.headline_accuracy
FINDINGS_WEEKS = 26  # automation bias is a habit: judged over the 26 weeks up to the scope's end
WINDOW_WEEKS = 8  # a critical class too small to judge in a short scope is judged over this many weeks


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

    Raises ``ValueError`` for an unknown project/batch or a bad date, ``NoData`` for a scope without annotations,
    ``ThresholdsError`` for a bad config.
    """
    th = thresholds if isinstance(thresholds, Thresholds) else load_thresholds(thresholds)
    if isinstance(engine, Engine):  # one connection for all queries (a DuckDB connect costs ~50 ms)
        with engine.connect() as con:
            return evaluate(con, project, scope, th, findings=findings)
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
    headline, pooled = rules._rule_accuracy(b, engine, scope, tiers)
    rules._rule_agreement(b, engine, scope)
    rules._rule_class_agreement(b, engine, scope, tiers)
    rules._rule_coverage(b, engine, scope, tiers)
    rules._rule_taxonomy(b, engine, scope, n_ann)
    rules._rule_annotator_share(b, engine, scope)
    rules._rule_label_shift(b, engine, scope, batches)
    rules._rule_drift(b, engine, scope)
    period = _period(scope, summary)
    return Evaluation(project_id=project, scope=scope.label, checks=b.checks,
                      thresholds_path=str(th.path) if th.path else None, period=period,
                      accuracy=headline, pooled_accuracy=pooled,
                      findings=(_critical_window(b, engine, scope, period) + _automation_bias(engine, scope, period)
                                + _label_errors(engine, scope))
                      if findings else [])


def _label_errors(engine: Connection, scope: Scope) -> list[Check]:
    """Likely label errors and leakage between splits (issue 14); nothing without model scores / fingerprints."""
    from analytics.sources.label_errors_db import label_error_findings

    return label_error_findings(engine, scope.filters)


def _period(scope: Scope, summary) -> tuple[dt.date | None, dt.date | None]:
    """The judged dates: the range asked for, a batch's first and last annotation, or the project's."""
    import pandas as pd

    def day(x):
        return None if x is None or pd.isna(x) else pd.Timestamp(x).date()

    f = scope.filters
    start = f.date_from or scope.drift_start or day(summary.get("first_at"))
    end = f.date_to or scope.drift_end or day(summary.get("last_at"))
    return start, end


def _automation_bias(engine: Connection, scope: Scope, period) -> list[Check]:
    """Annotators who accept wrong pre-labels more often than their peers (``correlation.prelabel_acceptance``,
    Bonferroni-adjusted), over the ``FINDINGS_WEEKS`` weeks up to the scope's end."""
    from analytics.correlation import prelabel_acceptance_from_db

    end = period[1]
    f = scope.filters.replace(batch_id=None)
    if end is not None:
        monday = end - dt.timedelta(days=end.weekday())
        f = f.replace(date_from=monday - dt.timedelta(weeks=FINDINGS_WEEKS - 1), date_to=end)
    try:
        pre = prelabel_acceptance_from_db(engine, f)
    except NoData as exc:  # no pre-label shown to annotators in the window: nothing to test, say so
        return [Check(rule="automation_bias", scope="overall", value=None, outcome="warn", status="grey",
                      judged=False, tier="overall", note=exc.reason)]
    out = []
    window = (f"{f.date_from.isoformat()} to {f.date_to.isoformat()}" if f.date_from and f.date_to
              else "whole project")
    for r in pre[pre["automation_bias"].astype(bool)].itertuples() if not pre.empty else []:
        out.append(Check(
            rule="automation_bias", scope=f"annotator {r.annotator_id}", value=float(r.wrong_acceptance_rate),
            n=int(r.n_wrong_suggestions), threshold="acceptance of wrong pre-labels above peers (Bonferroni p < 0.05)",
            outcome="fail", status="red", compared=float(r.p_adjusted), tier="overall", kind="proportion",
            note=(f"accepts {int(r.n_wrong_accepted)} of {int(r.n_wrong_suggestions)} wrong pre-labels; peers "
                  f"{float(r.peer_rate):.3f}; Bonferroni p = {float(r.p_adjusted):.2g}; over {window}")))
    return out


def _critical_window(b: _Builder, engine: Connection, scope: Scope, period) -> list[Check]:
    """Critical classes whose accuracy the scope cannot judge (too few units), judged over the
    ``WINDOW_WEEKS`` weeks up to the scope's end; only the ones that then do not pass."""
    from analytics import accuracy as acc

    end = period[1]
    todo = {c.scope.removeprefix("class "): c for c in b.checks
            if c.rule == "accuracy" and c.tier == "critical" and c.scope != "overall" and not c.judged}
    if end is None or not todo:
        return []
    monday = end - dt.timedelta(days=end.weekday())
    f = scope.filters.replace(batch_id=None, date_from=monday - dt.timedelta(weeks=WINDOW_WEEKS - 1), date_to=end)
    if scope.filters.date_from is not None and f.date_from >= scope.filters.date_from and scope.filters.batch_id is None:
        return []  # the scope already spans the window
    th, project = b.th, b.project
    per = acc.accuracy_from_db(engine, f, by="gold_label", small_n=th.small_n(project),
                               confidence=th.confidence(project))
    out = []
    for row in per.itertuples(index=False):
        label = str(row.gold_label)
        if label not in todo:
            continue
        v, lo, hi, n = (None if x is None or x != x else float(x) for x in (row.accuracy, row.ci_low, row.ci_high, row.n))
        j = th.judge("accuracy", v, lo, hi, None if n is None else int(n), "critical", project)
        if not j.judged or j.outcome == "pass":
            continue
        r = th.rule("accuracy", "critical", project)
        out.append(Check(rule="accuracy_window", scope=f"class {label}", value=v, ci_low=lo, ci_high=hi,
                         n=None if n is None else int(n), threshold=r.describe(None if n is None else int(n)),
                         outcome=j.outcome, status=j.status, judged=True, compared=j.compared, tier="critical",
                         note=(f"over the {WINDOW_WEEKS} weeks {f.date_from.isoformat()} to {end.isoformat()}; "
                               f"not judged on the scope alone: {todo[label].note}")))
    return out
