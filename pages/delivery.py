"""Delivery report: what a client needs to judge one delivered batch on their own. Built by
``analytics.report.delivery_report`` from the chosen project's data only; annotators appear as pseudonyms.
'Download report' gives the same content as one self-contained HTML file."""
from __future__ import annotations

import streamlit as st

from analytics.metrics.results import NoData
from ui import data
from ui.charts import forest, plotly_chart
from ui.common import (
    ctx, empty_state, fmt_ci, fmt_date, fmt_n, fmt_num, fmt_pct, md, no_data, page_header, small_n, status_badge,
    status_mark, table, url_selectbox,
)


# Column headers a client reads on their own (the CSV download keeps the machine names).
_HEAD = {
    "label": "Class", "pseudonym": "Annotator", "items": "Items", "annotations": "Labels",
    "share": "Share of labels", "accuracy": "Accuracy", "ci_low": "95% CI low", "ci_high": "95% CI high",
    "n_gold": "Labels checked", "agreement": "Agreement (alpha)", "agreement_ci_low": "Agreement 95% CI low",
    "agreement_ci_high": "Agreement 95% CI high", "agreement_n_items": "Items labelled twice+",
    "tier": "Tier", "items_checked": "Items checked", "qa_rate": "Share of items checked",
    "small_sample": "Too few to judge", "status": "Status",
}
_PLAIN = ("label", "pseudonym", "items", "annotations", "n_gold", "agreement_n_items", "tier", "items_checked",
          "small_sample", "status")

c = ctx()
f = c.filters
sn = small_n(c)
page_header("Delivery report", "For the client: one delivered batch, its quality with intervals, and how it was "
            "measured. Only this project's data is used; the sidebar's date, team, schema and split filters do "
            "not apply (the report covers the whole batch).")

batches = [str(b) for b in c.options.get("batch", [])]
if not batches:
    empty_state("No batches delivered yet",
                "A delivery report describes one batch (table `batches`, with `annotations.batch_id` pointing to "
                "it). Load batches with `labelqa load`.")
    st.stop()
batch = url_selectbox("Batch", batches, "batch", default=batches[-1])
try:
    rep, html = data.delivery_report(c.engine, c.db, f.project_id, batch, _thresholds=c.thresholds,
                                     thresholds_key=str(c.thresholds.path))
except NoData as exc:  # e.g. a batch without annotations
    no_data(exc, "This batch cannot be reported yet")
    st.stop()

st.download_button("Download report (HTML)", html.encode("utf-8"), file_name=f"delivery_{rep.batch_id}.html",
                   mime="text/html", type="primary", icon=":material/download:", key="dl_report", on_click="ignore",
                   help="One self-contained file (charts included) that opens offline in any browser.")

# ------------------------------------------------------------------------------------------ delivered
st.header(f"{md(rep.project_name)} — {md(rep.batch_name)}")
st.caption(f"Client: {md(rep.client)} · batch {md(rep.batch_id)} · delivered {fmt_date(rep.delivered_at)} · labelled "
           f"{fmt_date(rep.first_at)} to {fmt_date(rep.last_at)}")
k = st.columns(4)
k[0].metric("Labels delivered", f"{rep.n_annotations:,}")
k[0].caption(f"on {rep.n_items:,} items by {rep.n_annotators} annotators")
with k[1].container():
    a = rep.accuracy
    st.metric("Accuracy (checked against expert answers)", fmt_pct(a.value) if a.defined else "–")
    st.caption(f"{fmt_ci(a.ci_low, a.ci_high, pct=True)}; {fmt_n(a.n)} labels checked" if a.defined else
               f"Not measured: {a.reason}")
    status_badge(c.status("accuracy", a.value, a.ci_low, a.ci_high, a.n, "overall"))
