"""The rules: each reads SQL sufficient statistics for a ``Scope`` and adds judged checks to a builder."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import NoData
from analytics.quality.checks import Scope, _Builder, _f, population_stability_index


def headline_accuracy(engine: Engine, filters: Filters, confidence: float):
    """``(headline, pooled, method)``: the one accuracy figure every surface shows (the estimate stratified by
    gold class when defined, else the pooled share) and the pooled share that may stand beside it."""
    from analytics import accuracy as acc

    res = acc.stratified_accuracy_from_db(engine, filters, confidence=confidence)
    est = res["stratified"] if res["stratified"].defined else res["pooled"]
    method = "stratified by gold class" if est is res["stratified"] else "pooled"
    return est, res["pooled"], method


def _rule_accuracy(b: _Builder, engine: Engine, scope: Scope, tiers: dict[str, str]):
    """Adds the accuracy and gold-items checks; returns ``(headline, pooled)`` estimates."""
    from analytics import accuracy as acc

    conf, small = b.th.confidence(b.project), b.th.small_n(b.project)
    est, pooled, method = headline_accuracy(engine, scope.filters, conf)
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
    return est, pooled


def _rule_agreement(b: _Builder, engine: Engine, scope: Scope) -> None:
    from analytics import agreement as ag

    for rule, metric in (("krippendorff_alpha", "krippendorff"), ("fleiss_kappa", "fleiss")):
        if not b.th.rule(rule, "overall", b.project).enabled:
            continue
        est = ag.agreement_from_db(engine, scope.filters, metric=metric, confidence=b.th.confidence(b.project))
        b.add(rule, "overall", est.value, est.ci_low, est.ci_high, est.n_items if est.n_items is not None else est.n,
              kind="index", reason=est.reason)


def _rule_class_agreement(b: _Builder, engine: Engine, scope: Scope, tiers: dict[str, str]) -> None:
    from analytics import agreement as ag

    per = ag.per_category_agreement_from_db(engine, scope.filters, confidence=b.th.confidence(b.project))
    for row in per.itertuples(index=False):
        label = str(row.label)
        b.add("class_agreement", f"class {label}", row.specific_agreement, row.ci_low, row.ci_high, row.n_items,
              tiers.get(label, "standard"), kind="proportion", reason=getattr(row, "reason", None) or None)


def _rule_coverage(b: _Builder, engine: Engine, scope: Scope, tiers: dict[str, str]) -> None:
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


def _rule_taxonomy(b: _Builder, engine: Engine, scope: Scope, n_annotations: int) -> None:
    out = query_df(engine, "gate_labels_outside_taxonomy", **scope.filters.params())
    total = int(out["n"].sum()) if not out.empty else 0
    note = None
    if total:
        shown = out.head(5)
        note = "labels: " + ", ".join(f"{r.label!s} (v{int(r.schema_version)}: {int(r.n):,})" for r in shown.itertuples())
        if len(out) > 5:
            note += f", ... {len(out) - 5} more"
    b.add("taxonomy", "overall", total, n=n_annotations, kind="count", note=note)


def _rule_annotator_share(b: _Builder, engine: Engine, scope: Scope) -> None:
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


def _rule_label_shift(b: _Builder, engine: Engine, scope: Scope, batches: pd.DataFrame) -> None:
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


def _rule_drift(b: _Builder, engine: Engine, scope: Scope) -> None:
    """``analytics.drift.annotator_drift`` (the dashboard's test) as of the end of the scope: each annotator's
    accuracy in the recent window (the scope's weeks, at least the last ``drift_baseline_weeks`` weeks) vs
    their first ``drift_baseline_weeks`` weeks with gold-scored work; one-sided pooled z-test."""
    rule = b.th.rule("annotator_drift", "overall", b.project)
    if not rule.enabled:
        return
    from analytics import drift

    try:
        weekly = drift.weekly_accuracy_from_db(engine, Filters(scope.project_id), by="annotator_id", fill_weeks=False)
    except NoData as exc:  # no gold-scored annotations at all
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


