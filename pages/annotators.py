"""Annotators: the leaderboard (accuracy vs gold, agreement with the consensus, Dawid-Skene estimated
accuracy, pace, flags) and, for the chosen annotator (``?annotator=ann_07``), the weekly trend with control
limits and the drift start, the confusion matrix against gold, per-class accuracy against the team, and the
latest disagreements with gold to review."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import kinds
from analytics.accuracy import confusion_matrix, per_class_prf
from analytics.drift import control_limits
from analytics.metrics.results import NoData
from ui import data
from ui.charts import BLUE, COLOUR, heatmap, plotly_chart, rows_height, style
from ui.common import (
    ctx, empty_state, filters_empty_state, fmt_ci, fmt_date, fmt_n, fmt_pct, md, no_data, page_header, small_n,
    status_mark, table, url_selectbox, week_start,
)
from ui.figfix import monday_ticks, split_bands
from ui.words import column_config

c = ctx()
f = c.filters
sn = small_n(c)
page_header("Annotators", "Who labels how well and how fast. Choose an annotator (or open a link with "
            "?annotator=...) for the detail: trend, confusions, classes and disagreements to review.")
_view = kinds.view(c.project.get("task_type"), "annotators")  # a region kind's drill-down (KindSpec.views)
if _view is not None:
    _view(c)
    st.stop()

act = data.annotator_activity(c.engine, c.db, f)
if act.empty:
    filters_empty_state("No annotations match these filters",
                        "The leaderboard lists the annotators of the filtered annotations. Widen the sidebar filters, or "
                        "load annotations with `labelqa load`.")
    st.stop()

# Drift is judged on the 26 weeks up to the end of the date range (baseline = an annotator's first weeks).
end = f.date_to or dt.date.today()
hf = f.replace(date_from=week_start(end) - dt.timedelta(weeks=25), date_to=end)
baseline_weeks = int(c.thresholds.setting("drift_baseline_weeks", c.project_id))
drift, drift_err = data.annotator_drift(c.engine, c.db, hf, baseline_weeks, c.thresholds.drift_alpha(c.project_id))
acc = data.accuracy(c.engine, c.db, f, "annotator_id", small_n=sn)
try:
    pre, pre_none = data.prelabel(c.engine, c.db, hf), None  # automation bias: judged on the same 26 weeks as drift
except NoData as e:
    pre, pre_none = None, e
# Dawid-Skene reads one row per annotation of multiply-labelled items (not a small aggregate): automatic on
# project-slice scale, on request beyond it.
DS_AUTO_LIMIT = 500_000
n_scope = int(act["n_annotations"].sum())
if n_scope <= DS_AUTO_LIMIT or st.session_state.get("ds_go"):
    try:
        skill = data.annotator_skill(c.engine, c.db, f)
    except NoData:  # no multiply-labelled item: Dawid-Skene has nothing to fit, the columns stay empty
        skill = pd.DataFrame()
else:
    skill = pd.DataFrame()

# ------------------------------------------------------------------------------------------ leaderboard
lb = act[["annotator_id", "team", "n_annotations", "n_items", "active_hours", "items_per_hour",
          "median_seconds_per_item"]].rename(columns={"n_annotations": "annotations", "n_items": "items"})
lb = lb.merge(acc[["annotator_id", "accuracy", "ci_low", "ci_high", "n"]].rename(columns={"n": "n_gold"}),
              on="annotator_id", how="left")
if not skill.empty:
    lb = lb.merge(skill[["annotator_id", "expected_agreement", "estimated_accuracy"]], on="annotator_id", how="left")
else:
    lb["expected_agreement"] = np.nan
    lb["estimated_accuracy"] = np.nan
drift_ids = set(drift.loc[drift["drift"].astype(bool), "annotator_id"].astype(str)) if not drift.empty else set()
bias_ids = set(pre.loc[pre["automation_bias"].astype(bool), "annotator_id"].astype(str)) if pre is not None else set()
flags, status = [], []
for r in lb.itertuples():
    # Flags come from the tests in analytics (drift, automation bias); a plain accuracy number per annotator is
    # shown with its interval but not judged against the project's headline accuracy target.
    fl = []
    if r.annotator_id in drift_ids:
        fl.append("drift")
    if r.annotator_id in bias_ids:
        fl.append("automation bias")
    small = pd.isna(r.n_gold) or r.n_gold < sn
    if small:
        fl.append("small gold sample")
    flags.append(", ".join(fl))
    status.append("red" if ("drift" in fl or "automation bias" in fl) else ("grey" if small else "green"))
lb["flags"] = flags
lb["status"] = [status_mark(s, fl or "no flag") for s, fl in zip(status, flags)]
# Sorted as the caption and the detail hint say: flagged annotators first, then lowest accuracy vs gold first.
lb["_flagged"] = [0 if s == "red" else 1 for s in status]
lb = lb.sort_values(["_flagged", "accuracy", "annotator_id"], na_position="last").drop(columns="_flagged")

st.subheader("Leaderboard")
if drift_err:
    st.warning(f"Drift could not be tested: {md(drift_err)}.", icon=":material/warning:")
if pre_none is not None:
    no_data(pre_none, "Automation bias not tested",
            "The check needs annotations made with a model suggestion shown (`annotations.model_suggestion`).")
if n_scope > DS_AUTO_LIMIT:
    st.toggle(f"Fit Dawid-Skene on these {n_scope:,} annotations (agreement with consensus and estimated "
              "accuracy columns; may take a minute; narrow the dates to make it faster)", key="ds_go")
n_flag = sum(1 for fl in flags if ("drift" in fl or "automation bias" in fl))
st.caption(f"{len(lb)} annotators, flagged ones first, then lowest accuracy first; {n_flag} flagged for drift or "
           "automation bias. Accuracy: Wilson 95% interval "
           f"over gold-scored annotations (n gold); grey when n < {sn}. Agreement with consensus and estimated "
           "accuracy come from a Dawid-Skene model fitted on every multiply-labelled item (no gold needed). "
           f"Drift and automation bias: judged on the 26 weeks up to {fmt_date(end)}. Pace: active hours = recorded "
           "labelling time (sum of durations); items / hour = timed annotations per active hour; median s / item = "
           "median recorded duration.")
table(lb, "annotator_leaderboard", "lb_table", status_cols=["status"],
      column_order=["annotator_id", "team", "status", "accuracy", "ci_low", "ci_high", "n_gold", "expected_agreement",
                    "estimated_accuracy", "annotations", "active_hours", "items_per_hour", "median_seconds_per_item"],
      column_config={
          "annotator_id": st.column_config.TextColumn("annotator"),
          "status": st.column_config.TextColumn("flags", width="medium"),
          "accuracy": st.column_config.NumberColumn("accuracy vs gold", format="percent"),
          "ci_low": st.column_config.NumberColumn("95% CI low", format="percent"),
          "ci_high": st.column_config.NumberColumn("95% CI high", format="percent"),
          "n_gold": st.column_config.NumberColumn("n gold", format="%d"),
          "expected_agreement": st.column_config.NumberColumn("agreement w/ consensus", format="percent"),
          "estimated_accuracy": st.column_config.NumberColumn("Dawid-Skene accuracy", format="percent"),
          "items_per_hour": st.column_config.NumberColumn("items / hour", format="%.0f"),
          "active_hours": st.column_config.NumberColumn("active hours", format="%.1f"),
          "median_seconds_per_item": st.column_config.NumberColumn("median s / item", format="%.1f"),
      })

fig = go.Figure()
d = lb.dropna(subset=["accuracy"])
fig.add_trace(go.Scatter(
    x=d["items_per_hour"], y=d["accuracy"] * 100, mode="markers+text",
    text=[a if a in drift_ids | bias_ids else "" for a in d["annotator_id"]], textposition="top center",
    marker=dict(size=8 + 14 * np.sqrt(d["n_gold"] / d["n_gold"].max()),
                color=[COLOUR["red"] if a in drift_ids | bias_ids else (COLOUR["grey"] if n < sn else BLUE)
                       for a, n in zip(d["annotator_id"], d["n_gold"])], line=dict(width=1, color="#333")),
    error_y=dict(type="data", symmetric=False, array=(d["ci_high"] - d["accuracy"]) * 100,
                 arrayminus=(d["accuracy"] - d["ci_low"]) * 100, color="#aaa", thickness=1),
    customdata=np.stack([d["annotator_id"], d["team"].astype(str), d["n_gold"]], axis=-1),
    hovertemplate="<b>%{customdata[0]}</b> (%{customdata[1]})<br>accuracy %{y:.1f}% (n = %{customdata[2]})"
                  "<br>%{x:.0f} items/hour<extra></extra>"))
style(fig, "Accuracy vs pace per annotator (red: flagged; size: gold-scored annotations)", "items per hour",
      "accuracy vs gold (%)", height=440, legend=False)
fig.update_yaxes(ticksuffix="%")
plotly_chart(fig, key="speed_quality")

# ------------------------------------------------------------------------------------------ detail
st.divider()
ids = sorted(act["annotator_id"].astype(str))
who = url_selectbox("Annotator", [None, *ids], "annotator", default=None,
                    format_func=lambda a: "— choose an annotator —" if a is None else
                    f"{a}{'  (flagged: ' + ', '.join(x for x in ('drift' if a in drift_ids else '', 'automation bias' if a in bias_ids else '') if x) + ')' if a in drift_ids | bias_ids else ''}")
if who is None:
    st.info("Choose an annotator above (flagged ones first in the leaderboard) to see the detail.",
            icon=":material/person_search:")
    st.stop()

row = lb.loc[lb["annotator_id"] == who].iloc[0]
team = None if pd.isna(row["team"]) else str(row["team"])
st.header(who)
st.caption(f"team {md(team or '–')} · {int(row['annotations']):,} annotations on {int(row['items']):,} items in the "
           f"date range · accuracy vs gold {fmt_pct(row['accuracy'])} ({fmt_ci(row['ci_low'], row['ci_high'], pct=True)}, "
           f"{fmt_n(row['n_gold'] if pd.notna(row['n_gold']) else 0)})" + (f" · flags: {md(row['flags'])}" if row["flags"] else ""))

# weekly trend with control limits and drift start
wk = data.weekly_accuracy(c.engine, c.db, hf, by="annotator_id")
wk = wk[wk["annotator_id"] == who]
dr = drift[drift["annotator_id"] == who] if not drift.empty else drift
if wk.empty or int(wk["n"].sum()) == 0:
    empty_state("No gold-scored work in the last 26 weeks", "The trend needs this annotator's annotations on gold items.")
else:
    fig = go.Figure()
    w = wk.sort_values("week")  # weeks without gold stay as gaps: the line and the band break there
    fig.add_trace(go.Scatter(x=list(w["week"]) + list(w["week"])[::-1],
                             y=list(w["ci_high"] * 100) + list(w["ci_low"] * 100)[::-1], fill="toself",
                             fillcolor="rgba(47,102,144,0.15)", line=dict(width=0), name="95% CI", hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=w["week"], y=w["accuracy"] * 100, mode="lines+markers", name=f"{who} weekly accuracy",
        line=dict(color=BLUE, width=2),
        marker=dict(color=["white" if s else BLUE for s in w["small_sample"]], size=8,
                    line=dict(color=BLUE, width=1.5)),
        customdata=w[["n"]], hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}% (n = %{customdata[0]})<extra></extra>"))
    if not dr.empty and pd.notna(dr["baseline_acc"].iloc[0]):
        base = float(dr["baseline_acc"].iloc[0])
        # Control limits: 3-sigma p-chart limits around the baseline accuracy at each week's n (analytics).
        ws = wk.sort_values("week")
        lo, hi = control_limits(base, ws["n"].to_numpy(float), sigmas=3)
        fig.add_trace(go.Scatter(x=ws["week"], y=np.full(len(ws), base * 100), mode="lines", name="baseline",
                                 line=dict(color="#333", dash="dash")))
        fig.add_trace(go.Scatter(x=ws["week"], y=np.asarray(lo) * 100, mode="lines", name="control limits (3σ)",
                                 line=dict(color=COLOUR["red"], dash="dot", width=1.2, shape="hvh")))
        fig.add_trace(go.Scatter(x=ws["week"], y=np.asarray(hi) * 100, mode="lines", showlegend=False,
                                 line=dict(color=COLOUR["red"], dash="dot", width=1.2, shape="hvh")))
        if bool(dr["drift"].iloc[0]) and pd.notna(dr["start_week"].iloc[0]):
            sw = pd.Timestamp(dr["start_week"].iloc[0])
            fig.add_vline(x=sw.timestamp() * 1000, line=dict(color=COLOUR["red"], width=2),
                          annotation=dict(text=f"drift starts {sw:%d %b}", font=dict(color=COLOUR["red"], size=12)),
                          annotation_position="top right")
    style(fig, f"{who}: weekly accuracy vs gold, 26 weeks (hollow: n < {sn})", "week (Monday)", "accuracy vs gold (%)",
          height=440)
    fig.update_yaxes(ticksuffix="%")
    split_bands(fig)
    monday_ticks(fig, wk["week"])
    plotly_chart(fig, key="trend")
    if not dr.empty:
        r = dr.iloc[0]
        if bool(r["drift"]):
            st.error(f"**Drift**: accuracy {fmt_pct(r['recent_acc'])} in the last {baseline_weeks} weeks (n = "
                     f"{int(r['n_recent'])}) against a baseline of {fmt_pct(r['baseline_acc'])} (n = {int(r['n_baseline'])}); "
                     f"difference {r['delta'] * 100:+.1f} points (95% CI {r['delta_ci_low'] * 100:+.1f} to "
                     f"{r['delta_ci_high'] * 100:+.1f}), "
                     f"one-sided p = {r['p_value']:.2g}; the drop starts the week of {fmt_date(r['start_week'])}.",
                     icon=":material/trending_down:")
        else:
            st.caption(f"No drift: recent {fmt_pct(r['recent_acc'])} vs baseline {fmt_pct(r['baseline_acc'])}"
                       + (f" (p = {r['p_value']:.2g})" if pd.notna(r['p_value']) else f" ({r['reason']})") + ".")

# pre-label evidence (issue 9 item 5): the automation-bias alert opens this drill-down, so it shows the numbers
# the gate's automation_bias rule tests, over the same 26 weeks: acceptance of right vs wrong model pre-labels
# against the peers.
@st.cache_data(ttl=data.TTL, show_spinner="Counting accepted pre-labels...")
def _prelabel_evidence(_engine, db: str, flt, annotator_id: str):
    from analytics.quality.evidence import prelabel_evidence
    try:
        return prelabel_evidence(_engine, flt, annotator_id), None
    except NoData as exc:
        return None, exc


st.subheader("Model pre-labels accepted")
ev_pre, ev_none = _prelabel_evidence(c.engine, c.db, hf, who)
if ev_none is not None:
    no_data(ev_none, "No pre-label evidence", "Acceptance needs annotations made with a model suggestion shown "
            "(`annotations.model_suggestion`) on items with a gold label.")
else:
    piv = {(r.suggestion, r.who == who): r for r in ev_pre.itertuples()}
    cols = st.columns(2)
    for col, kind, words in ((cols[0], "right", "right (equal to gold)"), (cols[1], "wrong", "wrong (not gold)")):
        me, peers = piv[(kind, True)], piv[(kind, False)]
        with col.container(border=True):
            st.metric(f"Accepts {words} pre-labels", fmt_pct(me.rate), border=False)
            st.caption(f"{me.accepted:,} of {me.shown:,} ({fmt_ci(me.ci_low, me.ci_high, pct=True)}); peers "
                       f"{fmt_pct(peers.rate)} ({peers.accepted:,} of {peers.shown:,}, "
                       f"{fmt_ci(peers.ci_low, peers.ci_high, pct=True)})")
    verdict = ("flagged for automation bias (accepts wrong pre-labels more often than peers, Bonferroni p < 0.05)"
               if who in bias_ids else "not flagged for automation bias")
    st.caption(f"Annotations on gold items made with a model suggestion shown, {fmt_date(hf.date_from)} – "
               f"{fmt_date(hf.date_to)} (the 26 weeks the drift and automation-bias tests read): {md(who)} is "
               f"{verdict}.")

# confusion vs gold and per-class accuracy vs team (full width each: 30 class names must stay readable)
left, right = st.container(), st.container()
cm = data.confusion(c.engine, c.db, f, annotator_id=who)
with left:
    if cm.empty:
        empty_state("No gold-scored annotation", "The confusion matrix needs this annotator's labels on gold items.")
    else:
        order = sorted(set(cm["gold_label"].astype(str)) | set(cm["label"].astype(str)))
        fig = heatmap(confusion_matrix(cm, normalize="true", labels=order), f"{who}: labels given per gold class",
                      "label given", "gold label", "share of the gold class", pct=True,
                      hover_extra=confusion_matrix(cm, labels=order), hover_extra_name="annotations")
        plotly_chart(fig, key="ann_cm")
with right:
    mine = per_class_prf(cm) if not cm.empty else pd.DataFrame()
    teamcm = data.confusion(c.engine, c.db, f, team=team) if team else pd.DataFrame()
    theirs = per_class_prf(teamcm) if not teamcm.empty else pd.DataFrame()
    if mine.empty:
        empty_state("No per-class accuracy", "Needs gold-scored annotations of this annotator.")
    else:
        m = mine[mine["support"] > 0].sort_values(["recall", "label"])
        fig = go.Figure()
        if not theirs.empty:
            t = theirs.set_index("label").reindex(m["label"])
            fig.add_trace(go.Scatter(x=t["recall"] * 100, y=m["label"], mode="markers", name=f"team {team}",
                                     marker=dict(symbol="line-ns", size=14, line=dict(width=3, color="#333")),
                                     customdata=t[["support"]].fillna(0),
                                     hovertemplate="team: %{x:.1f}% (n = %{customdata[0]})<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=m["recall"] * 100, y=m["label"], mode="markers", name=who,
            marker=dict(size=9, color=[COLOUR["grey"] if n < sn else (COLOUR["red"] if l in c.critical else BLUE)
                                       for n, l in zip(m["support"], m["label"])]),
            error_x=dict(type="data", symmetric=False, array=(m["recall_ci_high"] - m["recall"]) * 100,
                         arrayminus=(m["recall"] - m["recall_ci_low"]) * 100, color="#999", thickness=1),
            customdata=m[["support"]], hovertemplate="%{y}: %{x:.1f}% (n = %{customdata[0]})<extra></extra>"))
        style(fig, f"{who}'s accuracy per gold class vs team {team} (black tick)", "accuracy on the class's gold items (%)",
              "", height=rows_height(len(m)))
        fig.update_yaxes(autorange="reversed", type="category", tickmode="linear")
        fig.update_xaxes(ticksuffix="%", range=[0, 105])
        plotly_chart(fig, key="ann_classes")
        st.caption(f"Wilson 95% intervals; grey: fewer than {sn} gold items of the class.")

st.subheader("Recent disagreements with gold to review")
dis = data.annotator_disagreements(c.engine, c.db, f, who, limit=50)
if dis.empty:
    st.success("No disagreement with gold in the date range.", icon=":material/check_circle:")
else:
    table(dis, f"disagreements_{who}", "dis_table", column_config=column_config(dis), caption=f"The {len(dis)} most recent annotations by {who} that "
          "differ from the item's gold label (newest first; at most 50).")


# ------------------------------------------------------------------------------------- flagged labels (issue 14)
@st.cache_data(ttl=600, show_spinner="Finding this annotator's labels flagged by confident learning...")
def _flagged_labels(_engine, db: str, f, annotator_id: str, sn: int):
    """(run_id, the annotator's flagged labels, their share row) under the newest run with class scores; None
    when the project has no model scores or no scored labelled item in the filters."""
    from sqlalchemy import inspect

    from analytics.sources.label_errors_db import label_errors_from_db, model_score_runs_from_db
    from analytics.sources.label_issue_db import annotator_flagged_labels_from_db, label_issue_shares_from_db

    if not inspect(_engine).has_table("model_scores"):
        return None
    runs = model_score_runs_from_db(_engine, f.project_id)
    if runs.empty:
        return None
    run_id = str(runs.iloc[0]["run_id"])
    try:
        res = label_errors_from_db(_engine, f, run_id)
    except NoData:
        return None
    shares = label_issue_shares_from_db(_engine, f, run_id, res, small_n=sn)
    mine = shares[(shares["dim"] == "annotator") & (shares["grp"] == str(annotator_id))]
    return run_id, annotator_flagged_labels_from_db(_engine, f, run_id, res, annotator_id), mine


st.subheader("Labels flagged as likely errors")
fl = _flagged_labels(c.engine, c.db, f, who, sn)
if fl is None:
    st.info("No model run with class scores covers this annotator's labels in these filters: load a model's "
            "out-of-sample class scores (`labelqa load`, table `model_scores`) to see the labels confident "
            "learning flags.", icon=":material/info:")
else:
    run_id, flagged, mine = fl
    if mine.empty:
        st.info(f"{md(who)} labelled no item scored by model run {md(run_id)} in these filters.")
    else:
        r = mine.iloc[0]
        st.caption(f"{int(r.k):,} of {int(r.n):,} labels of scored items ({fmt_pct(r.share)}, 95% Wilson interval "
                   f"{fmt_ci(r.ci_low, r.ci_high, pct=True)}) gave an item the label confident learning flags "
                   f"(model run {md(run_id)}, prune by noise rate)"
                   + (f"; small sample (fewer than {sn} labels)" if bool(r.small_sample) else "") + ".")
        if flagged.empty:
            st.success("None of this annotator's labels is flagged.", icon=":material/check_circle:")
        else:
            table(flagged, f"flagged_labels_{who}_{run_id}", "ann_flagged", column_config=column_config(flagged),
                  height=min(rows_height(len(flagged)), 420),
                  caption="Lowest score first (self-confidence of the given label). The Label errors & review "
                          "queue page ranks every flagged item and builds the review queue.")