with k[2].container():
    g = rep.agreement
    st.metric("Agreement between annotators (α)", fmt_num(g.value) if g.defined else "–")
    st.caption(f"{fmt_ci(g.ci_low, g.ci_high)}; {fmt_n(g.n)} items labelled twice or more" if g.defined else
               f"Not measured: {g.reason}")
    status_badge(c.status("krippendorff_alpha", g.value, g.ci_low, g.ci_high, g.n, "overall"))
k[3].metric("Quality checks", fmt_pct(rep.qa_rate))
k[3].caption(f"{rep.items_checked:,} of {rep.n_items:,} items checked by an expert answer or a review")

# ------------------------------------------------------------------------------------------ per class
st.subheader("Quality per class")
cl = rep.classes.copy()
if cl.empty:
    empty_state("No class in this batch", "The batch has no labels.")
else:
    cl["status"] = [c.status("accuracy", r.accuracy, r.ci_low, r.ci_high, r.n_gold, r.tier) for r in cl.itertuples()]
    shown = cl.dropna(subset=["accuracy"]).sort_values(["accuracy", "label"])
    if shown.empty:
        empty_state("No class was checked against expert answers in this batch",
                    "Accuracy per class appears once some of the batch's items have an expert (gold) answer.")
    else:
        crit = [l for l in shown["label"] if c.tier(l) == "critical"]
        plotly_chart(forest(shown, "label", "accuracy", "ci_low", "ci_high", "n_gold",
                               f"Accuracy per class in batch {rep.batch_id} (bar: 95% interval; size: labels checked)",
                               "accuracy (% of checked labels correct)", status="status", small="small_sample",
                               highlight=crit,
                               refs=[(rep.accuracy.value, f"batch overall {fmt_pct(rep.accuracy.value)}", "#2f6690")]),
                        key="classes")
        st.caption(f"★ critical class. Hollow grey: fewer than {sn} labels checked, shown but too few to judge.")
    tbl = cl.assign(status=[status_mark(s) for s in cl["status"]])
    table(tbl, f"delivery_{rep.batch_id}_classes", "cl_table", status_cols=["status"],
          column_config={k_: st.column_config.NumberColumn(_HEAD.get(k_, k_), format="percent")
                         for k_ in ("share", "accuracy", "ci_low", "ci_high", "qa_rate")}
          | {k_: st.column_config.NumberColumn(_HEAD.get(k_, k_), format="%.3f")
             for k_ in ("agreement", "agreement_ci_low", "agreement_ci_high")}
          | {k_: st.column_config.Column(_HEAD[k_]) for k_ in _PLAIN if k_ in tbl.columns})

st.subheader("Annotators (pseudonyms)")
table(rep.annotators, f"delivery_{rep.batch_id}_annotators", "ann_table",
      column_config={k_: st.column_config.NumberColumn(_HEAD.get(k_, k_), format="percent")
                     for k_ in ("share", "accuracy", "ci_low", "ci_high")}
      | {k_: st.column_config.Column(_HEAD[k_]) for k_ in _PLAIN if k_ in rep.annotators.columns},
      caption="Annotators are named by volume in this batch (Annotator A labelled the most).")

# ------------------------------------------------------------------------------------------ method
st.subheader("How these numbers were measured")
st.markdown(
    f"""
- **Accuracy** is the share of labels that match an expert answer, on the items that have one. Experts check
  rare classes more often than common ones, so the overall figure weights each class by its share of the
  batch's items (the unweighted share is {fmt_pct(rep.accuracy_pooled.value)}).
- **Agreement** (Krippendorff's alpha) compares annotators who labelled the same item: 1 means they always
  agree, 0 means no more than chance.
- **Every number has a 95% interval**: the range the true value lies in with 95% confidence, given how many
  labels were checked. Fewer than {sn} checks make a number too uncertain to judge; it is shown in grey.
- **Quality checks**: an item counts as checked when it has an expert answer or a reviewer looked at one of
  its labels.
- Only data of project *{md(rep.project_name)}* is used; annotators appear under pseudonyms.
"""
)
st.caption(f"Generated {rep.generated_at} · confidence {rep.confidence:.0%}")
