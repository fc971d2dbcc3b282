"""Label vs model: does a class's model metric track its label quality once class frequency is controlled
for? Per-class scatter with the OLS reading, label quality vs model metric across dataset versions,
calibration of the model's confidences, and pre-label acceptance (automation bias)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from analytics.metrics.results import NoData
from analytics.render.columns import TERMS, fmt_p
from ui import data
from ui.charts import BLUE, COLOUR, forest, plotly_chart, style
from ui.common import (
    PAGES, ctx, empty_state, fmt_ci, fmt_date, fmt_n, fmt_num, fmt_pct, link_params, md, no_data, page_header,
    small_n, status_mark, table, url_selectbox, week_start,
)
from ui.figfix import label_points, same_scale
from ui.words import column_config, tidy

c = ctx()
f = c.filters
sn = small_n(c)
page_header("Label vs model", "Per class: accuracy of the training labels against gold next to the model's "
            "metric on that class. Model runs are not filtered by date; label accuracy uses the sidebar's team, "
            "schema version and split.")
# Label quality of a run's training data spans every batch up to the run's dataset version, so the date range
# does not apply here (it would cut the training data); the other filters do.
lf = f.replace(date_from=None, date_to=None)

runs = data.model_runs(c.engine, c.db, f.project_id)
metrics = data.model_metric_names(c.engine, c.db, f.project_id)
if runs.empty or not metrics:
    empty_state("No model runs yet",
                "This page fills once model evaluations are loaded: `model_runs` (one row per trained model, with "
                "the batch it was trained up to) and `model_metrics` (per-class F1, precision or recall with "
                "support). Predictions with confidences add calibration; pre-labels shown to annotators add the "
                "automation-bias check below.")
else:
    labels = {r.run_id: f"{r.run_id} — {r.model_name or ''} v{r.model_version or '?'}, trained up to "
                        f"{r.trained_on_batch or 'all batches'}" for r in runs.itertuples()}
    ids = runs["run_id"].astype(str).tolist()
    s1, s2 = st.columns([3, 1])
    run_id = url_selectbox("Model run", ids, "run", default=ids[-1], where=s1, format_func=lambda r: labels.get(r, r),
                           help="Runs in evaluation order; the dataset version is the last batch in training.")
    metric = url_selectbox("Model metric", metrics, "mmetric", default="f1" if "f1" in metrics else metrics[0],
                           where=s2, format_func=lambda m: m.upper() if len(m) <= 3 else m)
    mname = metric.upper() if len(metric) <= 3 else metric

    # -------------------------------------------------------------------------------------- per class
    st.subheader("Per class: label accuracy vs model metric")
    try:
        frame, res = data.label_vs_model(c.engine, c.db, lf, run_id, metric)
        ok = frame.dropna(subset=["label_accuracy", "model_metric"])
    except NoData:  # neither per-class metrics nor gold-scored annotations for this run
        ok = pd.DataFrame()
    if ok.empty:
        empty_state("No class has both gold-checked labels and a model metric",
                    "The scatter needs gold labels on the run's training items and per-class metrics for the run.")
    else:
        crit = set(c.critical)
        fig = go.Figure()
        sizes = ok["support"].fillna(0).to_numpy(float)
        size = 8 + 30 * np.sqrt(sizes / sizes.max()) if sizes.max() > 0 else np.full(len(ok), 10.0)
        # Fitted line with its 95% band, when analytics provides it: RegressionResult.fit, a frame
        # ``label_quality, fit, ci_low, ci_high`` (requested from correlation.py; the page draws, never fits).
        fit = getattr(res, "fit", None)
        if isinstance(fit, pd.DataFrame) and not fit.empty and "label_quality" in fit.columns:
            fig.add_trace(go.Scatter(x=list(fit["label_quality"] * 100) + list(fit["label_quality"] * 100)[::-1],
                                     y=list(fit["ci_high"] * 100) + list(fit["ci_low"] * 100)[::-1], fill="toself",
                                     fillcolor="rgba(47,102,144,0.15)", line=dict(width=0), name="95% band",
                                     hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=fit["label_quality"] * 100, y=fit["fit"] * 100, mode="lines", name="OLS fit",
                                     line=dict(color=BLUE, width=2)))
        fig.add_trace(go.Scatter(
            x=ok["label_accuracy"] * 100, y=ok["model_metric"] * 100, mode="markers",
            marker=dict(size=size, color=[COLOUR["red"] if l in crit else BLUE for l in ok["label"].astype(str)],
                        opacity=0.75, line=dict(width=1, color="#333")),
            error_x=dict(type="data", symmetric=False, array=(ok["acc_ci_high"] - ok["label_accuracy"]) * 100,
                         arrayminus=(ok["label_accuracy"] - ok["acc_ci_low"]) * 100, color="#999", thickness=1),
            customdata=np.stack([ok["label"].astype(str), ok["n_gold"], ok["support"].fillna(0)], axis=-1),
            hovertemplate="<b>%{customdata[0]}</b><br>label accuracy %{x:.1f}% (n = %{customdata[1]})<br>"
                          f"{mname} %{{y:.1f}}<br>support %{{customdata[2]}}<extra></extra>",
            name="class (size = support)"))
        style(fig, f"{mname} vs label accuracy per class — run {run_id} (size = test support; red = critical)",
              "label accuracy of the training annotations vs gold (%)", f"model {mname} (%)", height=560)
        fig.update_xaxes(ticksuffix="%")
        # Named points (the four lowest label accuracies and critical classes), placed so that no two overlap.
        named = [l if (l in crit or i < 4) else "" for i, l in
                 zip(ok["label_accuracy"].rank(method="first").astype(int) - 1, ok["label"].astype(str))]
        label_points(fig, ok["label_accuracy"] * 100, ok["model_metric"] * 100, named, height_px=440)
        plotly_chart(fig, key="scatter")
        st.caption("Horizontal bars: Wilson 95% interval of each class's label accuracy. Named points: the four "
                   "classes with the lowest label accuracy and critical classes.")

        st.markdown(f"**Reading.** {res.summary}" if res.reason is None else f"**Not estimable:** {res.reason}")
        k1, k2, k3, k4 = st.columns(4)
        for col, corr, label in ((k1, res.pearson, "Pearson r"), (k2, res.spearman, "Spearman ρ"),
                                 (k3, res.partial, "Partial r | log(support)")):
            col.metric(label, fmt_num(corr.value), help=corr.method)
            col.caption(f"{fmt_ci(corr.ci_low, corr.ci_high)}; {fmt_p(corr.p_value)}; {corr.n} classes"
                        if corr.reason is None else corr.reason)
        k4.metric("R²", fmt_num(res.r2, 2))
        k4.caption(f"OLS {mname} ~ label accuracy + log(support); {res.n} classes"
                   + ("; few classes: read the intervals" if res.small_n else ""))
        st.markdown("**Confounder control.** Frequent classes tend to get both better labels and better models, "
                    "so the raw correlation overstates the link. The coefficient of label accuracy below is the "
                    "change in the metric per unit of label accuracy *at equal class frequency* (log support "
                    "held fixed); the partial correlation is the same control as a correlation.")
        coef = res.coefficients.reset_index()
        # shown: the term in words (the CSV keeps the model's own term names for scripts)
        coef.insert(1, "variable", coef["term"].map(lambda t: TERMS.get(t, t)))
        table(coef, f"ols_{run_id}_{metric}", "coef_table",
              column_order=["variable", "coef", "se", "ci_low", "ci_high", "p"],
              column_config=column_config(coef, variable="term of the model",
                                          **{k: st.column_config.NumberColumn(w, format="%.4f") for k, w in
                                             (("coef", "coefficient"), ("se", "standard error"),
                                              ("ci_low", "95% CI low"), ("ci_high", "95% CI high"))}))
        with st.expander("Per-class data"):
            shown = tidy(frame)
            table(shown, f"label_vs_model_{run_id}", "lvm_table",
                  column_config=column_config(shown, model_metric=f"model {mname}"))

    # -------------------------------------------------------------------------------------- versions
    st.subheader("Across dataset versions")
    vers, vcorr = data.versions(c.engine, c.db, lf, metric)
    if vers.empty:
        empty_state("No dataset versions", "Each model run names the last batch it was trained on "
                    "(`model_runs.trained_on_batch`); those are the versions compared here.")
    else:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        x = vers["run_id"].astype(str) + "<br>" + vers["trained_on_batch"].fillna("all").astype(str)
        fig.add_trace(go.Scatter(x=x, y=vers["label_accuracy"] * 100, mode="lines+markers", name="label accuracy (%)",
                                 line=dict(color=BLUE),
                                 error_y=dict(type="data", symmetric=False,
                                              array=(vers["ci_high"] - vers["label_accuracy"]) * 100,
                                              arrayminus=(vers["label_accuracy"] - vers["ci_low"]) * 100),
                                 customdata=vers[["n"]],
                                 hovertemplate="%{y:.1f}% (n = %{customdata[0]:,})<extra></extra>"), secondary_y=False)
        fig.add_trace(go.Scatter(x=x, y=vers["model_metric"] * 100, mode="lines+markers", name=f"overall {mname} (%)",
                                 line=dict(color=COLOUR["red"], dash="dash")), secondary_y=True)
        style(fig, f"Training-label accuracy and overall model {mname} per dataset version", "run / trained up to batch",
              None, height=420)
        fig.update_yaxes(title_text="label accuracy vs gold (%)", secondary_y=False)
        fig.update_yaxes(title_text=f"model {mname} (%)", secondary_y=True)
        # One scale on both axes (both are percentages): a gap between the lines is a real gap.
        same_scale(fig, vers["label_accuracy"] * 100, vers["ci_low"] * 100, vers["ci_high"] * 100,
                   vers["model_metric"] * 100)
        plotly_chart(fig, key="versions")
        if vcorr:
            p = vcorr.get("pearson")
            s = vcorr.get("spearman")
            st.caption(f"Across {len(vers)} versions: Pearson r = {fmt_num(p.value)} ({fmt_ci(p.ci_low, p.ci_high)}), "
                       f"Spearman ρ = {fmt_num(s.value)}. With a handful of versions the intervals are wide and "
                       "time confounds both series (more data, later model): read it as a trend, not a cause.")
        shown = tidy(vers)
        table(shown, f"versions_{metric}", "vers_table",
              column_config=column_config(shown, n="gold-scored annotations", model_metric=f"overall {mname}"))

    # -------------------------------------------------------------------------------------- calibration
    st.subheader("Calibration")
    n_pred = int(runs.loc[runs["run_id"] == run_id, "n_predictions"].iloc[0])
    if n_pred == 0:
        empty_state("No predictions for this run",
                    "Calibration needs the run's predictions with confidences (table `predictions`).")
    else:
        try:
            cal = data.calibration(c.engine, c.db, f.project_id, run_id)
        except NoData as e:  # predictions, but none with a confidence and a reference label
            cal = None
            no_data(e, "No calibration for this run",
                    "Calibration needs predictions with confidences on items with gold or a clear majority label.")
    if n_pred and cal is not None:
        b = cal.bins
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=[0, 100], y=[0, 100], mode="lines", name="perfect calibration",
                                 line=dict(color="#999", dash="dot")))
        fig.add_trace(go.Scatter(
            x=b["mean_confidence"] * 100, y=b["accuracy"] * 100, mode="lines+markers", name="observed",
            line=dict(color=BLUE, width=2),
            marker=dict(size=8 + 22 * np.sqrt(b["n"] / b["n"].max()), color=[COLOUR["grey"] if n < sn else BLUE for n in b["n"]]),
            error_y=dict(type="data", symmetric=False, array=(b["ci_high"] - b["accuracy"]) * 100,
                         arrayminus=(b["accuracy"] - b["ci_low"]) * 100, color="#555", thickness=1.3),
            customdata=b[["n", "n_gold", "n_consensus"]],
            hovertemplate="confidence %{x:.1f}% → correct %{y:.1f}%<br>n = %{customdata[0]:,} (gold %{customdata[1]:,}, "
                          "consensus %{customdata[2]:,})<extra></extra>"))
        style(fig, f"Reliability diagram — run {run_id} (size = predictions per bin; grey: n < {sn})",
              "mean predicted confidence (%)", "share correct (%)", height=480)
        fig.update_xaxes(range=[0, 100], ticksuffix="%")
        fig.update_yaxes(range=[0, 100], ticksuffix="%")
        e = cal.ece
        cc1, cc2 = st.columns([2, 1])
        cc1.plotly_chart(fig, key="calibration")
        cc2.metric("Expected calibration error", fmt_pct(e.value) if e.defined else "–")
        cc2.caption(f"{fmt_ci(e.ci_low, e.ci_high, pct=True)}; {fmt_n(cal.n)} predictions "
                    f"({cal.n_gold:,} scored against gold, {cal.n_consensus:,} against the annotators' majority). "
                    f"Largest bin gap {fmt_pct(cal.mce)}.")
        cc2.caption("ECE: the average gap between confidence and accuracy, weighted by predictions per bin. "
                    "Points below the diagonal: the model is over-confident there.")

# ------------------------------------------------------------------------------------------ pre-labels
st.subheader("Pre-label acceptance and automation bias")
# Automation bias is a habit: judged on the 26 weeks up to the end date, as on the overview and Annotators pages.
pf26 = f if f.date_to is None else f.replace(date_from=week_start(f.date_to) - dt.timedelta(weeks=25))
try:
    pre, pre_none = data.prelabel(c.engine, c.db, pf26), None
except NoData as e:
    pre, pre_none = None, e
if pre_none is not None:
    no_data(pre_none, "No pre-labels in this selection",
            "This check needs annotations made with a model suggestion shown (`annotations.model_suggestion`) "
            "and gold labels on some of those items: it measures how often a wrong suggestion is accepted.")
else:
    pre = pre.copy()
    pre["small_sample"] = pre["reason"].notna()  # not tested: too few wrong suggestions seen
    pre["status"] = np.where(pre["automation_bias"].astype(bool), "red", np.where(pre["small_sample"], "grey", "green"))
    p_sorted = pre.sort_values(["wrong_acceptance_rate", "annotator_id"], ascending=[False, True])
    fig = forest(p_sorted.dropna(subset=["wrong_acceptance_rate"]), "annotator_id", "wrong_acceptance_rate", "ci_low",
                 "ci_high", "n_wrong_suggestions",
                 "Wrong pre-labels accepted, per annotator (red = flagged automation bias)",
                 "share of wrong suggestions accepted (%)", status="status", small="small_sample")
    plotly_chart(fig, key="prelabel")
    flagged = pre.loc[pre["automation_bias"].astype(bool), "annotator_id"].astype(str).tolist()
    if flagged:
        st.markdown("**Flagged:** " + ", ".join(md(a) for a in flagged) + " accept wrong suggestions far more often than their "
                    "peers (one-sided two-proportion test, Bonferroni-adjusted).")
        for a in flagged:
            st.page_link(PAGES["annotators"][0], label=f"Open {a} on the Annotators page", icon=":material/person:",
                         query_params=link_params(c, annotator=a))
    st.caption(f"The 26 weeks up to {fmt_date(f.date_to)}. "
               "Wrong suggestion: the pre-label differs from the item's gold label. Hollow grey points: too few "
               "wrong suggestions seen to test (see the reason column).")
    tbl = pre.assign(status=[status_mark(s, "automation bias" if s == "red" else None) for s in pre["status"]])
    tbl = tidy(tbl.drop(columns=["small_sample"]))
    table(tbl, "prelabel_acceptance", "pre_table", status_cols=["status"],
          column_config=column_config(tbl, acc_ci_low="accepted 95% CI low", acc_ci_high="accepted 95% CI high",
                                      ci_low="wrong accepted 95% CI low", ci_high="wrong accepted 95% CI high",
                                      reason="why not tested"))
