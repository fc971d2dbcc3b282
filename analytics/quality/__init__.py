"""The quality layer: which signals exist for a scope and how each is judged against ``labelqa.toml``.

``evaluate(engine, project, scope, thresholds) -> Evaluation`` (``analytics.quality.evaluation``) is read by
the gate (``analytics.gate``), the overview page and the weekly report; ``alerts(evaluation)``
(``analytics.quality.alerts``) turns its non-passing checks into the overview's alert list. The thresholds
themselves live in ``analytics.quality.config`` / ``config_file`` (re-exported as ``analytics.thresholds``).
"""
from analytics.quality.checks import (
    OUTCOMES, Check, Evaluation, GateResult, GateScope, Scope, Window, population_stability_index,
)
from analytics.quality.evaluation import FINDINGS_WEEKS, ScopeRequest, evaluate, headline_accuracy
from analytics.quality.scope import batch_row, class_tiers, project_batches, project_row, resolve_scope

__all__ = [
    "OUTCOMES", "Check", "Evaluation", "GateResult", "GateScope", "Scope", "Window", "ScopeRequest", "FINDINGS_WEEKS",
    "evaluate", "headline_accuracy", "batch_row", "class_tiers", "project_batches", "project_row", "resolve_scope",
    "population_stability_index",
]
