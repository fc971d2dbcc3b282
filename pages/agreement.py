"""Agreement trends: the weekly chosen metric (Krippendorff's alpha, Fleiss' kappa, Gwet's AC1, percent
agreement) with its interval band, threshold line and schema-version changes; per-class agreement over the
period and week by week; Cohen's kappa for every annotator pair."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics import kinds
from ui import data
from ui.charts import COLOUR, forest, heatmap, plotly_chart, weekly
from ui.common import (
    ctx, empty_state, filters_empty_state, fmt_ci, fmt_date, fmt_n, fmt_num, page_header, small_n, status_badge,
    status_mark, table, url_focus, url_radio, week_start,
)
from ui.figfix import monday_ticks, split_bands
from ui.words import column_config, tidy

c = ctx()
f = c.filters
sn = small_n(c)
page_header("Agreement trends", "How often annotators agree beyond chance, week by week, per class and per "
            "annotator pair; intervals are cluster-bootstrap 95% intervals over items.")
_view = kinds.view(c.project.get("task_type"), "agreement")  # another kind draws this page (KindSpec.views)
if _view is not None:
    _view(c)
    st.stop()

METRICS = {
    "krippendorff": ("Krippendorff's α", "krippendorff_alpha",
                     "Nominal alpha; 1 = perfect agreement, 0 = what chance would give. Handles any number of "
                     "annotators per item and missing labels."),
    "fleiss": ("Fleiss' κ", "fleiss_kappa", "Multi-rater kappa with chance from the overall class shares."),
    "gwet_ac1": ("Gwet's AC1", None, "Chance-corrected like kappa but stable when one class dominates "
                                     "(kappa's 'paradox')."),
    "percent": ("Percent agreement", None, "Share of agreeing annotator pairs per item, not corrected for "
                                          "chance: high even for random labels when one class dominates."),
}
metric = url_radio("Metric", list(METRICS), "metric", default="krippendorff",
                   format_func=lambda m: METRICS[m][0], help="Every metric is computed over items labelled by "
                   "two or more annotators in the filtered scope.")
name, rule, explain = METRICS[metric]
span = url_radio("Timeline", ["26w", "range"], "span", default="26w",
                 format_func=lambda s: {"26w": "26 weeks up to the end date", "range": "sidebar date range"}[s])
end = f.date_to
tf = f if span == "range" or end is None else f.replace(date_from=week_start(end) - dt.timedelta(weeks=25))

overall = data.agreement(c.engine, c.db, f, metric)
if not overall.defined and (overall.n or 0) == 0:
    filters_empty_state("No item has two or more labels in this selection",
                        "Agreement compares annotators who labelled the same item. It fills once items are labelled "
                        "by at least two annotators (overlap), within the chosen dates, team, schema version and split.")
    st.stop()

# ------------------------------------------------------------------------------------------- headline
h1, h2 = st.columns([1, 2.2])
with h1.container(border=True):
    st.metric(f"{name}, {fmt_date(f.date_from)} – {fmt_date(f.date_to)}", fmt_num(overall.value), border=False)
    st.caption(f"{fmt_ci(overall.ci_low, overall.ci_high)}; {fmt_n(overall.n)} items, "
               f"{overall.n_annotations or 0:,} labels" + ("; small sample" if overall.small_sample else ""))
    status_badge(c.status(rule, overall.value, overall.ci_low, overall.ci_high, overall.n, "overall") if rule else "grey",
                 text=None if rule else "no threshold")
with h2:
    st.markdown(f"**{name}.** {explain}")
    if rule:
        r = c.thresholds.rule(rule, "overall", c.project_id)
        st.caption(f"Threshold (labelqa.toml `{rule}`): minimum {r.limit:g}"
                   + (f", target {r.warn:g}" if r.warn is not None else "") + ".")
    else:
        st.caption("labelqa.toml has no threshold for this metric: no colour, no line.")

# ------------------------------------------------------------------------------------------- timeline
weekly_df = data.agreement(c.engine, c.db, tf, metric, by="week")
sv = data.schema_versions(c.engine, c.db, tf)
events = [(pd.Timestamp(r.first_week), f"schema v{int(r.schema_version)}") for r in sv.iloc[1:].itertuples()] \
    if len(sv) > 1 else []
if isinstance(weekly_df, pd.DataFrame) and not weekly_df.empty:
    wdf = weekly_df.assign(week=pd.to_datetime(weekly_df["week"]),
                           small=weekly_df["n_items"] < sn)
    thr = c.thresholds.rule(rule, "overall", c.project_id) if rule else None
    fig = weekly(wdf, "week", "value", f"Weekly {name} with 95% interval"
                 + (", schema-version changes marked" if events else ""),
                 f"{name}", lo="ci_low", hi="ci_high", n="n_items", small="small",
                 threshold=thr.limit if thr else None,
                 threshold_text=f"minimum {thr.limit:g}" if thr else "", events=events, height=440)
    if thr is not None and thr.warn is not None:
        fig.add_hline(y=thr.warn, line=dict(color=COLOUR["amber"], dash="dot", width=1.5),
                      annotation=dict(text=f"target {thr.warn:g}", font=dict(size=11, color=COLOUR["amber"])),
                      annotation_position="top left")
    split_bands(fig)  # the band stops where a week's interval is undefined (no shape drawn across the gap)
    monday_ticks(fig, wdf["week"])
    plotly_chart(fig, key="timeline")
    st.caption("Band: 95% interval. Hollow points: fewer than "
               f"{sn} items with 2+ labels that week. Dotted verticals: first week of a new schema version.")
    by_v = data.agreement(c.engine, c.db, tf, metric, by="schema_version")
    if isinstance(by_v, pd.DataFrame) and len(by_v) > 1:
        st.markdown("**By schema version** (same timeline window)")
        by_v = tidy(by_v)
        table(by_v, f"agreement_{metric}_by_schema_version", "by_version",
              column_config=column_config(by_v, schema_version="schema version",
                                          value=st.column_config.NumberColumn(name, format="%.3f"),
                                          ci_low=st.column_config.NumberColumn("95% CI low", format="%.3f"),
                                          ci_high=st.column_config.NumberColumn("95% CI high", format="%.3f"),
                                          n_items="items with 2+ labels"))

# ------------------------------------------------------------------------------------------- per class
st.subheader("Per-class agreement")
pc = data.per_category_agreement(c.engine, c.db, f)
focus = url_focus(c)
if pc.empty:
    empty_state("No class has paired labels", "Per-class agreement needs items with two or more labels.")
else:
    pc = pc.copy()
    pc["tier"] = [c.tier(l) for l in pc["label"]]
    pc["status"] = [c.status("class_agreement", r.specific_agreement, r.ci_low, r.ci_high, r.n_items, r.tier)
                    for r in pc.itertuples()]
    pc["small_sample"] = pc["n_items"] < sn
    pc = pc.sort_values(["specific_agreement", "label"])
    pc["shown"] = [("▶ " if focus == l else "") + str(l) for l in pc["label"]]
    crit = [("▶ " if focus == l else "") + l for l in c.critical]
    r_std = c.thresholds.rule("class_agreement", "standard", c.project_id)
    refs = [(r_std.limit, f"standard minimum {r_std.limit:.0%}", COLOUR["red"])]
    if c.critical:
        r_cr = c.thresholds.rule("class_agreement", "critical", c.project_id)
        refs.append((r_cr.limit, f"critical minimum {r_cr.limit:.0%}", COLOUR["red"]))
    plotly_chart(forest(pc, "shown", "specific_agreement", "ci_low", "ci_high", "n_items",
                           "Specific agreement per class, worst first<br><sup>when one annotator gives the class, "
                           "how often another annotator of the item agrees</sup>", "specific agreement (%)", status="status", small="small_sample",
                           highlight=crit, refs=refs), key="per_class")
    tbl = tidy(pc.drop(columns=["shown"]).assign(status=[status_mark(s) for s in pc["status"]]))
    table(tbl, "per_class_agreement", "pc_table", status_cols=["status"],
          column_config=column_config(tbl, fleiss_kappa=st.column_config.NumberColumn("Fleiss' κ", format="%.3f"),
                                      kappa_ci_low=st.column_config.NumberColumn("κ 95% CI low", format="%.3f"),
                                      kappa_ci_high=st.column_config.NumberColumn("κ 95% CI high", format="%.3f"),
                                      n_items="items with 2+ labels"))

    pw = data.per_category_agreement(c.engine, c.db, tf, by="week")
    if not pw.empty:
        pw = pw.assign(week=pd.to_datetime(pw["week"]).dt.strftime("%Y-%m-%d"))
        order = pc["label"].astype(str).tolist()
        wide = pw.pivot_table(index="label", columns="week", values="specific_agreement", aggfunc="first")
        wide = wide.reindex([l for l in order if l in wide.index])
        nwide = pw.pivot_table(index="label", columns="week", values="n_items", aggfunc="first").reindex(wide.index)
        text = nwide.map(lambda v: "·" if pd.notna(v) and v < sn else "")
        fig = heatmap(wide, "Specific agreement per class and week (· = fewer than "
                      f"{sn} items that week)", "week (Monday)", "class", "specific agreement", zmin=0, zmax=1,
                      colorscale="RdYlGn", hover_extra=nwide, hover_extra_name="items with 2+ labels", text=text)
        for when, label in events:
            wk = when.strftime("%Y-%m-%d")
            if wk in wide.columns:
                fig.add_vline(x=list(wide.columns).index(wk) - 0.5, line=dict(color="#222", width=2, dash="dot"),
                              annotation=dict(text=label, font=dict(size=11)), annotation_position="top")
        plotly_chart(fig, key="class_week")

# ------------------------------------------------------------------------------------------- pairs
st.subheader("Annotator pairs")
min_shared = st.slider("Minimum shared items per pair", 5, 100, 20, 5, key="min_shared",
                       help="Pairs that labelled fewer items in common are left out: their kappa is mostly noise.")
pairs = data.pairwise_cohen(c.engine, c.db, f, min_shared=min_shared)
if pairs.empty:
    empty_state("No annotator pair shares enough items",
                f"Cohen's kappa per pair needs two annotators who labelled at least {min_shared} of the same items. "
                "Lower the minimum, or widen the date range.")
else:
    both = pd.concat([pairs, pairs.rename(columns={"annotator_a": "annotator_b", "annotator_b": "annotator_a"})])
    wide = both.pivot_table(index="annotator_a", columns="annotator_b", values="kappa", aggfunc="first")
    ids = sorted(set(wide.index) | set(wide.columns))
    wide = wide.reindex(index=ids, columns=ids)
    nwide = both.pivot_table(index="annotator_a", columns="annotator_b", values="n_shared",
                             aggfunc="first").reindex(index=ids, columns=ids)
    fig = heatmap(wide, "Cohen's κ for every annotator pair (blank: fewer shared items than the minimum)",
                  "annotator", "annotator", "Cohen's κ", zmin=0, zmax=1, pct=False, colorscale="RdYlGn",
                  hover_extra=nwide, hover_extra_name="shared items")
    # No forced square cells: with a fixed height a square grid leaves wide blank margins beside the matrix.
    fig.update_layout(height=max(420, min(1100, 160 + 20 * len(ids))), margin=dict(l=10, r=10, t=60, b=10))
    fig.update_xaxes(constrain="domain", automargin=True)
    fig.update_yaxes(constrain="domain", automargin=True)
    plotly_chart(fig, key="pairs")
    st.caption("A row that is red against most columns points at one annotator who disagrees with everyone "
               "(see Annotators); a red block points at a team that reads the guidelines differently.")
    ptab = tidy(pairs.sort_values("kappa"))
    table(ptab, "annotator_pair_kappa", "pairs_table",
          column_config=column_config(ptab, **{c_: st.column_config.NumberColumn(w, format="%.3f") for c_, w in
                                               (("kappa", "Cohen's κ"), ("ci_low", "95% CI low"),
                                                ("ci_high", "95% CI high"))}))
