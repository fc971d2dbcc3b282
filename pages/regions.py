"""Regions & label sets: agreement and accuracy of a spans, boxes or multi-label project (issue 13).

For a project of task_type spans, boxes or multilabel: per label, agreement between annotators (pairwise F1 of
matched spans / boxes, or binary alpha of a label in the sets) with n and its 95% bootstrap interval; accuracy
against gold (precision, recall with Wilson intervals and n); a per-annotator table. Spans and boxes add the
per-label agreement per week, the localisation-bias forest per annotator (boxes), miss rates by item attribute and
object size (boxes) or per annotator against gold at instance and token level (spans), and an annotator's worst
items against gold drawn (boxes on a blank canvas of the image size, spans highlighted in the escaped text).
Statistics come from analytics.kinds.<kind> (the scope's regions from SQL, matched by the kinds' metrics); this
page only draws.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import inspect

from analytics.db import query_df
from analytics.kinds.boxes import db as boxes_db
from analytics.kinds.multilabel import db as multilabel_db
from analytics.kinds.spans import db as spans_db
from analytics.metrics.results import NoData
from ui.charts import forest, plotly_chart, weekly
from ui.regions import draw_worst_items
from ui.common import ctx, empty_state, fmt_ci, fmt_num, md, page_header, table

TTL = 3600  # backstop; ui.freshness.refresh_if_changed empties the cache when the data changes
N_BOOT = 500
KINDS = {"spans": ("span_annotations", spans_db, "spans"), "boxes": ("box_annotations", boxes_db, "boxes"),
         "multilabel": ("multilabel_annotations", multilabel_db, "label sets")}
WORDS = {"mean": "agreement (mean pairwise F1)", "alpha": "agreement (binary alpha)", "mean_iou": "mean IoU",
         "precision": "precision", "recall": "recall", "f1": "F1", "hamming_accuracy": "Hamming accuracy",
         "subset_accuracy": "subset accuracy", "log_area_ratio": "log area ratio", "n_pairs": "annotator pairs",
         "n_items": "items", "n_annotated": "annotated", "n_gold": "gold", "n_chosen": "times chosen",
         "n_annotators": "annotators", "sd": "SD over pairs", "n_precision": "n (precision)",
         "n_recall": "n (recall)", "n_hamming_accuracy": "n (label decisions)", "n_subset_accuracy": "n (sets)",
         "n_matched": "matched boxes", "n": "n", "dx": "centre offset x (gold widths)",
         "dy": "centre offset y (gold heights)", "n_spans": "spans", "label": "label", "annotator_id": "annotator",
         "n_reviewed": "reviewed", "accepted_rate": "accepted", "corrected_rate": "corrected",
         "rejected_rate": "rejected"}


@st.cache_data(ttl=TTL, show_spinner=False)
def _task_type(_engine, db: str, project_id: str):
    t = query_df(_engine, "spans_task_type", project_id=project_id)
    return None if t.empty else str(t.iloc[0]["task_type"])


@st.cache_data(ttl=TTL, show_spinner="Matching regions and computing agreement and accuracy...")
def _figures(_engine, db: str, kind: str, filters):
    mod = KINDS[kind][1]
    counts = mod.label_counts_from_db(_engine, filters)
    out = {"counts": counts, "agreement": None, "accuracy": None, "why_agreement": "", "why_accuracy": ""}
    agree = {"spans": lambda: mod.span_agreement_from_db(_engine, filters, n_boot=N_BOOT),
             "boxes": lambda: mod.box_agreement_from_db(_engine, filters, n_boot=N_BOOT),
             "multilabel": lambda: mod.multilabel_agreement_from_db(_engine, filters, n_boot=N_BOOT)}[kind]
    acc = {"spans": lambda: mod.span_accuracy_from_db(_engine, filters),
           "boxes": lambda: mod.box_accuracy_from_db(_engine, filters),
           "multilabel": lambda: mod.multilabel_accuracy_from_db(_engine, filters)}[kind]
    for key, f in (("agreement", agree), ("accuracy", acc)):
        try:
            out[key] = f()
        except NoData as exc:
            out["why_" + key] = str(exc)
    return out


def _frame(records: dict, key: str) -> pd.DataFrame:
    """``{name: {field: value}}`` -> a frame with ``key`` first."""
    df = pd.DataFrame.from_dict(records, orient="index")
    df.index.name = key
    return df.reset_index()


def _shown(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """Words for the columns; each estimate as 'value (low–high)' where it has an interval."""
    out = pd.DataFrame({WORDS.get(key, key): df[key].astype(str)})
    for c in df.columns:
        if c == key or c.endswith("_ci_low") or c.endswith("_ci_high") or c in ("ci_low", "ci_high"):
            continue
        lo, hi = (f"{c}_ci_low", f"{c}_ci_high") if f"{c}_ci_low" in df.columns else ("ci_low", "ci_high")
        name = WORDS.get(c, c.replace("_", " "))
        if c.startswith("n_"):
            out[name] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
        elif lo in df.columns and c in ("mean", "alpha", "precision", "recall", "hamming_accuracy", "subset_accuracy",
                                        "log_area_ratio") or f"{c}_ci_low" in df.columns:
            out[name] = [f"{fmt_num(v)} ({fmt_ci(a, b)})" for v, a, b in zip(df[c], df[lo], df[hi])]
        elif pd.api.types.is_numeric_dtype(df[c]):
            v = pd.to_numeric(df[c], errors="coerce")
            whole = v.dropna().eq(v.dropna().round()).all() and c not in ("sd", "mean_iou", "area_ratio", "f1")
            out[name] = v.round().astype("Int64") if whole else [fmt_num(x) for x in v]
        else:  # a grouping column (label of a week's row, lighting, size)
            out[name] = df[c].astype(str)
    return out


c = ctx()
f = c.filters
page_header("Regions & label sets",
            "Spans, boxes and multi-label sets: agreement between annotators per label (matched regions; 95% "
            "bootstrap intervals over items) and accuracy against gold (Wilson 95% intervals), each with its n.")
kind = _task_type(c.engine, c.db, f.project_id)
if kind not in KINDS:
    empty_state("Not a spans, boxes or multi-label project",
                f"This page reads regions and label sets; project {md(f.project_id)} is a {md(kind or 'unknown')} "
                "project. Choose a project whose task type is spans, boxes or multilabel, or load one: a projects "
                "file with that task_type, then `labelqa load --project P export.json` (Label Studio labels / "
                "rectanglelabels, COCO, or span_annotations / box_annotations / multilabel_annotations files).")
    st.stop()
table_name, mod, what = KINDS[kind]
if not inspect(c.engine).has_table(table_name):
    empty_state(f"No {what} tables", f"This database was built before the {md(kind)} tables existed; any "
                "`labelqa load` creates them.")
    st.stop()
def _has_column(engine, table: str, column: str) -> bool:
    """Whether ``table`` has ``column`` (a probe query: duckdb_engine's column reflection fails on DuckDB)."""
    from sqlalchemy import text

    try:
        with engine.connect() as con:
            con.execute(text(f"SELECT {column} FROM {table} WHERE 1 = 0"))  # fixed names, no user values
        return True
    except Exception:  # noqa: BLE001 - any failure means the column cannot be read
        return False


if kind == "spans" and not _has_column(c.engine, table_name, "schema_version"):
    empty_state("Spans table without schema_version", "This database was built before span_annotations had a "
                "schema_version column; any `labelqa load` (or `labelqa demo --force`) adds it.")
    st.stop()
fig = _figures(c.engine, c.db, kind, f)
counts = fig["counts"]
if counts.empty or int(counts["n_annotated"].sum()) == 0:
    empty_state(f"No {what} in these filters",
                f"Project {md(f.project_id)} has no labelled {what} in this scope. Widen the date range or clear the "
                "team / split / batch filter (rows without a date are left out by any date range), or load them.")
    st.stop()

cols = st.columns(3)
cols[0].metric("labels", f"{len(counts):,}")
cols[1].metric(f"labelled {what}", f"{int(counts['n_annotated'].sum()):,}")
cols[2].metric("gold", f"{int(counts['n_gold'].sum()):,}")

st.subheader("Agreement per label")
ag = fig["agreement"]
if ag is None:
    empty_state("No agreement", f"{md(fig['why_agreement'])}: agreement needs two annotators on a common item.")
else:
    o = ag["overall"]
    if kind == "multilabel":
        st.markdown(f"MASI alpha **{fmt_num(o['masi_alpha'])}** ({fmt_ci(o['masi_alpha_ci_low'], o['masi_alpha_ci_high'])}; "
                    f"n={o['n_items']:,} items, {o['n_pairs']:,} pairs of sets); exact-set agreement "
                    f"{fmt_num(o['exact_set_agreement'])}; mean Jaccard {fmt_num(o['mean_jaccard'])}.")
    else:
        st.markdown(f"Mean pairwise F1 **{fmt_num(o['mean'])}** ({fmt_ci(o.get('ci_low'), o.get('ci_high'))}; "
                    f"n={o['n_pairs']:,} annotator pairs over {o['n_items']:,} items).")
    per = _frame(ag["per_label"], "label")
    table(_shown(per, "label"), f"{kind}_agreement_per_label", f"{kind}_agree", caption=md(ag["method"]))

st.subheader("Accuracy against gold")
acc = fig["accuracy"]
if acc is None:
    empty_state("No accuracy", f"{md(fig['why_accuracy'])}. Load gold ({md(kind)}: "
                + {"spans": "gold_spans or Label Studio ground_truth annotations",
                   "boxes": "gold_boxes, a COCO file with --table gold_boxes, or Label Studio ground_truth",
                   "multilabel": "gold_label_sets or Label Studio ground_truth"}[kind] + ").")
else:
    per = _frame(acc["per_label"], "label")
    table(_shown(per, "label"), f"{kind}_accuracy_per_label", f"{kind}_acc", caption=md(acc["method"]))
    st.subheader("Per annotator")
    key = "localisation_bias" if kind == "boxes" else "per_annotator"
    ann = acc.get(key) or {}
    if not ann:
        empty_state("No annotator figures", "No annotator has an item with gold in this scope.")
    else:
        table(_shown(_frame(ann, "annotator_id"), "annotator_id"), f"{kind}_per_annotator", f"{kind}_ann")


# ------------------------------------------------------------------ spans and boxes: time, bias, misses, worst items
if kind == "multilabel":
    st.stop()


@st.cache_data(ttl=TTL, show_spinner="Per week, per annotator and per attribute...")
def _regions(_engine, db: str, kind: str, filters):
    from analytics.kinds.regions_db import item_attributes

    if kind == "boxes":
        from analytics.kinds.boxes.accuracy import localisation_bias, miss_rates
        from analytics.kinds.boxes.quality import agreement_by

        regions, gold = boxes_db.boxes_from_db(_engine, filters), boxes_db.gold_boxes_from_db(_engine, filters)
    else:
        from analytics.kinds.spans.quality import agreement_by, f1_vs_gold

        regions, gold = spans_db.spans_from_db(_engine, filters), spans_db.gold_spans_from_db(_engine, filters)
    items = item_attributes(_engine, filters.project_id)
    out = {"regions": regions, "gold": gold, "weekly": agreement_by(regions, "week", n_boot=200),
           "bias": None, "miss": None, "f1": None, "texts": None, "attrs": [c for c in items.columns if c != "item_id"]}
    if not gold["label"].notna().any():
        return out
    if kind == "boxes":
        out["bias"] = localisation_bias(regions, gold, by=("annotator_id",))
        # the attribute with the fewest values (lighting day / night before camera)
        few = sorted((items[a].nunique(), a) for a in out["attrs"] if items[a].nunique() <= 4)[:1]
        by = (*(["team"] if "team" in regions.columns else []), *[a for _, a in few], "size")
        out["miss"] = miss_rates(regions, gold, by=by, items=items)
    else:
        texts = spans_db.texts_from_db(_engine, filters)
        out["texts"] = texts
        inst = f1_vs_gold(regions, gold, "instance", by=("annotator_id",), n_boot=200)
        tok = f1_vs_gold(regions, gold, "token", texts=texts, by=("annotator_id",), n_boot=200)
        tok = tok.rename(columns={"f1": "f1_token", "f1_ci_low": "f1_token_ci_low", "f1_ci_high": "f1_token_ci_high"})
        out["f1"] = inst.merge(tok[["annotator_id", "f1_token", "f1_token_ci_low", "f1_token_ci_high"]], on="annotator_id")
    return out


rg = _regions(c.engine, c.db, kind, f)
st.subheader("Agreement per label over time")
wk = rg["weekly"]
if wk.empty:
    empty_state("No weekly agreement", "No week of this scope has two annotators on a common item.")
else:
    wk = wk.assign(shown=wk["label"].replace("", "all labels"), week=pd.to_datetime(wk["week"]))
    plotly_chart(weekly(wk, "week", "mean", "Mean pairwise F1 per week", "mean pairwise F1", lo="ci_low", hi="ci_high",
                        group="shown", n="n_items", y_range=(0, 1)), key="regions_weekly")
    table(_shown(wk.assign(label=wk["shown"]).drop(columns=["shown"]).astype({"week": str}), "week"), f"{kind}_agreement_per_week",
          f"{kind}_week", caption="pairwise F1 within each week's items; 95% bootstrap interval over items")

@st.cache_data(ttl=TTL, show_spinner=False)
def _reviews(_engine, db: str, kind: str, filters):
    from analytics.kinds.region_reviews import review_summary

    if kind == "boxes":
        return review_summary(boxes_db.boxes_from_db(_engine, filters), boxes_db.box_reviews_from_db(_engine, filters))
    return review_summary(spans_db.spans_from_db(_engine, filters), spans_db.span_reviews_from_db(_engine, filters))


if inspect(c.engine).has_table("box_reviews" if kind == "boxes" else "span_reviews"):
    rv = _reviews(c.engine, c.db, kind, f)
    if len(rv):
        st.subheader("Reviews per annotator")
        table(_shown(rv, "annotator_id"), f"{kind}_reviews_per_annotator", f"{kind}_rev",
              caption="the latest review of each reviewed region: shares accepted, corrected and rejected (Wilson 95% "
                      "intervals; n = reviewed regions)")

if rg["gold"] is None or not rg["gold"]["label"].notna().any():
    st.stop()
if kind == "boxes":
    st.subheader("Localisation bias per annotator")
    lb = rg["bias"].assign(pct=lambda d: np.exp(d["log_area_ratio"]) - 1, lo=lambda d: np.exp(d["log_area_ratio_ci_low"]) - 1,
                           hi=lambda d: np.exp(d["log_area_ratio_ci_high"]) - 1).sort_values("log_area_ratio")
    plotly_chart(forest(lb, "annotator_id", "pct", "lo", "hi", "n", "Box area vs gold, matched boxes (95% CI)",
                        "area annotated / area gold - 1", refs=[(0.0, "same size", "#555")]), key="regions_bias")
    st.subheader("Miss rate by team, attribute and object size")
    ms = rg["miss"]
    table(_shown(ms, ms.columns[0]), "boxes_miss_rates", "boxes_miss",
          caption="gold boxes an annotator left out (no same-label IoU >= 0.5 match), Wilson 95% interval; size: "
                  "COCO small < 32² px, medium < 96² px, large")
else:
    st.subheader("Per annotator against gold: instance and token F1")
    fr = rg["f1"]
    table(_shown(fr[["annotator_id", "f1", "f1_ci_low", "f1_ci_high", "f1_token", "f1_token_ci_low",
                     "f1_token_ci_high", "n_gold", "n_annotated"]], "annotator_id"), "spans_f1_vs_gold", "spans_f1",
          caption="F1 = 2 TP / (gold + annotated), identical spans (instance) or labelled tokens (token); 95% "
                  "bootstrap interval over items. Low instance F1 with high token F1: merged or split spans")

st.subheader("Worst items of an annotator")
people = sorted(rg["regions"]["annotator_id"].astype(str).unique())
who = st.selectbox("annotator", people, key="regions_who")
if draw_worst_items(kind, rg["regions"], rg["gold"], rg["texts"], who) == 0:
    empty_state("No items with gold", f"{md(who)} has no item with gold in this scope.")
