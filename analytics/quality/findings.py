"""Findings from the label-error source (issue 14): judged here, in the quality layer, from what
``analytics.sources.label_errors_db`` computes (sources never import quality)."""
from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from analytics.filters import Filters
from analytics.metrics.results import NoData, wilson_interval
from analytics.quality.checks import Check
from analytics.sources.label_errors_db import label_errors_from_db, model_score_runs_from_db

__all__ = ["label_error_findings", "LABEL_ERROR_SHARE_LIMIT"]


LABEL_ERROR_SHARE_LIMIT = 0.05  # a finding when the lower 95% bound of the flagged share exceeds this


def label_error_findings(engine: Engine | Connection, filters: Filters) -> list:
    """Quality findings (``analytics.quality.Check``, not-passing ones only) for the overview's findings list:

    - ``label_errors``: the share of likely label errors under the project's newest run with class scores
      (prune_by_noise_rate), ``warn`` when its Wilson 95% lower bound exceeds ``LABEL_ERROR_SHARE_LIMIT``;

    Leakage between splits is a gate rule now (``max_split_leakage``, :func:`analytics.quality.rules._rule_split_leakage`).

    Nothing (an empty list) when the project has no model scores: these signals then do not exist.
    """
    out = []
    runs = model_score_runs_from_db(engine, filters.project_id) if inspect(engine).has_table("model_scores") else None
    if runs is not None and not runs.empty:
        run_id = str(runs.iloc[0]["run_id"])
        try:
            res = label_errors_from_db(engine, filters, run_id)
        except NoData:
            res = None
        if res is not None and res.n_items:
            k = len(res.issues)
            lo, hi = wilson_interval(k, res.n_items)
            if lo > LABEL_ERROR_SHARE_LIMIT:
                out.append(Check(
                    rule="label_errors", scope="overall", value=k / res.n_items, ci_low=float(lo), ci_high=float(hi),
                    n=int(res.n_items), threshold=f"lower 95% bound of the share above {LABEL_ERROR_SHARE_LIMIT:.0%}",
                    outcome="warn", status="amber", compared=float(lo), tier="overall", kind="proportion",
                    note=f"{k:,} likely label errors of {res.n_items:,} items under model run {run_id} (confident "
                         "learning, prune by noise rate); see Label errors & review queue"))
    return out
