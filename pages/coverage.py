"""Class coverage: the class distribution (log scale for the long tail), class x item-attribute cells with
empty and thin cells marked, QA rate per class against its minimum, and a form that plans and draws a seeded
stratified QA sample."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import Engine

from analytics.accuracy import draw_qa_strata_sample, plan_qa_strata, qa_strata_from_db, systematic_keys
from analytics.coverage import coverage_summary
from analytics.filters import Filters
from ui import data
from ui.charts import COLOUR, hbar, heatmap, plotly_chart, rows_height, style, top_n
from ui.common import (
    csv_bytes, ctx, empty_state, filters_empty_state, fmt_n, fmt_num, fmt_pct, md, page_header, small_n, status_mark,
    table, url_focus, url_radio, url_selectbox, url_toggle, week_start,
)
from ui.figfix import readable_log_axis
from ui.words import column_config, tidy


@st.cache_data(ttl=600, show_spinner="Counting items per QA stratum...")
def qa_strata_cached(_engine: Engine, db: str, f: Filters, sys_keys: tuple, drifting: tuple,
                     include_checked: bool) -> pd.DataFrame:
    return qa_strata_from_db(_engine, f, sys_keys, drifting, include_checked=include_checked)


@st.cache_data(ttl=600, show_spinner="Drawing the seeded QA sample...")
def qa_sample_cached(_engine: Engine, db: str, f: Filters, plan: pd.DataFrame, seed: int, sys_keys: tuple,
                     drifting: tuple, include_checked: bool) -> pd.DataFrame:
    return draw_qa_strata_sample(_engine, f, plan, seed, sys_keys, drifting, include_checked=include_checked)


c = ctx()
f = c.filters
sn = small_n(c)
page_header("Class coverage", "Is every class, and every class under every condition, represented and checked "
            "enough? Classes are items' majority labels.")

dist = data.class_distribution(c.engine, c.db, f)
if dist.empty or int(dist["annotations"].sum()) == 0:
    filters_empty_state("No annotations match these filters",
                        "Coverage counts the items of each class among the filtered annotations. Widen the date range, "
                        "team, schema version or split in the sidebar, or load annotations with `labelqa load`.")
    st.stop()
focus = url_focus(c)

# ------------------------------------------------------------------------------------------ distribution
st.subheader("Class distribution")
measure = url_radio("Count", ["items", "annotations"], "measure", default="items",
                    format_func=lambda m: {"items": "items (majority label)", "annotations": "annotations"}[m])
summ = coverage_summary(dist, by=measure, min_count=sn)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Classes with data", f"{summ.n_classes - len(summ.empty_classes)} / {summ.n_classes}",
          help="Declared classes (label_classes) with at least one unit; empty ones are listed below the chart.")
m2.metric("Imbalance ratio", fmt_num(summ.imbalance_ratio, 1) + "×" if summ.reason is None else "–",
          help="Largest / smallest class among classes with data.")
m3.metric("Normalised entropy", fmt_num(summ.normalized_entropy, 2) if summ.reason is None else "–",
          help="Shannon entropy / log(number of classes): 1 = perfectly balanced, 0 = a single class.")
m4.metric(f"Rare classes (< {sn})", f"{len(summ.rare_classes)}", help=", ".join(summ.rare_classes) or "none")
st.caption(f"{fmt_n(int(dist[measure].sum()))} {measure}. Largest class: {md(summ.largest_class)}; smallest: "
           f"{md(summ.smallest_class)}." + (f" Empty: {', '.join(md(x) for x in summ.empty_classes)}." if summ.empty_classes else ""))
o1, o2 = st.columns(2)
log = o1.toggle("Log scale", value=st.query_params.get("log", "1") == "1", key="cov_log",
                help="The tail of 30 classes spans two orders of magnitude: a log axis keeps the rare ones visible.")
show_all = url_toggle(f"Show all {len(dist)} classes", "all", default=True, where=o2)
st.query_params["log"] = "1" if log else "0"
d = dist.sort_values([measure, "label"], ascending=[False, True])
d = top_n(d, show_all, 15).assign(
    share_txt=lambda x: [fmt_pct(v) for v in (x["item_share"] if measure == "items" else x["annotation_share"])],
    tier=lambda x: [c.tier(l) for l in x["label"]])
d = d[d[measure] > 0] if log else d
fig = hbar(d, "label", measure, f"{measure.capitalize()} per class{' (top 15)' if not show_all and len(dist) > 15 else ''}"
           f" — ★ critical", f"{measure} (count)", log=log, highlight=c.critical, hover=["share_txt", "tier"],
           text="share_txt", refs=[(sn, f"rare: < {sn}", COLOUR["amber"])])
if log:  # ticks 1, 10, 100, 1,000 ... written in full instead of plotly's '2 5 2 5' minor labels
    readable_log_axis(fig, [*d[measure].tolist(), sn])
plotly_chart(fig, key="dist")
dtab = tidy(dist)
table(dtab, "class_distribution", "dist_table", column_config=column_config(dtab))

# ------------------------------------------------------------------------------------------ cross-tab
st.subheader("Class × item condition")
keys = [str(k) for k in c.period_options.get("attr_key", [])]  # the attributes of the chosen dates' items
if not keys and c.options.get("attr_key"):
    empty_state("No item of the chosen dates has attributes",
                f"The project's items have {', '.join(md(k) for k in c.options['attr_key'])}, but none annotated in "
                "these dates. Widen the date range.")
elif not keys:
    empty_state("No item attributes", "Load item attributes (table `item_attributes`, e.g. lighting, sensor) to "
                "see which class is missing under which condition.")
else:
    key = url_selectbox("Attribute", keys, "attr", default=keys[0])
    ct = data.crosstab(c.engine, c.db, f, key, thin=sn)
    if ct.empty:
        empty_state("No item of these filters has this attribute", "Choose another attribute.")
    else:
        order = dist.sort_values(["items", "label"], ascending=[False, True])["label"].astype(str).tolist()
        wide = ct.pivot_table(index="label", columns="attr_value", values="share_of_class", aggfunc="first")
        wide = wide.reindex([l for l in order if l in wide.index])
        items = ct.pivot_table(index="label", columns="attr_value", values="items", aggfunc="first").reindex(
            index=wide.index, columns=wide.columns)
        flags = ct.assign(mark=ct["empty"].map({True: "empty", False: ""}).where(ct["empty"], ct["thin"].map(
            {True: "thin", False: ""}))).pivot_table(index="label", columns="attr_value", values="mark",
                                                      aggfunc="first").reindex(index=wide.index, columns=wide.columns)
        text = items.astype("Int64").astype(str).where(flags.fillna("") == "", flags.fillna("") + "<br>" +
                                                        items.astype("Int64").astype(str))
        fig = heatmap(wide, f"Share of each class's items by {key} (cell text: items; 'thin' < {sn}, 'empty' = 0)",
                      key, "class", "share of the class's items", zmin=0, zmax=1, pct=True, colorscale="Blues",
                      text=text, hover_extra=items, hover_extra_name="items")
        plotly_chart(fig, key="crosstab")
        n_empty, n_thin = int(ct["empty"].sum()), int(ct["thin"].sum())
        st.caption(f"{n_empty} empty and {n_thin} thin cells (fewer than {sn} items): a model evaluated on these "
                   "cells has no evidence there. Rows follow the class distribution.")
        ctab = tidy(ct)
        table(ctab, f"class_by_{key}", "ct_table",
              column_config=column_config(ctab, attr_value=key, empty="no item", thin=f"fewer than {sn} items"))

# ------------------------------------------------------------------------------------------ QA rate
st.subheader("QA rate per class")
r_crit = c.thresholds.rule("qa_rate", "critical", c.project_id)
r_std = c.thresholds.rule("qa_rate", "standard", c.project_id)
qa = data.qa_coverage(c.engine, c.db, f, r_crit.limit, r_std.limit, r_crit.min_count, r_std.min_count)
if qa.empty:
    empty_state("No class to check", "QA coverage needs annotated items.")
else:
    qa = qa.copy()
    qa["status"] = [c.status("qa_rate", r.qa_rate, r.ci_low, r.ci_high, r.items, r.tier) for r in qa.itertuples()]
    qa = qa.sort_values(["meets", "qa_rate"], ascending=[True, True])
    names = [("▶ " if focus == l else "") + ("★ " if t == "critical" else "") + str(l)
             for l, t in zip(qa["label"], qa["tier"])]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=qa["qa_rate"] * 100, y=names, mode="markers", name="QA rate (95% CI)",
        marker=dict(size=10, color=[COLOUR["green"] if m else COLOUR["red"] for m in qa["meets"]],
                    line=dict(width=1, color="#333")),
        error_x=dict(type="data", symmetric=False, array=(qa["ci_high"] - qa["qa_rate"]) * 100,
                     arrayminus=(qa["qa_rate"] - qa["ci_low"]) * 100, color="#555", thickness=1.3),
        customdata=qa[["items_qa", "items", "items_with_gold", "items_reviewed"]].to_numpy(),
        hovertemplate="<b>%{y}</b><br>QA rate %{x:.1f}%<br>%{customdata[0]:,} of %{customdata[1]:,} items checked"
                      "<br>gold %{customdata[2]:,}, reviewed %{customdata[3]:,}<extra></extra>"))
    fig.add_trace(go.Scatter(x=qa["required_rate"] * 100, y=names, mode="markers", name="required minimum",
                             marker=dict(symbol="line-ns", size=16, line=dict(width=3, color=COLOUR["red"])),
                             hovertemplate="minimum %{x:.1f}%<extra></extra>"))
    style(fig, "Share of each class's items checked by gold or review, against its minimum (red tick)",
          "QA rate (% of the class's items)", "", height=rows_height(len(qa)))
    fig.update_yaxes(autorange="reversed", type="category", tickmode="linear")
    fig.update_xaxes(ticksuffix="%", rangemode="tozero")
    plotly_chart(fig, key="qa_rate")
    st.caption(f"Minimum: critical classes {fmt_pct(r_crit.limit, 0)}"
               + (f" and at least {r_crit.min_count} items" if r_crit.min_count else "")
               + f", standard {fmt_pct(r_std.limit, 0)}" + (f" and at least {r_std.min_count}" if r_std.min_count else "")
               + " (labelqa.toml `qa_rate`). ★ critical class.")
    tbl = tidy(qa.assign(status=[status_mark(s) for s in qa["status"]]))
    table(tbl, "qa_coverage", "qa_table", status_cols=["status"], column_config=column_config(tbl))

# ------------------------------------------------------------------------------------------ QA planner
st.subheader("Plan a QA sample")
with st.form("qa_plan"):
    st.caption("How many items of each class to send to QA, drawn at random within each stratum (class × flag). "
               "Items already checked (gold or reviewed) are left out; strata with a finding (a systematic "
               "confusion, a drifting annotator) are over-sampled and classes under their QA rate get the items "
               "they lack. Each item carries its inclusion probability and weight, so the accuracy measured on "
               "the reviewed sample can be reweighted to the whole class (Horvitz-Thompson). The same seed always "
               "draws the same items.")
    a1, a2, a3, a4 = st.columns(4)
    rate_std = a1.number_input("Standard classes: rate", 0.0, 1.0, float(r_std.limit), 0.01, format="%.2f")
    rate_crit = a2.number_input("Critical classes: rate", 0.0, 1.0, float(r_crit.limit), 0.01, format="%.2f")
    min_count = a3.number_input("At least items per class", 0, 10_000, int(r_crit.min_count or 0), 5)
    half = a4.number_input("Precision: CI half-width (0 = off)", 0.0, 0.5, 0.05, 0.01, format="%.2f",
                           help="Sample enough items per class that a 95% interval on its accuracy is at most this "
                                "wide on each side (Cochran's formula with the finite population correction).")
    b1, b2, b3 = st.columns([1, 1, 2])
    seed = b1.number_input("Seed", 0, 2**31 - 1, 42, 1)
    oversample = b2.number_input("Over-sample flagged strata ×", 1.0, 10.0, 3.0, 0.5, format="%.1f",
                                 help="Flagged strata are sampled at this multiple of their class's rate (at most "
                                      "every item).")
    include_checked = b3.toggle("Include items already checked (gold or reviewed)", value=False,
                                help="Off by default: re-checking an item with gold or a review adds little.")
    st.form_submit_button("Plan the sample", type="primary")

# Findings that flag strata: the accuracy page's systematic confusions and the annotators page's drift test.
dims = ("team", "annotator_id", *[f"attr:{k}" for k in keys], *[f"team*attr:{k}" for k in keys])
sysc = data.systematic(c.engine, c.db, f, dims)
sys_keys = systematic_keys(sysc) if not sysc.empty else []
end = f.date_to or dt.date.today()
hf = f.replace(date_from=week_start(end) - dt.timedelta(weeks=25), date_to=end)
drift, _drift_err = data.annotator_drift(c.engine, c.db, hf, int(c.thresholds.setting("drift_baseline_weeks", c.project_id)),
                                         c.thresholds.drift_alpha(c.project_id))
drifting = sorted(drift.loc[drift["drift"].astype(bool), "annotator_id"].astype(str)) if not drift.empty else []
deficit = {}
if not qa.empty:
    short = qa[~qa["meets"].astype(bool)]
    deficit = {str(r.label): int(math.ceil(r.required_rate * r.items - r.items_qa - 1e-9)) for r in short.itertuples()}
strata = qa_strata_cached(c.engine, c.db, f, tuple(sys_keys), tuple(drifting), include_checked)
if strata.empty or int(strata["population"].sum()) == 0:
    empty_state("No items to sample",
                "Every item of the filtered scope is already checked (gold or reviewed)." if not strata.empty else
                "The planner needs annotated items in the filtered scope.")
else:
    tiers = {l: c.tier(l) for l in strata["label"].astype(str)}
    rates = {l: rate_crit if t == "critical" else rate_std for l, t in tiers.items()}
    plan = plan_qa_strata(strata[["label", "flag", "population"]], min_rate=rates,
                          half_width=half if half > 0 else None, min_count=int(min_count) if min_count else None,
                          oversample=float(oversample), class_minimum=deficit)
    n_checked = int(strata["items_checked"].sum())
    st.markdown(f"**Plan:** {int(plan['n'].sum()):,} items to check, out of {int(plan['population'].sum()):,} "
                f"eligible items in {plan['label'].nunique()} classes"
                + ("" if include_checked else f" ({n_checked:,} already-checked items left out)") + ".")
    found = []
    if sys_keys:
        found.append("systematic confusions: " + ", ".join(
            md(f"{r.true_label} → {r.label} in {r.concentrated_in}")
            for r in sysc[sysc["systematic"].astype(bool)].drop_duplicates(["true_label", "label", "concentrated_in"]).itertuples()))
    if drifting:
        found.append("drifting annotators: " + ", ".join(md(a) for a in drifting))
    if deficit:
        found.append("classes under their QA rate: " + ", ".join(f"{md(l)} (+{n})" for l, n in sorted(deficit.items())))
    st.caption("Over-sampled: " + ("; ".join(found) if found else "nothing (no finding in this scope)") + ".")
    shown = plan[plan["population"] > 0]
    table(shown, "qa_plan_strata", "plan_table", column_order=["stratum", "population", "n", "inclusion_probability",
                                                              "weight", "why"],
          column_config=column_config(shown, population="eligible items", n="items to check"))
    sample = qa_sample_cached(c.engine, c.db, f, plan, int(seed), tuple(sys_keys), tuple(drifting), include_checked)
    st.download_button(f"Download the QA sample with weights ({len(sample):,} items, seed {int(seed)})",
                       csv_bytes(sample), file_name=f"qa_sample_with_weights_{f.project_id}_seed{int(seed)}.csv",
                       mime="text/csv", key="dl_sample", type="primary", icon=":material/download:", on_click="ignore",
                       help="One row per item: item_id, class, stratum, why_oversampled, inclusion_probability, "
                            "weight (= 1 / probability), stratum_population, stratum_sample, already_gold, "
                            "already_reviewed and the item's attributes (attr_<key>). After review, the accuracy of "
                            "the class or project is sum(weight × correct) / sum(weight) "
                            "(analytics.accuracy.reweighted_accuracy).")
