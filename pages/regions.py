"""Regions & label sets: agreement and accuracy of a spans, boxes or multi-label project (issue 13).

For a project of task_type spans, boxes or multilabel: per label, agreement between annotators (pairwise F1 of
matched spans / boxes, or binary alpha of a label in the sets) with n and its 95% bootstrap interval; accuracy
against gold (precision, recall with Wilson intervals and n); a per-annotator table. Statistics come from
analytics.kinds.<kind>.db (the scope's regions from SQL, matched by the kinds' metrics); this page only draws.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import inspect

from analytics.db import query_df
from analytics.kinds.boxes import db as boxes_db
from analytics.kinds.multilabel import db as multilabel_db
from analytics.kinds.spans import db as spans_db
from analytics.metrics.results import NoData
from ui.common import ctx, empty_state, fmt_ci, fmt_num, md, page_header, table

TTL = 600
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
         "dy": "centre offset y (gold heights)", "n_spans": "spans", "label": "label", "annotator_id": "annotator"}


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
