"""The shared Agreement, Stratified accuracy and Annotators pages for a project of a region kind (boxes, spans,
multilabel; issue 13), declared as the kinds' ``views`` (analytics/kinds/<kind>/kind.py) and called by those pages
after their header. Figures come from :mod:`analytics.kinds.region_pages` (the kinds' metrics); this module draws:
every estimate with its 95% interval and n, the reference named (gold, or reviewed regions where no gold exists)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analytics import kinds
from analytics.kinds import region_pages as rp
from analytics.metrics.results import NoData
from ui.charts import forest, heatmap, plotly_chart, weekly
from ui.figfix import split_bands
from ui.common import empty_state, fmt_ci, fmt_num, md, table, url_selectbox

TTL = 3600  # backstop; ui.freshness.refresh_if_changed empties the cache when the data changes
WHAT = {"boxes": "boxes", "spans": "spans", "multilabel": "label sets"}
GOLD = {"boxes": "gold_boxes file (a COCO file with --table gold_boxes)", "spans": "gold_spans file",
        "multilabel": "gold_label_sets file"}
AGREE = {"boxes": "pairwise F1 of IoU >= 0.5 matched boxes", "spans": "pairwise F1 of identical spans",
         "multilabel": "Krippendorff's alpha with the MASI distance"}


@st.cache_data(ttl=TTL, show_spinner="Reading and matching the regions...")
def _frames(_engine, db: str, kind: str, filters) -> dict:
    return rp.scope_frames(_engine, kind, filters)


@st.cache_data(ttl=TTL, show_spinner="Agreement per week and per annotator pair...")
def _agreement(_engine, db: str, kind: str, filters) -> dict:
    fr = _frames(_engine, db, kind, filters)
    out = {"weekly": pd.DataFrame(), "pairs": pd.DataFrame(), "why_pairs": ""}
    out["weekly"] = rp.weekly_agreement(kind, fr["regions"])
    try:
        out["pairs"] = rp.pair_agreement(kind, fr["regions"])
    except NoData as exc:
        out["why_pairs"] = str(exc)
    return out


@st.cache_data(ttl=TTL, show_spinner="Scoring against the reference...")
def _accuracy(_engine, db: str, kind: str, filters) -> dict:
    fr = _frames(_engine, db, kind, filters)
    regions, ref = fr["regions"], fr["reference"]
    out = {"per_class": None, "per_annotator": None, "bias": None, "miss": None, "why": ""}
    if not rp.has_reference(ref):
        out["why"] = "no item of this scope has gold" + ("" if kind == "multilabel" else " or a reviewed reference")
        return out
    try:
        out["per_class"] = rp.per_class(kind, regions, ref)
        out["per_annotator"] = rp.per_annotator(kind, regions, ref, fr["texts"])
    except NoData as exc:
        out["why"] = str(exc)
        return out
    if kind == "boxes":
        from analytics.kinds.boxes.accuracy import localisation_bias, miss_rates

        on = rp.on_reference(kind, regions, ref)
        out["bias"] = localisation_bias(on, ref, by=("annotator_id",))
        items = fr["items"]
        few = sorted((items[a].nunique(), a) for a in items.columns if a != "item_id" and items[a].nunique() <= 4)[:1]
        by = (*(["team"] if "team" in regions.columns and regions["team"].notna().any() else []),
              *[a for _, a in few], "size")
        out["miss"] = miss_rates(on, ref, by=by, items=items)
    elif kind == "spans":
        out["miss"] = rp.span_miss_rates(regions, ref, fr["items"])
    return out


def _kind(c) -> str:
    return kinds.kind_of(c.project.get("task_type"))


def _est(v, lo, hi, n=None) -> str:
    return f"{fmt_num(v)} ({fmt_ci(lo, hi)}" + (f"; n={int(n):,})" if n is not None and n == n else ")")


def _floor(*vals) -> float:
    """The y axis start: the lowest point or interval bound rounded down to 0.1 (alpha may be below 0)."""
    v = [float(x) for x in vals if x is not None and x == x]
    return float(np.floor(10 * min(v)) / 10) if v else 0.0


def _scope_or_stop(c, kind: str) -> dict:
    fr = _frames(c.engine, c.db, kind, c.filters)
    if fr["regions"]["label"].notna().sum() == 0 and kind != "multilabel" or fr["regions"].empty:
        empty_state(f"No {WHAT[kind]} in these filters", f"Project {md(c.filters.project_id)} has no labelled "
                    f"{WHAT[kind]} in this scope: load them (`labelqa load --project {md(c.filters.project_id)} "
                    "export.json`) or clear the team / split / batch filter.")
        st.stop()
    return fr


# ------------------------------------------------------------------------------------------------ agreement
def agreement(c) -> None:
    kind = _kind(c)
    fr = _scope_or_stop(c, kind)
    ag = _agreement(c.engine, c.db, kind, c.filters)
    st.caption(f"A {md(kind)} project: agreement is {AGREE[kind]}" + ("" if kind == "multilabel" else
               " (per pair of annotators over the items both labelled: F1 = 2 TP / (regions of one + of the other))")
               + "; 95% percentile bootstrap intervals over md5 item buckets.")
    st.subheader("Agreement per label over time")
    wk = ag["weekly"]
    if wk.empty:
        empty_state("No weekly agreement", "No week of this scope has two annotators on a common item "
                    f"({fr['regions']['item_id'].nunique():,} items, {fr['regions']['annotator_id'].nunique()} "
                    "annotators).")
    else:
        every = "MASI alpha of the sets" if kind == "multilabel" else "all labels"
        wk = wk.assign(shown=wk["label"].replace("", every), week=pd.to_datetime(wk["week"]))
        name = "alpha (MASI; per label: binary alpha)" if kind == "multilabel" else "mean pairwise F1"
        fig = weekly(wk, "week", "mean", f"{name[:1].upper() + name[1:]} per week (band: 95% interval of "
                     f"{every})", name, lo="ci_low", hi="ci_high", group="shown", n="n_items",
                     y_range=(_floor(wk["ci_low"].min(skipna=True), wk["mean"].min(skipna=True)), 1.0))
        # one band (the overall figure's): six overlapping bands hide the lines; each label's interval is in its
        # hover and in the table below
        fig.data = [t for t in fig.data if getattr(t, "fill", None) != "toself" or t.name == f"{every} 95% CI"]
        fig.update_traces(mode="lines", selector=dict(fill="toself"))
        plotly_chart(split_bands(fig), key="rk_weekly")
        shown = pd.DataFrame({"week": wk["week"].dt.strftime("%Y-%m-%d"), "label": wk["shown"],
                              name: [_est(v, a, b) for v, a, b in zip(wk["mean"], wk["ci_low"], wk["ci_high"])],
                              "items with 2+ annotators": wk["n_items"].astype("Int64"),
                              "annotator pairs": wk["n_pairs"].astype("Int64")})
        if "mean_iou" in wk.columns:  # boxes: how tightly the matched boxes overlap
            shown["mean IoU of matched boxes"] = [_est(*x) for x in zip(wk["mean_iou"], wk["mean_iou_ci_low"],
                                                                        wk["mean_iou_ci_high"], wk["n_matched"])]
        table(shown, f"{kind}_agreement_per_week", "rk_week_table")
    st.subheader("Annotator pairs")
    pr = ag["pairs"]
    if pr.empty:
        empty_state("No annotator pair", f"{md(ag['why_pairs'] or 'no two annotators share an item')}: the pair "
                    "heatmap needs two annotators on a common item.")
        return
    both = pd.concat([pr, pr.rename(columns={"annotator_a": "annotator_b", "annotator_b": "annotator_a"})])
    ids = sorted(set(both["annotator_a"]))
    wide = both.pivot_table(index="annotator_a", columns="annotator_b", values="value", aggfunc="first").reindex(
        index=ids, columns=ids)
    nwide = both.pivot_table(index="annotator_a", columns="annotator_b", values="n_items", aggfunc="first").reindex(
        index=ids, columns=ids)
    z = "MASI alpha" if kind == "multilabel" else "pairwise F1"
    fig = heatmap(wide, f"{z} for every annotator pair (hover: shared items)", "annotator", "annotator", z,
                  zmin=min(_floor(pr["value"].min()), 0.9), zmax=1, pct=False, colorscale="RdYlGn", hover_extra=nwide, hover_extra_name="shared items")
    fig.update_layout(height=max(420, min(1000, 160 + 26 * len(ids))))
    plotly_chart(fig, key="rk_pairs")
    pt = pr.sort_values("value")
    table(pd.DataFrame({"annotator a": pt["annotator_a"], "annotator b": pt["annotator_b"],
                        z: [_est(v, a, b) for v, a, b in zip(pt["value"], pt["ci_low"], pt["ci_high"])],
                        "shared items": pt["n_items"].astype("Int64")}), f"{kind}_pair_agreement", "rk_pair_table",
          caption="lowest first; a row low against most columns points at one annotator")


# ------------------------------------------------------------------------------------------------ accuracy
def _ref_caption(fr: dict) -> None:
    st.caption(f"Reference: {md(rp.reference_words(fr['reference']))}. Gold decides where it exists; on an item "
               "without gold the regions of an annotator whose every region there was reviewed, as reviewed, are the "
               "reference (boxes and spans).")


def accuracy(c) -> None:
    kind = _kind(c)
    fr = _scope_or_stop(c, kind)
    acc = _accuracy(c.engine, c.db, kind, c.filters)
    _ref_caption(fr)
    if acc["per_class"] is None:
        empty_state("No accuracy against a reference", f"{md(acc['why'][:1].upper() + acc['why'][1:])}. Load gold "
                    f"(Label Studio `ground_truth` annotations, or a {GOLD[kind]})"
                    + ("." if kind == "multilabel" else " or review regions (box_reviews / span_reviews)."))
        return
    pc = acc["per_class"].copy()
    if kind == "multilabel":
        st.subheader("Per label: precision and recall of chosen labels")
        long = pd.concat([pc.assign(what="precision", v=pc["precision"], lo=pc["precision_ci_low"],
                                    hi=pc["precision_ci_high"], n=pc["n_precision"]),
                          pc.assign(what="recall", v=pc["recall"], lo=pc["recall_ci_low"], hi=pc["recall_ci_high"],
                                    n=pc["n_recall"])])
        long["row"] = long["label"].astype(str) + " · " + long["what"]
        long = long.sort_values(["v", "row"])
        plotly_chart(forest(long, "row", "v", "lo", "hi", "n", "Precision and recall per label vs gold sets "
                            "(Wilson 95% CI, size = n)", "share (%)"), key="rk_class")
        table(pd.DataFrame({"label": pc["label"], "precision": [_est(*x) for x in zip(
            pc["precision"], pc["precision_ci_low"], pc["precision_ci_high"], pc["n_precision"])],
            "recall": [_est(*x) for x in zip(pc["recall"], pc["recall_ci_low"], pc["recall_ci_high"], pc["n_recall"])]}),
            "multilabel_accuracy_per_label", "rk_class_table")
        pa = acc["per_annotator"]
        st.subheader("Per annotator: Hamming and subset accuracy")
        table(pd.DataFrame({"annotator": pa["annotator_id"], "Hamming accuracy": [_est(*x) for x in zip(
            pa["hamming_accuracy"], pa["hamming_accuracy_ci_low"], pa["hamming_accuracy_ci_high"],
            pa["n_hamming_accuracy"])], "subset accuracy": [_est(*x) for x in zip(
                pa["subset_accuracy"], pa["subset_accuracy_ci_low"], pa["subset_accuracy_ci_high"],
                pa["n_subset_accuracy"])]}), "multilabel_accuracy_per_annotator", "rk_ann_table",
            caption="Hamming: share of (set, label) decisions equal to gold (n = decisions); subset: share of sets "
                    "identical to gold (n = sets); Wilson 95% intervals")
        return
    st.subheader(f"Per class: {'detection' if kind == 'boxes' else 'span'} F1 against the reference")
    pc = pc.sort_values(["f1", "label"])
    plotly_chart(forest(pc, "label", "f1", "f1_ci_low", "f1_ci_high", "n_gold",
                        f"F1 per class vs reference ({'IoU >= 0.5 same-label matches' if kind == 'boxes' else 'exact spans'}"
                        "; bootstrap 95% CI over items; size = reference regions)", "F1 (%)"), key="rk_class")
    table(pd.DataFrame({"label": pc["label"], "F1": [_est(*x) for x in zip(pc["f1"], pc["f1_ci_low"], pc["f1_ci_high"])],
                        "precision": [_est(*x) for x in zip(pc["precision"], pc["precision_ci_low"],
                                                            pc["precision_ci_high"])],
                        "recall": [_est(*x) for x in zip(pc["recall"], pc["recall_ci_low"], pc["recall_ci_high"])],
                        "annotated": pc["n_annotated"], "reference": pc["n_gold"], "items": pc["n_items"]}),
          f"{kind}_f1_per_class", "rk_class_table",
          caption="F1 = (TP annotated + TP reference) / (annotated + reference regions), pooled over the annotators "
                  "of each item with a reference (bootstrap 95% CI over item buckets); precision = TP / annotated, recall = TP / reference (Wilson "
                  "95% CI; n = annotated, reference)")
    if kind == "boxes":
        st.subheader("Localisation bias per annotator")
        lb = acc["bias"].assign(pct=lambda d: np.exp(d["log_area_ratio"]) - 1,
                                lo=lambda d: np.exp(d["log_area_ratio_ci_low"]) - 1,
                                hi=lambda d: np.exp(d["log_area_ratio_ci_high"]) - 1).sort_values("log_area_ratio")
        plotly_chart(forest(lb, "annotator_id", "pct", "lo", "hi", "n", "Box area vs reference, matched boxes "
                            "(t 95% CI; size = matched boxes)", "area annotated / area reference - 1",
                            refs=[(0.0, "same size", "#555")]), key="rk_bias")
    ms = acc["miss"][lambda d: d["n_gold"] > 0].sort_values(["miss_rate", "n_gold"], ascending=[False, False])
    keys = list(ms.columns[:list(ms.columns).index("miss_rate")])
    st.subheader("Miss rate by " + ", ".join(str(x) for x in keys))
    what = WHAT[kind]
    table(ms[keys].astype(str).assign(**{
        "miss rate": [_est(*x) for x in zip(ms["miss_rate"], ms["miss_rate_ci_low"], ms["miss_rate_ci_high"])],
        f"reference {what}": ms["n_gold"]}), f"{kind}_miss_rates", "rk_miss",
        caption=(f"reference {what} an annotator of the item left out ("
                 + ("no same-label IoU >= 0.5 match; size: COCO small < 32² px, medium < 96² px, large" if kind == "boxes"
                    else "no span of theirs overlaps it") + "), Wilson 95% interval, highest first"))


# ------------------------------------------------------------------------------------------------ annotators
def annotators(c) -> None:
    kind = _kind(c)
    fr = _scope_or_stop(c, kind)
    acc = _accuracy(c.engine, c.db, kind, c.filters)
    _ref_caption(fr)
    pa = acc["per_annotator"]
    if pa is None:
        empty_state("No figures against a reference", f"{md(acc['why'][:1].upper() + acc['why'][1:])}.")
        return
    ids = sorted(fr["regions"]["annotator_id"].astype(str).unique())
    key = "hamming_accuracy" if kind == "multilabel" else "f1"
    order = pa.sort_values(key)["annotator_id"].astype(str).tolist()
    st.subheader("Annotators against the reference")
    rows = pa.set_index(pa["annotator_id"].astype(str)).reindex(order)
    if kind == "multilabel":
        shown = pd.DataFrame({"annotator": order, "Hamming accuracy": [_est(*x) for x in zip(
            rows["hamming_accuracy"], rows["hamming_accuracy_ci_low"], rows["hamming_accuracy_ci_high"],
            rows["n_hamming_accuracy"])], "subset accuracy": [_est(*x) for x in zip(
                rows["subset_accuracy"], rows["subset_accuracy_ci_low"], rows["subset_accuracy_ci_high"],
                rows["n_subset_accuracy"])]})
    else:
        shown = pd.DataFrame({"annotator": order, "F1": [_est(*x) for x in zip(rows["f1"], rows["f1_ci_low"],
                              rows["f1_ci_high"])], "annotated": rows["n_annotated"].astype("Int64"),
                              "reference": rows["n_gold"].astype("Int64"), "items": rows["n_items"].astype("Int64")})
        if kind == "boxes":
            shown["area vs reference"] = [f"{np.exp(v) - 1:+.1%} (95% CI {np.exp(a) - 1:+.1%} to {np.exp(b) - 1:+.1%}; "
                                          f"n={int(n):,})" if n == n else "–" for v, a, b, n in zip(
                rows["log_area_ratio"], rows["log_area_ratio_ci_low"], rows["log_area_ratio_ci_high"], rows["n_matched"])]
        else:
            shown["token F1"] = [_est(*x) for x in zip(rows["f1_token"], rows["f1_token_ci_low"], rows["f1_token_ci_high"])]
            shown["missed"] = [_est(*x) for x in zip(rows["miss_rate"], rows["miss_rate_ci_low"], rows["miss_rate_ci_high"])]
    table(shown, f"{kind}_annotators_vs_reference", "rk_ann_table", caption="worst first; F1: bootstrap 95% interval "
          "over item buckets; n: annotated / reference regions and items" if kind != "multilabel" else "worst first")
    st.divider()
    who = url_selectbox("Annotator", [None, *order, *[a for a in ids if a not in order]], "annotator", default=None,
                        format_func=lambda a: "— choose an annotator —" if a is None else a)
    if who is None:
        st.info("Choose an annotator above (worst first) to see their figures and their worst items drawn.",
                icon=":material/person_search:")
        return
    st.header(who)
    if who not in rows.index:
        empty_state("No item with a reference", f"{md(who)} labelled no item that has gold or a reviewed reference.")
        return
    r = rows.loc[who]
    cols = st.columns(3)
    if kind == "multilabel":
        figs = [("Hamming accuracy", "hamming_accuracy"), ("subset accuracy", "subset_accuracy")]
        for col, (label, k) in zip(cols, figs):
            with col.container(border=True):
                st.metric(label, fmt_num(r[k]), border=False)
                st.caption(f"{fmt_ci(r[f'{k}_ci_low'], r[f'{k}_ci_high'])}; n={int(r[f'n_{k}']):,}")
        return
    figs = [("F1 vs reference", r["f1"], r["f1_ci_low"], r["f1_ci_high"], f"n={int(r['n_annotated']):,} annotated, "
             f"{int(r['n_gold']):,} reference on {int(r['n_items']):,} items")]
    if kind == "boxes":
        figs.append(("box area vs reference", np.exp(r["log_area_ratio"]) - 1, np.exp(r["log_area_ratio_ci_low"]) - 1,
                     np.exp(r["log_area_ratio_ci_high"]) - 1, f"n={int(r['n_matched']) if r['n_matched'] == r['n_matched'] else 0:,} matched boxes"))
    else:
        figs.append(("token F1 vs reference", r["f1_token"], r["f1_token_ci_low"], r["f1_token_ci_high"],
                     f"n={int(r['n_annotated_token']):,} annotated, {int(r['n_gold_token']):,} reference labelled tokens"))
    for k, (col, (label, v, lo, hi, n)) in enumerate(zip(cols, figs)):
        pct = kind == "boxes" and k == 1  # the area ratio - 1, as a signed percentage
        with col.container(border=True):
            st.metric(label, f"{v:+.1%}" if pct and v == v else fmt_num(v), border=False)
            st.caption((f"95% CI {lo:+.1%} to {hi:+.1%}" if pct and lo == lo else fmt_ci(lo, hi)) + f"; {n}")
    st.subheader("Worst items against the reference")
    from ui.regions import draw_worst_items

    if draw_worst_items(kind, fr["regions"], fr["reference"], fr["texts"], who, key="rk_") == 0:
        empty_state("No items with a reference", f"{md(who)} has no item with gold in this scope.")
