"""Label errors & review queue: likely label errors found by confident learning from a model run's class scores
(per class with intervals, the ranked list, the noise matrix), the review queue they feed (budgeted, with the
reason each item is there, CSV and Label Studio downloads) and the leakage check between splits. Statistics come
from analytics (analytics.sources.label_errors_db, analytics.metrics.review_queue, analytics.sources.leakage_db)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st
from sqlalchemy import inspect

from analytics.metrics.label_errors import FILTERS, RANKINGS
from analytics.metrics.results import NoData, wilson_interval
from analytics.metrics.review_queue import (
    WEIGHTS, allocate, class_minimums, priority, queue_from_label_errors, to_label_studio,
)
from analytics.sources.label_errors_db import label_errors_from_db, model_score_runs_from_db
from analytics.metrics.label_issue_shares import flagged_annotators
from analytics.sources.label_issue_db import gold_overlap_from_db, label_issue_shares_from_db
from analytics.sources.review_queue_db import queue_signals_from_db, queue_yield_from_db
from analytics.sources.leakage_db import leakage_from_db
from analytics.io.history import verify_db
from ui import data
from ui.charts import forest, heatmap, plotly_chart, rows_height
from ui.common import (
    ctx, empty_state, fmt_ci, fmt_pct, md, no_data, page_header, small_n, table, url_radio, url_selectbox,
)

TTL = 3600  # backstop; ui.freshness.refresh_if_changed empties the cache when the data changes
RULES = {"prune_by_noise_rate": "prune by noise rate (default)", "prune_by_class": "prune by class",
         "both": "both rules", "predicted_neq_given": "model's top class differs"}
RANKS = {"self_confidence": "self-confidence", "normalized_margin": "normalized margin"}
CRITICAL_MIN = 5  # queued items each critical class gets first (while the budget allows)


def _count(n) -> str:
    return f"{int(n):,}"


@st.cache_data(ttl=TTL, show_spinner="Reading model runs with class scores...")
def _runs(_engine, db: str, project_id: str) -> pd.DataFrame:
    if not inspect(_engine).has_table("model_scores"):
        return pd.DataFrame()
    return model_score_runs_from_db(_engine, project_id)


@st.cache_data(ttl=TTL, show_spinner="Finding likely label errors (confident learning)...")
def _errors(_engine, db: str, f, run_id: str, filter_by: str, rank_by: str):
    return label_errors_from_db(_engine, f, run_id, filter_by, rank_by)


@st.cache_data(ttl=TTL, show_spinner="Counting flagged labels per annotator, team, week and batch...")
def _shares(_engine, db: str, f, run_id: str, filter_by: str, rank_by: str, sn: int):
    return label_issue_shares_from_db(_engine, f, run_id, _errors(_engine, db, f, run_id, filter_by, rank_by),
                                      small_n=sn)


@st.cache_data(ttl=TTL, show_spinner="Vote entropy, Dawid-Skene posteriors and flagged annotators of the queue...")
def _queue_signals(_engine, db: str, f, run_id: str, filter_by: str, rank_by: str, n_classes: int, sn: int):
    res_ = _errors(_engine, db, f, run_id, filter_by, rank_by)
    flagged = flagged_annotators(_shares(_engine, db, f, run_id, filter_by, rank_by, sn))
    return queue_signals_from_db(_engine, f, res_, n_classes, flagged), flagged


@st.cache_data(ttl=60, show_spinner="Reading the reviews of queued items...")
def _yield(_engine, db: str, f, run_id: str, filter_by: str, rank_by: str, picked: tuple):
    return queue_yield_from_db(_engine, f, run_id, _errors(_engine, db, f, run_id, filter_by, rank_by), list(picked))


@st.cache_data(ttl=TTL, show_spinner="Comparing the flags with gold...")
def _gold_overlap(_engine, db: str, f, run_id: str, filter_by: str, rank_by: str):
    return gold_overlap_from_db(_engine, f, run_id, _errors(_engine, db, f, run_id, filter_by, rank_by))


@st.cache_data(ttl=TTL, show_spinner="Checking splits for shared fingerprints...")
def _leakage(_engine, db: str, f):
    return leakage_from_db(_engine, f)


@st.cache_data(ttl=60, show_spinner="Verifying the ingest history (hash chain and row fingerprints)...")
def _verify(_engine, db: str):
    return verify_db(_engine)


c = ctx()
f = c.filters
page_header("Label errors & review queue",
            "Which labels are likely wrong, judged by a model's out-of-sample class scores (confident learning, "
            "Northcutt et al. 2021), and which items reviewers should look at first. Given label = the item's "
            "majority label among the filtered annotations.")

runs = _runs(c.engine, c.db, f.project_id)
if runs.empty:
    empty_state("No model scores for this project",
                "Confident learning needs each item's class scores from a model that did not train on it "
                "(cross-validated). Load them with `labelqa load scores.csv`: long columns `run_id, item_id, label, "
                "score` (top-k allowed, missing classes count as 0) or wide `run_id, item_id, prob_<label>...`; "
                "the run must exist in `model_runs`. The leakage check below works without scores.")
    res = None
else:
    o1, o2, o3 = st.columns([2, 2, 1])
    run_ids = runs["run_id"].astype(str).tolist()
    run_id = url_selectbox("Model run", run_ids, "run", default=run_ids[0], where=o1,
                           format_func=lambda r: f"{r} ({_count(int(runs.set_index('run_id').loc[r, 'n_items']))} items)",
                           help="Runs of this project with class scores, newest first.")
    filter_by = url_selectbox("Rule", list(FILTERS), "rule", default="prune_by_noise_rate", where=o2,
                              format_func=lambda r: RULES[r],
                              help="How many items of each (given, likely true) class pair are flagged: the "
                                   "calibrated confident joint (noise rate), the items below each class's count "
                                   "(class), both, or simply every item whose top class is not its label.")
    rank_by = url_radio("Rank by", list(RANKINGS), "rank", default="self_confidence", where=o3,
                        format_func=lambda r: RANKS[r], horizontal=False)
    try:
        res = _errors(c.engine, c.db, f, run_id, filter_by, rank_by)
    except NoData as e:
        no_data(e, "Nothing to check", "Widen the filters or load scores for the labelled items of this run.")
        res = None

if res is not None:
    n_issues = len(res.issues)
    lo, hi = wilson_interval(n_issues, res.n_items)
    m1, m2, m3 = st.columns(3)
    m1.metric("Items with a label and scores", _count(res.n_items))
    m2.metric("Likely label errors", _count(n_issues), help="Items the rule flags (cleanlab find_label_issues).")
    m3.metric("Share of items", fmt_pct(n_issues / res.n_items), help=f"Wilson {fmt_ci(lo, hi, pct=True)}, "
              f"n = {_count(res.n_items)} items")
    st.caption(f"Share {fmt_pct(n_issues / res.n_items)} ({fmt_ci(lo, hi, pct=True)}; "
               f"n = {_count(res.n_items)} items). An estimate of where the model disagrees confidently, not a "
               "verdict: review before relabelling.")

    go = _gold_overlap(c.engine, c.db, f, run_id, filter_by, rank_by)
    if go["n_flagged"] or go["n_wrong"]:
        g1, g2 = st.columns(2)
        g1.metric("Flags confirmed by gold", fmt_pct(go["precision"]) if go["n_flagged"] else "–",
                  help="Flagged items with a gold label whose given label differs from gold (precision of the "
                       "flags on gold items).")
        g2.metric("Gold-known errors flagged", fmt_pct(go["recall"]) if go["n_wrong"] else "–",
                  help="Scored gold items whose given label differs from gold, and how many of them the rule flags.")
        st.caption(f"On the {_count(go['n_gold'])} scored items with a gold label: {_count(go['true_flags'])} of "
                   f"{_count(go['n_flagged'])} flagged items are wrong by gold ("
                   f"{fmt_ci(*go['precision_ci'], pct=True)}); {_count(go['true_flags'])} of the {_count(go['n_wrong'])} "
                   f"gold-known errors are flagged ({fmt_ci(*go['recall_ci'], pct=True)}). Gold over-samples some "
                   "classes, so these rates describe the gold sample, not every item.")

    # ---------------------------------------------------------------------------------------- per class
    st.subheader("Likely label errors per class")
    pc = res.per_class.reset_index()
    pc = pc[pc["n"] > 0].sort_values(["share", "label"], ascending=[False, True])
    fig = forest(pc, "label", "share", "ci_low", "ci_high", "n",
                 "Share of each class's items flagged (95% Wilson interval; marker size = items)",
                 "share flagged", highlight=c.critical)
    fig.update_layout(height=rows_height(len(pc)))
    plotly_chart(fig, key="le_per_class")
    table(pc.rename(columns={"n": "items", "n_issues": "likely errors"}), "label_errors_per_class", "le_pc",
          column_config={"share": st.column_config.NumberColumn("share", format="percent"),
                         "ci_low": st.column_config.NumberColumn("95% low", format="percent"),
                         "ci_high": st.column_config.NumberColumn("95% high", format="percent")})

    # ---------------------------------------------------------------------------------------- per group
    st.subheader("Flagged labels per annotator, team, week and batch")
    dims = {"annotator": "annotator", "team": "team", "week": "week", "batch": "batch"}
    dim = url_radio("Group by", list(dims), "le_by", default="annotator", horizontal=True,
                    format_func=lambda d: dims[d])
    sh = _shares(c.engine, c.db, f, run_id, filter_by, rank_by, small_n(c))
    g = sh[sh["dim"] == dim]
    if g.empty:
        empty_state("No labelled scored items", "No annotation of a scored item in these filters.")
    else:
        shown_g = g.sort_values("grp") if dim == "week" else g
        fig = forest(shown_g, "grp", "share", "ci_low", "ci_high", "n",
                     f"Share of each {dims[dim]}'s labels flagged (95% Wilson interval; marker size = labels)",
                     "share of labels flagged", small="small_sample")
        fig.update_layout(height=rows_height(len(shown_g)))
        plotly_chart(fig, key="le_groups")
        table(g.drop(columns=["dim"]).rename(columns={"grp": dims[dim], "n": "labels", "k": "flagged labels"}),
              f"label_errors_by_{dim}", "le_groups_t",
              column_config={"share": st.column_config.NumberColumn("share", format="percent"),
                             "ci_low": st.column_config.NumberColumn("95% low", format="percent"),
                             "ci_high": st.column_config.NumberColumn("95% high", format="percent")},
              caption="A flagged label: an annotation that gave a flagged item its given (majority) label. Labels = "
                      "the group's annotations of scored items; intervals treat annotations as independent. "
                      f"Groups with fewer than {small_n(c)} labels are marked small samples.")

    nm = res.noise_matrix
    with st.expander("Estimated noise matrix P(given label | true label), next to the confusion against gold"):
        n1, n2 = st.columns(2)
        with n1:
            fig = heatmap(nm, "Estimated P(given | true) from the calibrated confident joint (columns sum to 1)",
                          "true label (estimated)", "given label", "probability", zmin=0, zmax=1, pct=True)
            plotly_chart(fig, key="le_noise")
        with n2:
            cm = data.confusion(c.engine, c.db, f)
            if cm.empty:
                st.info("No annotation of these filters has a gold label: no confusion against gold to compare.")
            else:
                wide = cm.pivot_table(index="label", columns="gold_label", values="n", aggfunc="sum", fill_value=0)
                wide = wide.reindex(index=nm.index, columns=nm.columns, fill_value=0)
                share = wide / wide.sum(axis=0).replace(0, float("nan"))
                fig = heatmap(share, f"Observed P(label | gold) over {_count(int(cm['n'].sum()))} gold-checked "
                              "annotations (columns sum to 1)", "gold label", "label", "share", zmin=0, zmax=1,
                              pct=True)
                plotly_chart(fig, key="le_gold_confusion")

    # ---------------------------------------------------------------------------------------- ranked list
    st.subheader("Ranked likely label errors")
    if n_issues == 0:
        empty_state("No likely label errors", "The rule flags no item of this run under these filters.")
    else:
        shown = res.issues.rename(columns={"given_label": "given", "suggested_label": "suggested",
                                           "score": f"score ({RANKS[rank_by]})",
                                           "self_confidence": "score of given", "suggested_score": "score of suggested"})
        table(shown, f"label_errors_{run_id}", "le_issues", height=min(rows_height(len(shown)), 520),
              caption=f"{_count(n_issues)} items, lowest label quality first (score = {RANKS[rank_by]}).")

    # ---------------------------------------------------------------------------------------- review queue
    st.subheader("Review queue")
    if n_issues == 0:
        empty_state("Nothing to queue", "The queue is built from the flagged items.")
    else:
        r_crit = c.thresholds.rule("qa_rate", "critical", c.project_id)
        r_std = c.thresholds.rule("qa_rate", "standard", c.project_id)
        qa = data.qa_coverage(c.engine, c.db, f, r_crit.limit, r_std.limit, r_crit.min_count, r_std.min_count)
        gaps = qa.loc[~qa["meets"].astype(bool), "label"].astype(str).tolist() if not qa.empty else []
        sig, flagged_ann = _queue_signals(c.engine, c.db, f, run_id, filter_by, rank_by, max(len(c.classes), 2),
                                          small_n(c))
        base_q = queue_from_label_errors(res.issues, critical=c.critical, gold_gap_labels=gaps)
        base_q = base_q.drop(columns=["flagged_period"]).merge(
            sig[["item_id", "vote_entropy", "ds_posterior", "flagged_period"]], on="item_id", how="left")
        queue = priority(base_q)
        b1, b2 = st.columns(2)
        budget = int(b1.number_input("Budget (items to review)", min_value=1, max_value=len(queue),
                                     value=min(200, len(queue)), step=10, key="le_budget"))
        seed = int(b2.number_input("Seed (ties in priority)", min_value=0, value=0, step=1, key="le_seed"))
        mins = class_minimums(queue, c.critical, CRITICAL_MIN, budget)
        picked = allocate(queue, budget, mins, seed=seed)
        st.caption(f"{_count(len(picked))} of {_count(len(queue))} flagged items. Priority = weighted sum of signals "
                   f"({', '.join(f'{k} {v:g}' for k, v in WEIGHTS.items())}); each critical class first gets up to "
                   f"{CRITICAL_MIN} items ({', '.join(f'{md(k)} {v}' for k, v in mins.items()) or 'none queued'}). "
                   "Disagreement: vote entropy of the filtered annotations and 1 - the Dawid-Skene posterior of "
                   f"the winning label (Dawid-Skene {md(sig.attrs.get('ds', 'not fitted'))}; items with one "
                   "annotation carry no disagreement signal). Flagged annotators (their share of flagged labels "
                   "is above the scope's, Wilson lower bound): "
                   + (", ".join(md(a) for a in flagged_ann) or "none") + ".")
        mix = picked["reasons"].str.split(", ").explode().value_counts()
        st.caption("Reasons in the picked items: " + ", ".join(f"{md(k)} {_count(int(v))}" for k, v in mix.items()))
        cols = ["item_id", "label", "suggested_label", "priority", "reasons", "model_label", "model_confidence",
                "vote_entropy", "ds_posterior"]
        table(picked[cols], f"review_queue_{run_id}", "le_queue", height=min(rows_height(len(picked)), 520))
        st.download_button("Download Label Studio tasks (JSON)", json.dumps(to_label_studio(picked), ensure_ascii=False),
                           file_name=f"review_queue_{run_id}.json", mime="application/json", key="le_ls",
                           on_click="ignore", icon=":material/download:")

        # the loop: reviewers' verdicts re-imported (labelqa load reviews.csv) measure what the queue found
        st.markdown("**Measured yield of the queue**")
        y = _yield(c.engine, c.db, f, run_id, filter_by, rank_by, tuple(picked["item_id"].astype(str)))
        yq, yp, yb = y["queue"], y["picked"], y["baseline"]
        y1, y2, y3 = st.columns(3)
        y1.metric("Queued items corrected", fmt_pct(yq["share"]) if yq["n_reviewed"] else "–",
                  help="Reviewed queued items whose given label a reviewer corrected or rejected.")
        y2.metric("In this pick", fmt_pct(yp["share"]) if yp and yp["n_reviewed"] else "–")
        y3.metric("Reviewed items not queued", fmt_pct(yb["share"]) if yb["n_reviewed"] else "–",
                  help="The same share among reviewed scored items the queue did not flag: the yield of reviewing "
                       "without the queue.")
        if yq["n_reviewed"] == 0:
            st.info("No queued item has a review yet. Export the queue, review it in Label Studio and load the "
                    "verdicts (`labelqa load reviews.csv`: review_id, annotation_id, verdict, corrected_label): the "
                    "queue's measured precision appears here.")
        else:
            st.caption(
                f"Queue: {_count(yq['n_corrected'])} of {_count(yq['n_reviewed'])} reviewed queued items corrected or "
                f"rejected ({fmt_pct(yq['share'])}, Wilson {fmt_ci(yq['ci_low'], yq['ci_high'], pct=True)})"
                + (f"; this pick {_count(yp['n_corrected'])} of {_count(yp['n_reviewed'])} "
                   f"({fmt_ci(yp['ci_low'], yp['ci_high'], pct=True)})" if yp and yp["n_reviewed"] else "")
                + f"; not queued {_count(yb['n_corrected'])} of {_count(yb['n_reviewed'])} ({fmt_pct(yb['share'])}, "
                f"{fmt_ci(yb['ci_low'], yb['ci_high'], pct=True)})"
                + (f": the queue finds {y['lift']:.1f}x as many wrong labels per review." if y["lift"] == y["lift"] else ".")
                + " A review counts when it judges an annotation that gave the item its given label."
                + (f" Fewer than {small_n(c)} reviewed queued items: a small sample." if yq["n_reviewed"] < small_n(c) else ""))

# -------------------------------------------------------------------------------------------- leakage
st.subheader("Leakage between splits")
try:
    lk = _leakage(c.engine, c.db, f)
except NoData as e:
    no_data(e, "Leakage not checked", "Store a fingerprint per item as an item attribute (`item_attributes` key "
            "`content_hash`, `near_dup_key` or `group_id`, e.g. same patient, video or document) and give items a "
            "`split`.")
else:
    cols = st.columns(max(len(lk.n_leaked), 1))
    for col, (key, n) in zip(cols, lk.n_leaked.items()):
        col.metric(f"Items leaking by {key}", _count(n), help="Items whose value of this key occurs in two or more "
                   "splits (all splits compared; the split filter does not apply here).")
    if not len(lk.items):
        st.success("No fingerprint or group occurs in more than one split.")
    else:
        per = lk.per_class.reset_index()
        per = per[per["n_leaked"] > 0].sort_values(["key", "share"], ascending=[True, False])
        table(per.rename(columns={"n_items": "items", "n_leaked": "leaked items"}), "leakage_per_class", "le_leak_pc",
              column_config={"share": st.column_config.NumberColumn("share", format="percent")},
              caption="Items per class (with a fingerprint) and those leaking.")
        table(lk.items, "leakage_items", "le_leak_items", height=min(rows_height(len(lk.items)), 420),
              caption="Every leaked item with its key, value and split.")

# -------------------------------------------------------------------------------------------- history
st.subheader("Ingest history (tamper evidence)")
if st.toggle("Verify the ingest history", key="le_verify",
             help="Recomputes the hash chain over every labelqa load and compares every annotation, gold label and "
                  "review with the fingerprint stored when it was loaded (reads those three tables whole; the "
                  "whole database, not only this project)."):
    try:
        v = _verify(c.engine, c.db)
    except NoData as e:
        no_data(e, "Nothing to verify", "Loads made with `labelqa load` are recorded; data written another way "
                "(e.g. the demo) is not.")
    else:
        h1, h2, h3 = st.columns(3)
        h1.metric("Loads recorded", _count(v["n_loads"]))
        h2.metric("Hash chain", "intact" if not v["broken_loads"] else "broken",
                  help="Each load's digest covers the previous one: editing a recorded load breaks every later link.")
        n_out = sum(t["added"] + t["deleted"] + t["changed"] for t in v["tables"].values())
        h3.metric("Rows differing from the history", _count(n_out))
        if v["broken_loads"]:
            st.error(f"The ingest log was edited: the links of load(s) {', '.join(map(str, v['broken_loads']))} "
                     "no longer match.")
        elif n_out == 0:
            st.success("Every recorded load is intact and every annotation, gold label and review is as loaded.")
        summary = pd.DataFrame([{"table": t, "added outside labelqa load": r["added"], "deleted": r["deleted"],
                                 "changed": r["changed"]} for t, r in v["tables"].items()])
        table(summary, "history_verification", "le_hist",
              caption=f"Newest digest {v['loads']['digest'].iloc[-1]} (keep it with the delivery: it pins the "
                      "whole history). Rows present before the first recorded load count as added.")
        for t, r in v["tables"].items():
            for what in ("changed", "deleted"):
                if r[what]:
                    table(r["details"][what], f"history_{t}_{what}", f"le_hist_{t}_{what}",
                          caption=f"{t}: {what} rows and the load they came from.")
