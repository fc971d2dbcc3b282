"""The rules: each reads SQL sufficient statistics for a ``Scope`` and adds judged checks to a builder."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics import drift as metrics_drift
from analytics.metrics import systematic
from analytics.metrics.results import NoData
from analytics.sources import accuracy_db, agreement_db, coverage_db, drift_db
from analytics.sources.leakage_db import fingerprinted_items, leakage_from_db
from analytics.sources.model_db import prelabel_acceptance_from_db
from analytics.quality.checks import Scope, Window, _Builder, _f, population_stability_index


def headline_accuracy(engine: Engine, filters: Filters, confidence: float):
    """``(headline, pooled, method)``: the one accuracy figure every surface shows (the estimate stratified by
    gold class when defined, else the pooled share) and the pooled share that may stand beside it."""
    res = accuracy_db.stratified_accuracy_from_db(engine, filters, confidence=confidence)
    est = res["stratified"] if res["stratified"].defined else res["pooled"]
    method = "stratified by gold class" if est is res["stratified"] else "pooled"
    return est, res["pooled"], method


def _pct(x) -> str:
    return "-" if x is None or x != x else f"{100 * float(x):.1f}%"


def _rule_accuracy(b: _Builder, engine: Engine, scope: Scope, tiers: dict[str, str], win: Window | None = None):
    """Adds the accuracy and gold-items checks; returns ``(headline, pooled)`` estimates.

    With a ``win``dow (a scope shorter than ``settings.window_weeks``): a critical class the scope cannot judge
    (too few units and an interval that straddles the target) is judged over the window, and gold items are
    counted over the window, so a weekly run judges volumes a week cannot reach on the weeks that can."""
    conf, small = b.th.confidence(b.project), b.th.small_n(b.project)
    est, pooled, method = headline_accuracy(engine, scope.filters, conf)
    b.add("accuracy", "overall", est.value, est.ci_low, est.ci_high, est.n, "overall",
          note=method, reason=est.reason)
    per = accuracy_db.accuracy_from_db(engine, scope.filters, by="gold_label", small_n=small, confidence=conf)
    wper = None
    if win is not None:
        wper = accuracy_db.accuracy_from_db(engine, win.filters, by="gold_label", small_n=small, confidence=conf)
        wrows = {str(r.gold_label): r for r in wper.itertuples(index=False)}
    over = f"judged {win.span}" if win is not None else ""
    seen = set()
    for row in per.itertuples(index=False):
        label = str(row.gold_label)
        tier = tiers.get(label, "standard")
        seen.add(label)
        if win is not None and tier == "critical" and label in wrows:
            j = b.th.judge("accuracy", _f(row.accuracy), _f(row.ci_low), _f(row.ci_high), int(row.n), tier, b.project)
            if not j.judged:
                w = wrows[label]
                b.add("accuracy", f"class {label}", w.accuracy, w.ci_low, w.ci_high, w.n, tier, window=win.label,
                      note=f"{over}; the scope alone: {_pct(row.accuracy)}, n={int(row.n)}, {j.reason}")
                continue
        b.add("accuracy", f"class {label}", row.accuracy, row.ci_low, row.ci_high, row.n, tier)
    if win is not None:  # critical classes without a gold-scored annotation in the scope
        for label, tier in sorted(tiers.items()):
            if tier == "critical" and label not in seen and label in wrows:
                w = wrows[label]
                b.add("accuracy", f"class {label}", w.accuracy, w.ci_low, w.ci_high, w.n, tier, window=win.label,
                      note=f"{over}; no gold-scored annotation in the scope alone")
    # Gold items per class: distinct items whose gold label is the class (annotated in the scope, or in the
    # window for a short scope); classes of the taxonomy without any gold item count 0.
    over = f"judged {win.over}" if win is not None else ""
    src = wper if wper is not None else per
    gold = dict(zip(src["gold_label"].astype(str), src["n_items"].astype(int)))
    for label, tier in sorted(tiers.items()):
        if b.th.rule("gold_items", tier, b.project).enabled:
            b.add("gold_items", f"class {label}", gold.get(label, 0), tier=tier, kind="count",
                  note=over or None, window=win.label if win is not None else None,
                  scale=win.scale if win is not None else 1.0)
    return est, pooled


def _rule_agreement(b: _Builder, engine: Engine, scope: Scope) -> None:

    for rule, metric in (("krippendorff_alpha", "krippendorff"), ("fleiss_kappa", "fleiss")):
        if not b.th.rule(rule, "overall", b.project).enabled:
            continue
        est = agreement_db.agreement_from_db(engine, scope.filters, metric=metric,
                                             confidence=b.th.confidence(b.project))
        b.add(rule, "overall", est.value, est.ci_low, est.ci_high, est.n_items if est.n_items is not None else est.n,
              kind="index", reason=est.reason)


def _rule_class_agreement(b: _Builder, engine: Engine, scope: Scope, tiers: dict[str, str]) -> None:

    per = agreement_db.per_category_agreement_from_db(engine, scope.filters, confidence=b.th.confidence(b.project))
    for row in per.itertuples(index=False):
        label = str(row.label)
        b.add("class_agreement", f"class {label}", row.specific_agreement, row.ci_low, row.ci_high, row.n_items,
              tiers.get(label, "standard"), kind="proportion", reason=getattr(row, "reason", None) or None)


def _rule_coverage(b: _Builder, engine: Engine, scope: Scope, tiers: dict[str, str], win: Window | None = None) -> None:
    """QA rate per class. With a ``win``dow, a class whose rule asks for a minimum count of checked items
    (``min_count``, the critical tier) is judged over the window: a week of a rare class cannot reach it."""
    qa = coverage_db.qa_coverage_from_db(engine, scope.filters)
    wqa = {}
    if win is not None:
        wqa = {str(r.label): r for r in coverage_db.qa_coverage_from_db(engine, win.filters).itertuples(index=False)}
    for row in qa.itertuples(index=False):
        label = str(row.label)
        tier = tiers.get(label, getattr(row, "tier", "standard") or "standard")
        window = None
        if win is not None and label in wqa and b.th.rule("qa_rate", tier, b.project).min_count > 0:
            row, window = wqa[label], win.label
        checked = int(row.items_qa) if hasattr(row, "items_qa") else (
            round(int(row.items) * float(row.qa_rate)) if _f(row.qa_rate) is not None else None)
        # QA rate is a count of what was checked (a census), not an estimate: judged on the value, no interval.
        note = None if checked is None else f"{checked:,} of {int(row.items):,} items checked"
        if window is not None:
            note = f"{note}, {win.over}" if note else win.over
        b.add("qa_rate", f"class {label}", row.qa_rate, n=row.items, tier=tier, note=note, window=window,
              scale=win.scale if window is not None else 1.0)


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
    """``analytics.metrics.drift.annotator_drift`` (the dashboard's test) as of the end of the scope: each annotator's
    accuracy in the recent window (the scope's weeks, at least the last ``drift_baseline_weeks`` weeks) vs
    their first ``drift_baseline_weeks`` weeks with gold-scored work; one-sided pooled z-test."""
    rule = b.th.rule("annotator_drift", "overall", b.project)
    if not rule.enabled:
        return

    try:
        weekly = drift_db.weekly_accuracy_from_db(engine, Filters(scope.project_id), by="annotator_id",
                                                  fill_weeks=False)
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
    res = metrics_drift.annotator_drift(weekly, baseline_weeks=k, alpha=b.th.drift_alpha(b.project), min_n=rule.min_n,
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


def _rule_systematic(b: _Builder, engine, scope: Scope, win: Window | None = None) -> None:
    """``analytics.accuracy.systematic_confusions`` (the accuracy page's test) on the scope, or on its window when
    the scope is short: the most frequent confusions, each tested for concentration in a team, an annotator,
    an item condition (every ``item_attributes`` key) or a team x condition; one check a confused pair, its
    value the smallest Bonferroni-adjusted p-value over those dimensions."""
    rule = b.th.rule("systematic_confusion", "overall", b.project)
    if not rule.enabled:
        return

    opts = query_df(engine, "ui_filter_options", project_id=scope.project_id)
    keys = sorted(opts.loc[opts["kind"] == "attr_key", "value"].dropna().astype(str).unique())
    dims = ("team", "annotator_id", *[f"attr:{k}" for k in keys], *[f"team*attr:{k}" for k in keys])
    f = win.filters if win is not None else scope.filters
    # systematic_confusions' database branch, on the evaluation's one connection (the function takes an
    # Engine, and DuckDB refuses a second connection while this one is open)
    pairs = systematic._top_pairs(accuracy_db.confusion_from_db(engine, f), 5, rule.min_n)
    if pairs.empty:
        return
    true_labels = sorted(pairs["true_label"].astype(str).unique())
    groups = {d: accuracy_db._dimension_group_db(engine, f, d, true_labels) for d in dims}
    res = systematic._systematic_finish(pairs, groups, rule.limit)
    if res.empty:
        return
    over = win.span if win is not None else None
    for (t, lab), g in res.groupby(["true_label", "label"], sort=False):
        tested = g[g["p_value"].notna()]
        subject = f"confusion {t} -> {lab}"
        n = int(g["n"].iloc[0])
        if tested.empty:
            b.add("systematic_confusion", subject, None, n=n, kind="p_value", note=over,
                  reason=str(g["reason"].dropna().iloc[0]) if g["reason"].notna().any() else "no group to compare",
                  window=win.label if win is not None else None)
            continue
        r = tested.sort_values(["p_value", "dimension"]).iloc[0]
        note = (f"{_pct(r['share'])} of gold-{t} annotations labelled {lab}; in {r['concentrated_in']} "
                f"{_pct(r['group_rate'])} (n={int(r['group_n'])}) vs {_pct(r['rest_rate'])} elsewhere")
        if over:
            note += f"; {over}"
        b.add("systematic_confusion", subject, float(r["p_value"]), n=n, kind="p_value", note=note,
              window=win.label if win is not None else None)


def _rule_automation_bias(b: _Builder, engine, scope: Scope, period) -> None:
    """``analytics.correlation.prelabel_acceptance_from_db`` over the ``settings.habit_weeks`` weeks up to the
    scope's end (a habit, not a week's event): one check per annotator with at least ``min_n`` wrong
    pre-labels shown, its value the Bonferroni-adjusted one-sided p-value that they accept wrong pre-labels
    more often than their peers. No pre-label shown in the window: nothing to judge, no check."""
    rule = b.th.rule("automation_bias", "overall", b.project)
    if not rule.enabled:
        return

    weeks = int(b.th.setting("habit_weeks", b.project))
    end = period[1]
    f = scope.filters.replace(batch_id=None)
    if end is not None:
        monday = end - dt.timedelta(days=end.weekday())
        f = f.replace(date_from=monday - dt.timedelta(weeks=weeks - 1), date_to=end)
    label = f"{f.date_from.isoformat()} to {f.date_to.isoformat()}" if f.date_from and f.date_to else None
    try:
        pre = prelabel_acceptance_from_db(engine, f, alpha=rule.limit, min_n=rule.min_n)
    except NoData:
        return
    if pre.empty:
        return
    pre = pre[pre["n_wrong_suggestions"] >= rule.min_n]
    for r in pre.sort_values("annotator_id").itertuples(index=False):
        b.add("automation_bias", f"annotator {r.annotator_id}", r.p_adjusted, n=int(r.n_wrong_suggestions),
              kind="p_value", window=label,
              note=(f"accepts {int(r.n_wrong_accepted)} of {int(r.n_wrong_suggestions)} wrong pre-labels "
                    f"({_pct(r.wrong_acceptance_rate)}); peers {_pct(r.peer_rate)}"
                    + (f"; over the {weeks} weeks {label}" if label else "")))


_LEAK_TIER = {"content_hash": "overall"}  # exact duplicates; near_dup_key and group_id: the standard tier


def _rule_split_leakage(b: _Builder, engine, scope: Scope) -> None:
    """``analytics.sources.leakage_db.leakage_from_db`` (the label-errors page's leakage): per fingerprint key
    present in the project, the items of the scope (labelled by its annotations) whose value also occurs on an
    item of another split. Exact duplicates (``content_hash``) are judged at the ``overall`` tier (default: max 0,
    fail), ``near_dup_key`` / ``group_id`` at ``standard`` (default: max 0, warn). No fingerprints: no check."""
    if not b.th.rule("max_split_leakage", "overall", b.project).enabled and \
            not b.th.rule("max_split_leakage", "standard", b.project).enabled:
        return

    try:
        lk = leakage_from_db(engine, scope.filters)
    except NoData:
        return

    n_fp = fingerprinted_items(engine, scope.filters)  # items of the scope carrying each key (the check's n)
    items = lk.items[lk.items["label"].notna()]  # leaked items annotated in the scope
    for key in lk.n_leaked:
        it = items[items["key"] == key]
        n = int(it["item_id"].nunique())
        note = None
        if n:
            by_class = it.groupby("label")["item_id"].nunique().sort_values(ascending=False, kind="stable")
            first = it.sort_values(["value", "split", "item_id"])["value"].iloc[0]
            mates = lk.items[(lk.items["key"] == key) & (lk.items["value"] == first)].drop_duplicates("split")
            k = int(it["value"].nunique())
            note = (f"{k:,} {key} value{'s' if k != 1 else ''} shared across splits; most in "
                    + ", ".join(f"{lab} ({m:,})" for lab, m in by_class.head(3).items())
                    + "; e.g. " + " = ".join(f"{r.item_id} ({r.split})" for r in mates.head(3).itertuples()))
        b.add("max_split_leakage", f"key {key}", n, n=n_fp.get(key, 0), tier=_LEAK_TIER.get(key, "standard"),
              kind="count", note=note)
