"""Stratified accuracy: accuracy against gold per class and per item attribute (forest plot + table), the
pooled and the stratified-weighted headline side by side, the confusion matrix (filterable by team and
attribute) and the confusions that are concentrated in one team, annotator or condition."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import kinds
from analytics.accuracy import confusion_matrix
from analytics.render.columns import fmt_p
from analytics.quality.status import class_status, systematic_by_class
from ui import data
from ui.charts import COLOUR, forest, heatmap, plotly_chart
from ui.common import (
    PAGES, ctx, empty_state, filter_link, filters_empty_state, fmt_ci, fmt_n, fmt_pct, link_params, md, page_header, small_n,
    status_badge, status_mark, table, url_focus, url_radio, url_selectbox, url_toggle,
)
from analytics.filters import Filters
from ui.words import column_config, tidy

c = ctx()
f = c.filters
sn = small_n(c)
page_header("Stratified accuracy", "Accuracy of annotations against gold labels, per class and per item "
            "condition, with Wilson 95% intervals; critical classes marked ★.")
_view = kinds.view(c.project.get("task_type"), "accuracy")  # another kind draws this page (KindSpec.views)
if _view is not None:
    _view(c)
    st.stop()

overall = data.overall_accuracy(c.engine, c.db, f, small_n=sn)
if overall.n == 0:
    # the real reason: the filters match no annotation, or no gold-scored one, or the project has no gold at all
    n_gold = data.overall_accuracy(c.engine, c.db, Filters(c.project_id), small_n=sn).n or 0
    if n_gold:
        filters_empty_state("No gold-scored annotation in this selection",
                            f"This project has {n_gold:,} annotations on gold items, none in the chosen dates, team, "
                            "schema version and split. Widen the sidebar filters.", c)
    else:
        filters_empty_state("No gold labels in this project yet",
                            "Accuracy needs annotations on items that have a gold label (table `gold_labels`: expert, "
                            "adjudicated or honeypot answers). Load gold with `labelqa load`. Agreement and coverage "
                            "pages work without gold.", c)
    st.stop()

focus = url_focus(c)
if focus:
    st.info(f"Opened from an alert about **{md(focus)}**: its row is marked ▶ below.", icon=":material/notifications:")

# ----------------------------------------------------------------------------------------- headline
strat = data.stratified(c.engine, c.db, f, small_n=sn)
st.subheader("Headline: pooled vs stratified-weighted")
h1, h2, h3 = st.columns([1, 1, 1.6])
pooled, weighted = strat.pooled, strat.stratified
for col, est, label in ((h1, pooled, "Pooled accuracy"), (h2, weighted, "Stratified-weighted accuracy")):
    with col.container(border=True):
        st.metric(label, fmt_pct(est.value) if est.defined else "–", border=False)
        st.caption(f"{fmt_ci(est.ci_low, est.ci_high, pct=True)}, {fmt_n(est.n)} gold-scored annotations"
                   if est.defined else f"Not defined: {est.reason}")
        s = c.status("accuracy", est.value, est.ci_low, est.ci_high, est.n, "overall")
        status_badge(s)
with h3:
    st.markdown(
        "**Why two numbers?** QA checks rare classes more often than common ones, so the pooled share of "
        "correct labels over-weights them. The stratified figure weights each class's accuracy by its share "
        "of the project's items, which is what a random item would score.")
    if strat.uncovered_share and strat.uncovered_share > 0:
        st.caption(f"{fmt_pct(strat.uncovered_share)} of the items are in classes with too little gold to "
                   "estimate; the stratified figure describes the rest.")
    for note in strat.notes:
        st.caption(note)

# -------------------------------------------------------------------------------------- forest plot
st.subheader("Accuracy per stratum")
keys = [str(k) for k in c.period_options.get("attr_key", [])]  # the attributes present in the chosen dates
by_opts = ["gold_label", *[f"attr:{k}" for k in keys]]
by = url_radio("Stratify by", by_opts, "by", default="gold_label",
               format_func=lambda b: "gold class" if b == "gold_label" else b.split(":", 1)[1],
               help="Each annotation on a gold item is scored correct or not; strata are the item's gold class "
                    "or an item attribute (table item_attributes).")
acc = data.accuracy(c.engine, c.db, f, by, small_n=sn)
label_col = "gold_label" if by == "gold_label" else by.split(":", 1)[1]
acc = acc.copy()
acc[label_col] = acc[label_col].astype("string").fillna("(missing)")
acc["tier"] = [c.tier(l) if by == "gold_label" else "standard" for l in acc[label_col]]
acc["status"] = [c.status("accuracy", r.accuracy, r.ci_low, r.ci_high, r.n, r.tier) for r in acc.itertuples()]
# The systematic confusions (tested here once, shown in their cards below) colour their gold class too: a class
# flagged below is not "on target" in the table (issue 9 item 6; analytics.quality.status).
dims = ["team", "annotator_id", *[f"attr:{k}" for k in keys], *[f"team*attr:{k}" for k in keys]]
sysc = data.systematic(c.engine, c.db, f, tuple(dims))
flagged = systematic_by_class(sysc) if by == "gold_label" else {}
judged = [class_status(s_, l, flagged) for s_, l in zip(acc["status"], acc[label_col])]
acc["status"] = [s_ for s_, _ in judged]
acc["status_words"] = [w for _, w in judged]
sort = url_radio("Sort", ["accuracy", "n", "name"], "sort", default="accuracy",
                 format_func={"accuracy": "accuracy, worst first", "n": "n, largest first", "name": "name"}.get)
acc = (acc.sort_values(["accuracy", label_col]) if sort == "accuracy" else
       acc.sort_values("n", ascending=False) if sort == "n" else acc.sort_values(label_col))
acc["shown"] = [("▶ " if focus and l == focus else "") + l for l in acc[label_col]]
crit = [("▶ " if focus and l == focus else "") + l for l in c.critical]
rule_std = c.thresholds.rule("accuracy", "standard", c.project_id)
rule_crit = c.thresholds.rule("accuracy", "critical", c.project_id)
refs = [(pooled.value, f"pooled {fmt_pct(pooled.value)}", "#555"),
        (weighted.value, f"stratified {fmt_pct(weighted.value)}", "#2f6690"),
        (rule_std.limit, f"standard target {fmt_pct(rule_std.limit, 0)}", COLOUR["red"])]
if by == "gold_label" and c.critical:
    refs.append((rule_crit.limit, f"critical target {fmt_pct(rule_crit.limit, 0)}", COLOUR["red"]))
fig = forest(acc, "shown", "accuracy", "ci_low", "ci_high", "n",
             title=f"Accuracy vs gold by {'gold class' if by == 'gold_label' else label_col} "
                   f"(point = estimate, bar = Wilson 95% CI, size = n)",
             x_title="accuracy (% of gold-scored annotations correct)", status="status", small="small_sample",
             highlight=crit if by == "gold_label" else (), refs=refs)
plotly_chart(fig, key="forest")
st.caption(f"Colour: threshold status (targets judged on the interval's lower bound); amber also marks a class "
           f"with a systematic confusion (cards below) that would otherwise be on target. Hollow grey points have "
           f"fewer than {sn} gold-scored annotations: shown, but too few to judge.")
tbl = acc[[label_col, "tier", "accuracy", "ci_low", "ci_high", "n", "n_items", "correct", "small_sample", "status"]].copy()
tbl["status"] = [status_mark(s, w) for s, w in zip(tbl["status"], acc["status_words"])]
table(tbl, f"accuracy_by_{label_col}", "acc_table", status_cols=["status"],
      column_config=column_config(tbl, **{label_col: "gold class" if by == "gold_label" else label_col,
                                          "n": "gold-scored annotations", "n_items": "gold items",
                                          "correct": "correct annotations"}))

# --------------------------------------------------------------------------------- systematic callouts
st.subheader("Systematic confusions")
hits = sysc[sysc["systematic"].astype(bool)] if not sysc.empty else sysc
if hits.empty:
    st.success("No confusion is concentrated in one team, annotator or item condition "
               "(chi-square test per dimension, Bonferroni-adjusted).", icon=":material/check_circle:")
else:
    st.caption("Frequent confusions whose rate differs sharply between groups (chi-square test of the groups, "
               "Bonferroni-adjusted p < 0.05); the group named has the highest rate. Strongest first.")
    best = hits.sort_values("p_value").groupby(["true_label", "label"], sort=False).head(2)
    for r in best.itertuples():
        team_v, attr_v = None, None
        for part in str(r.concentrated_in).split(", "):
            k, _, v = part.partition("=")
            if k == "team":
                team_v = v
            elif k in keys:
                attr_v = f"{k}={v}"
        with st.container(border=True):
            left, right = st.columns([5, 1.3], vertical_alignment="center")
            left.markdown(
                f"**{r.true_label} → {r.label}**: {fmt_pct(r.share)} of gold-{r.true_label} annotations "
                f"({int(r.n)}) are labelled {r.label}. In **{r.concentrated_in}** the rate is "
                f"{fmt_pct(r.group_rate)} (n = {int(r.group_n)}) vs {fmt_pct(r.rest_rate)} elsewhere "
                f"({fmt_p(r.p_value)}, Bonferroni-adjusted; tested across {str(r.dimension).replace('attr:', '').replace('*', ' × ').replace('annotator_id', 'annotators')}).")
            extra = {"cm_team": team_v, "cm_attr": attr_v, "by": by}
            if team_v or attr_v:  # sets the matrix's team and condition in the address (issue 9 item 11)
                filter_link("accuracy", "Show in the matrix", extra, here="accuracy", where=right,
                            key=f"show_{r.true_label}_{r.label}_{r.dimension}", icon=":material/grid_view:", c=c)
            elif str(r.dimension) == "annotator_id":
                right.page_link(PAGES["annotators"][0], label=f"Open {r.group}", icon=":material/person:",
                                query_params=link_params(c, annotator=r.group))
    with st.expander("All tested pairs and dimensions"):
        stab = tidy(sysc)
        table(stab, "systematic_confusions", "sys_table",
              column_config=column_config(stab, label="labelled as", n="confused annotations",
                                          share="share of the gold class's annotations"))

# ----------------------------------------------------------------------------------- confusion matrix
st.subheader("Confusion matrix")
teams = [str(t) for t in c.period_options.get("team", [])]  # values present in the chosen dates
attr_vals = [str(v) for v in c.period_options.get("attr_value", [])]
m1, m2, m3 = st.columns([1, 1, 1])
cm_team = url_selectbox("Team", [None, *teams], "cm_team", default=None, where=m1,
                        format_func=lambda v: "All teams" if v is None else v)
cm_attr = url_selectbox("Item condition", [None, *attr_vals], "cm_attr", default=None, where=m2,
                        format_func=lambda v: "All items" if v is None else v.replace("=", " = "))
hide_diag = url_toggle("Hide correct labels (diagonal)", "cm_hide", default=True, where=m3,
                       help="The diagonal holds the correct share; hiding it makes the errors readable.")
ak, av = (cm_attr.split("=", 1) if cm_attr else (None, None))
long = data.confusion(c.engine, c.db, f, team=cm_team, attr_key=ak, attr_value=av)
if long.empty:
    empty_state("No gold-scored annotation for this team and condition",
                "Choose another team or item condition, or widen the sidebar filters.")
else:
    order = sorted(set(long["gold_label"].astype(str)) | set(long["label"].astype(str)))
    share = confusion_matrix(long, normalize="true", labels=order)
    counts = confusion_matrix(long, normalize=None, labels=order)
    shown = share.copy()
    if hide_diag:
        for lab in order:
            shown.loc[lab, lab] = float("nan")
    zmax = float(pd.to_numeric(shown.stack(), errors="coerce").max()) if hide_diag else 1.0
    scope = " · ".join(x for x in [f"team {cm_team}" if cm_team else "", cm_attr.replace("=", " = ") if cm_attr else ""] if x)
    fig = heatmap(shown, f"Share of each gold class's annotations given each label{' — ' + scope if scope else ''}",
                  "label given by the annotator", "gold label", "share of the gold class's annotations",
                  zmin=0, zmax=zmax if zmax == zmax and zmax > 0 else 1.0, pct=True, hover_extra=counts,
                  hover_extra_name="annotations", colorscale="Reds" if hide_diag else "Blues")
    plotly_chart(fig, key="confusion")
    st.caption(f"Rows: gold class (each row sums to 100% {'with' if hide_diag else 'including'} the hidden "
               f"diagonal); {fmt_n(int(long['n'].sum()))} gold-scored annotations. Colour scale up to the "
               "largest cell shown.")
    with st.expander("Confusion counts (long form)"):
        table(long, "confusion_counts", "cm_table",
              column_config=column_config(long, label="label given", n="annotations"))
