"""Delivery report: what a client needs to judge one delivered batch on their own. Built by
``analytics.report.delivery_report`` from the chosen project's data only; the page and the downloadable HTML are
one design (``analytics.render.report.delivery``: the same sentences, targets and verdicts, chart rows, colours
and legend). Annotators appear aggregated by default (the delivery settings' ``annotators``), as pseudonyms in
the vendor view."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import kinds
from analytics.metrics.results import NoData
from analytics.render.report.kind_delivery import _PERSONAL
from analytics.render.report.svg import VERDICT_WORDS
from analytics.render.report import (
    CLASS_LEGEND, NOTES, annotator_summary, delivery_texts, leakage_text, provenance_text, render_delivery_html,
    target_rows,
)
from ui import data
from ui.charts import forest, plotly_chart
from ui.common import ctx, empty_state, fmt_ci, fmt_n, fmt_num, fmt_pct, md, no_data, table, url_selectbox

# Column headers a client reads on their own (the CSV download keeps the machine names).
_HEAD = {
    "label": "Class", "pseudonym": "Annotator", "items": "Items", "annotations": "Labels",
    "share": "Share of labels", "accuracy": "Accuracy", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "n_gold": "Labels checked", "agreement": "Agreement (alpha)", "agreement_ci_low": "Agreement 95% CI low",
    "agreement_ci_high": "Agreement 95% CI high", "agreement_n_items": "Items labelled twice+",
    "tier": "Tier", "items_checked": "Items checked by QA", "qa_rate": "Share of items checked by QA",
    "small_sample": "Too few to judge", "verdict": "Against its target",
}
_PLAIN = ("label", "pseudonym", "items", "annotations", "n_gold", "agreement_n_items", "tier", "items_checked",
          "small_sample", "verdict")
# The chart's colours are the verdicts' (ui.charts.forest colours by status name).
_VERDICT_STATUS = {"met": "green", "not met": "red", "not enough evidence": "grey"}
_CELL = {"met": "#d9f0d3", "not met": "#f8d0cb", "not enough evidence": "#eeeeee"}
_WORD_VERDICT = {w: v for v, w in VERDICT_WORDS.items()}  # verdict words -> verdict



def kind_delivery_view(rep, html: str) -> None:
    """A batch of a preference, spans, boxes or multilabel project: the kind's checks with a verdict each (the
    same document as the HTML download)."""
    st.title(md(f"Delivery report: {rep.project_name}, batch {rep.batch_id}"))
    st.caption(f"{md(rep.kind_title)} annotations, judged by that kind's quality rules on this batch (the same "
               f"evaluation as `labelqa gate --project {rep.project_id} --batch {rep.batch_id}`). The sidebar's "
               "filters do not apply here.")
    st.download_button("Download report (HTML)", html.encode("utf-8"), file_name=f"delivery_{rep.batch_id}.html",
                       mime="text/html", type="primary", icon=":material/download:", key="dl_kind_report",
                       on_click="ignore", help="The same report as this page, in one file that opens offline.")
    rows = [(ch, v) for ch, v in zip(rep.checks, rep.verdicts) if not ch.scope.startswith(_PERSONAL)]
    df = pd.DataFrame({
        "Check": [ch.rule.replace("_", " ") for ch, _ in rows], "Subject": [ch.scope for ch, _ in rows],
        "Value": [fmt_num(ch.value) for ch, _ in rows],
        "95% CI": [fmt_ci(ch.ci_low, ch.ci_high) for ch, _ in rows],
        "n": ["" if ch.n is None else f"{int(ch.n):,}" for ch, _ in rows],
        "Threshold": [ch.threshold for ch, _ in rows],
        "Verdict": [VERDICT_WORDS.get(v, v) for _, v in rows],
    })
    st.dataframe(df.style.map(lambda v: f"background-color: {_CELL.get(_WORD_VERDICT.get(v), '')}",
                              subset=["Verdict"]), hide_index=True, width="stretch")
    n_person = len(rep.checks) - len(rows)
    if n_person:
        bad = sum(1 for ch, v in zip(rep.checks, rep.verdicts) if ch.scope.startswith(_PERSONAL) and v == "not met")
        st.caption(f"Checks of individual annotators or judges: {n_person} ({bad} not met); individuals are not "
                   "named in the client's report.")


c = ctx()
f = c.filters
batches = [str(b) for b in c.options.get("batch", [])]
if not batches:
    st.title("Delivery report")
    empty_state("No batches delivered yet",
                "A delivery report describes one batch (table `batches`, with `annotations.batch_id` pointing to "
                "it). Load batches with `labelqa load`.")
    st.stop()
batch = url_selectbox("Batch", batches, "batch", default=batches[-1])
if kinds.kind_of(c.project.get("task_type")) != kinds.DEFAULT_KIND:  # another annotation kind: its own rules judge the batch
    try:
        krep, khtml = data.kind_delivery_report(c.engine, c.db, f.project_id, batch, _thresholds=c.thresholds,
                                                thresholds_key=c.thresholds.key)
    except NoData as exc:
        st.title("Delivery report")
        no_data(exc, "This batch cannot be reported yet")
        st.stop()
    kind_delivery_view(krep, khtml)
    st.stop()
try:
    rep, html = data.delivery_report(c.engine, c.db, f.project_id, batch, _thresholds=c.thresholds,
                                     thresholds_key=c.thresholds.key)
except NoData as exc:  # e.g. a batch without annotations
    st.title("Delivery report")
    no_data(exc, "This batch cannot be reported yet")
    st.stop()

tx = delivery_texts(rep)
st.title(md(tx["title"]))  # project and batch names are data
st.caption(f"{md(tx['subtitle'])} {md(tx['dates'])}  \nThe report covers the whole batch: the sidebar's date, team, "
           "schema and split filters do not apply here.")
vendor = st.toggle("Vendor view: annotators one by one (pseudonyms)", value=rep.annotator_view == "pseudonyms",
                   key="vendor_view", help="The client's copy shows annotators as configured in the delivery "
                   f"settings ({rep.annotator_view}); the vendor view lists each under a stable pseudonym.")
view = "pseudonyms" if vendor else rep.annotator_view
if view != rep.annotator_view:
    html = render_delivery_html(rep, annotators=view)
st.download_button("Download report (HTML)" + (" — vendor copy" if vendor else ""), html.encode("utf-8"),
                   file_name=f"delivery_{rep.batch_id}{'_vendor' if vendor else ''}.html", mime="text/html",
                   type="primary", icon=":material/download:", key="dl_report", on_click="ignore",
                   help="The same report as this page, in one file that opens offline in any browser.")

st.info(md(tx["headline"]))
k = st.columns(4)
k[0].metric("Labels delivered", f"{rep.n_annotations:,}")
k[0].caption(f"on {rep.n_items:,} items by {rep.n_annotators} annotators")
a = rep.accuracy
k[1].metric("Accuracy", fmt_pct(a.value) if a.defined else "–")
k[1].caption(f"{fmt_ci(a.ci_low, a.ci_high, pct=True)}; {fmt_n(a.n)} labels checked" if a.defined else
             f"Not measured: {md(a.reason)}")
g = rep.agreement
k[2].metric("Agreement (α)", fmt_num(g.value) if g.defined else "–")
k[2].caption(f"{fmt_ci(g.ci_low, g.ci_high)}; {fmt_n(g.n_items or g.n)} items labelled twice or more"
             if g.defined else f"Not measured: {md(g.reason)}")
k[3].metric("Items checked by QA", f"{rep.items_checked:,}")
k[3].caption(f"{fmt_pct(rep.qa_rate)} of {rep.n_items:,} items")

# ------------------------------------------------------------------------------------------ targets
st.subheader("Contracted targets")
tg = target_rows(rep)
if tg.empty:
    st.write("No targets apply.")
else:
    st.dataframe(tg.style.map(lambda v: f"background-color: {_CELL[v]}" if v in _CELL else "", subset=["Verdict"]),
                 hide_index=True, width="stretch")

st.subheader("Known issues and what is being done")
if rep.note:
    st.text(rep.note)
else:
    st.write("No known issues were recorded for this batch.")
if tx["schema"]:
    st.warning(md(tx["schema"]))
if leakage_text(rep):  # only when the project has fingerprints (item_attributes content_hash / group_id ...)
    st.subheader("Leakage between splits")
    (st.warning if (rep.leakage["n_leaked"] > 0).any() else st.write)(md(leakage_text(rep)))

# ------------------------------------------------------------------------------------------ per class
st.subheader("Quality per class")
cl = rep.classes.copy()
if cl.empty:
    empty_state("No class in this batch", "The batch has no labels.")
else:
    shown = cl.dropna(subset=["accuracy"])
    shown = shown[shown["n_gold"] > 0].sort_values(["accuracy", "label"])
    if shown.empty:
        empty_state("No class was checked against expert answers in this batch",
                    "Accuracy per class appears once some of the batch's items have an expert (gold) answer.")
    else:
        shown = shown.assign(_name=[("★ " if t == "critical" else "") + str(lab)
                                    for lab, t in zip(shown["label"], shown["tier"])],
                             _status=shown["verdict"].map(_VERDICT_STATUS).fillna("grey"))
        plotly_chart(forest(shown, "_name", "accuracy", "ci_low", "ci_high", "n_gold",
                            f"Accuracy per class in batch {rep.batch_id}", "share of checked labels that are correct",
                            status="_status", x_range=(0, 1),
                            refs=[(a.value, f"batch overall {fmt_pct(a.value)}", "#2f6690")] if a.defined else []),
                     key="classes")
        st.markdown(" · ".join(f'<span style="color:{col}">●</span> {words}' if col != "#ffffff" else words
                               for col, words in CLASS_LEGEND), unsafe_allow_html=True)
    tbl = cl.drop(columns=["status"])
    table(tbl, f"delivery_{rep.batch_id}_classes", "cl_table",
          column_order=["label", "annotations", "share", "accuracy", "ci_low", "ci_high", "n_gold", "verdict",
                        "agreement", "agreement_ci_low", "agreement_ci_high", "items_checked", "items", "qa_rate",
                        "tier"],
          column_config={k_: st.column_config.NumberColumn(_HEAD.get(k_, k_), format="percent")
                         for k_ in ("share", "accuracy", "ci_low", "ci_high", "qa_rate")}
          | {k_: st.column_config.NumberColumn(_HEAD.get(k_, k_), format="%.3f")
             for k_ in ("agreement", "agreement_ci_low", "agreement_ci_high")}
          | {k_: st.column_config.Column(_HEAD[k_]) for k_ in _PLAIN if k_ in tbl.columns})
    mix = cl[cl["annotations"] > 0].sort_values(["annotations", "label"], ascending=[True, False])
    if not mix.empty:
        fig = go.Figure(go.Bar(x=mix["share"], y=mix["label"], orientation="h", marker_color="#64748b",
                               customdata=mix["annotations"],
                               hovertemplate="%{y}: %{x:.2%} (%{customdata:,} labels)<extra></extra>"))
        fig.update_layout(title="What the batch contains (share of labels per class)", template="plotly_white",
                          xaxis=dict(tickformat=".0%"), height=max(260, 20 * len(mix) + 80),
                          margin=dict(l=10, r=10, t=50, b=30))
        fig.update_yaxes(type="category")
        plotly_chart(fig, key="mix")

if view != "hide":
    st.subheader("Annotators")
    if view == "pseudonyms":
        table(rep.annotators, f"delivery_{rep.batch_id}_annotators", "ann_table",
              column_config={k_: st.column_config.NumberColumn(_HEAD.get(k_, k_), format="percent")
                             for k_ in ("share", "accuracy", "ci_low", "ci_high")}
              | {k_: st.column_config.Column(_HEAD[k_]) for k_ in _PLAIN if k_ in rep.annotators.columns},
              caption="Pseudonyms are stable across the project's batches (Annotator A started first).")
    else:
        st.write(annotator_summary(rep))

# ------------------------------------------------------------------------------------------ method
st.subheader("How these numbers were computed")
st.markdown("\n".join("- " + n.format(conf=f"{rep.confidence:.0%}", small_n=rep.small_n)
                      .replace("<b>", "**").replace("</b>", "**").replace("<i>", "*").replace("</i>", "*")
                      for n in NOTES) + "\n- " + md(provenance_text(rep)))
st.caption(f"Generated {rep.generated_at} by LabelQA. Only data of project {md(rep.project_name)} is used.")
