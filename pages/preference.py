"""Preference judgments: are the pairs of a preference project (task_type 'preference') fit to train on?

Per dimension: agreement between judges, tie rate, position and length bias, cycles of the majority preference
over the compared objects, each with n and its 95% interval, judged by the kind's quality rules; then the
Bradley-Terry leaderboard and each judge's position bias. Statistics come from analytics.kinds.preference
(db: SQL sufficient statistics; rules: the quality layer's verdicts).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analytics.kinds.preference import db as pdb
from analytics.kinds.preference.bias import holm
from analytics.kinds.preference.rules import checks as preference_checks
from ui.charts import forest, plotly_chart, rows_height
from ui.common import ctx, empty_state, fmt_ci, fmt_num, fmt_pct, md, page_header, status_mark, table

TTL = 600
N_BOOT = 500


def _filters(f) -> dict:
    return {"date_from": f.date_from, "date_to": f.date_to, "team": f.team}


@st.cache_data(ttl=TTL, show_spinner=False)
def _project(_engine, db: str, project_id: str):
    return pdb.project_from_db(_engine, project_id)


@st.cache_data(ttl=TTL, show_spinner="Computing agreement, biases and cycles per dimension...")
def _summary(_engine, db: str, project_id: str, filters: dict):
    return pdb.summary_from_db(_engine, project_id, by="dimension", n_boot=N_BOOT, **filters)


@st.cache_data(ttl=TTL, show_spinner="Judging the quality rules...")
def _checks(_engine, db: str, project_id: str, filters: dict, _thresholds):
    return pd.DataFrame([c.as_dict() for c in preference_checks(_engine, project_id, _thresholds, n_boot=N_BOOT,
                                                                 **filters)])


@st.cache_data(ttl=TTL, show_spinner="Fitting Bradley-Terry and per-judge position bias...")
def _overall(_engine, db: str, project_id: str, filters: dict):
    return (pdb.bradley_terry_from_db(_engine, project_id, n_boot=200, **filters),
            pdb.position_bias_from_db(_engine, project_id, by="annotator", **filters))


def _share(v, lo, hi, n) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{fmt_pct(v)} ({fmt_ci(lo, hi, pct=True)}; n={int(n):,})"


c = ctx()
f = c.filters
page_header("Preference judgments",
            "Pairwise verdicts (a, b or tie) per dimension: agreement between judges, ties, position and length "
            "bias, cycles of the majority preference. Every share has its n and 95% interval.")
info = _project(c.engine, c.db, f.project_id)
if info is None or info["task_type"] != "preference":
    kind = "a database without the preference tables" if info is None else f"a {md(info['task_type'])} project"
    empty_state("Not a preference project",
                f"This page reads pairwise preference judgments; project {md(f.project_id)} is {kind}. Choose a "
                "project whose task type is 'preference', or load one: a projects file with task_type = preference, "
                "then `labelqa load --project P pairs.csv judgments.csv` (or a DPO/TRL JSON lines file).")
    st.stop()
if info["n_judgments"] == 0:
    empty_state("No judgments yet",
                f"Project {md(f.project_id)} has {info['n_pairs']:,} pairs and no judgments. Load them with "
                "`labelqa load --project P judgments.csv` (columns pair_id, annotator_id, choice a/b/tie; optional "
                "dimension, shown_first, created_at).")
    st.stop()

flt = _filters(f)
s = _summary(c.engine, c.db, f.project_id, flt)
counts = s["counts"]
if counts.empty or int(counts["n_judgments"].sum()) == 0:
    empty_state("No judgments in these filters", "Widen the date range or clear the team filter: judgments without "
                "a date are left out by any date range.")
    st.stop()

m1, m2, m3 = st.columns(3)
m1.metric("Pairs judged", f"{int(counts['n_pairs'].sum()):,}")
m2.metric("Judgments", f"{int(counts['n_judgments'].sum()):,}")
m3.metric("Dimensions", f"{len(counts):,}")

# ------------------------------------------------------------------------------------------- per dimension
st.subheader("Per dimension")
agr = s["agreement"].set_index(["group", "metric"])
rows = []
for r in counts.itertuples(index=False):
    g = r.group
    t = s["tie_rate"].set_index("group").loc[g]
    p = s["position_bias"].set_index("group").loc[g]
    ln = s["length_bias"].set_index("group").loc[g]
    row = {"dimension": g, "pairs": int(r.n_pairs), "judgments": int(r.n_judgments),
           "tie rate": _share(t["value"], t["ci_low"], t["ci_high"], t["n"])}
    for m, label in (("percent_without_ties", "agreement without ties"), ("percent_with_ties", "agreement with ties"),
                     ("krippendorff_alpha", "Krippendorff's alpha")):
        a = agr.loc[(g, m)] if (g, m) in agr.index else None
        row[label] = ("–" if a is None or not np.isfinite(a["value"]) else
                      f"{fmt_num(a['value'])} ({fmt_ci(a['ci_low'], a['ci_high'])}; n={int(a['n']):,} pairs)")
    row["chose first-shown"] = _share(p["share"], p["ci_low"], p["ci_high"], p["n"])
    row["chose longer"] = _share(ln["share"], ln["ci_low"], ln["ci_high"], ln["n"])
    rows.append(row)
table(pd.DataFrame(rows), "preference_dimensions", "pref_dims",
      caption="Agreement: the share of agreeing pairs of verdicts on the same pair (MT-Bench), 95% bootstrap "
              "interval over pairs; n = pairs judged by two or more judges. Shares: 95% Wilson intervals; "
              "'chose first-shown' among non-tie verdicts with a position, 'chose longer' among non-tie verdicts "
              "of pairs whose lengths differ. AlpacaEval reports 65.7% human agreement, 52% first, 64% longer.")

ag = s["agreement"]
fig_df = ag[ag["metric"] == "percent_without_ties"].dropna(subset=["value"]).rename(columns={"group": "dimension"})
if len(fig_df):
    plotly_chart(forest(fig_df, "dimension", "value", "ci_low", "ci_high", "n",
                        "Agreement without ties per dimension (95% interval; marker area = pairs)",
                        "share of agreeing verdict pairs", refs=[(0.657, "AlpacaEval humans 65.7%", "#888")]),
                 key="pref_forest")
else:
    empty_state("No agreement to show", "No pair has non-tie verdicts from two or more judges in these filters.")

# --------------------------------------------------------------------------------------------------- rules
st.subheader("Quality rules")
chk = _checks(c.engine, c.db, f.project_id, flt, c.thresholds)
if chk.empty:
    empty_state("Nothing judged", "No dimension has judgments in these filters.")
else:
    shown = pd.DataFrame({
        "status": [status_mark(st_, o if j else "not judged") for st_, o, j in zip(chk["status"], chk["outcome"],
                                                                                    chk["judged"])],
        "rule": chk["rule"].str.replace("preference_", "").str.replace("_", " "),
        "subject": chk["scope"],
        "value": [fmt_num(v) for v in chk["value"]],
        "interval": [fmt_ci(lo, hi) for lo, hi in zip(chk["ci_low"], chk["ci_high"])],
        "n": chk["n"], "threshold": chk["threshold"], "note": chk["note"]})
    table(shown, "preference_rules", "pref_rules", status_cols=["status"],
          caption="Biases are judged as |share - 0.5| on the lower bound of that distance; limits are the "
                  "preference kind's defaults (analytics/kinds/preference/rules.py).")

# ---------------------------------------------------------------------------------------- objects, judges
bt, judges = _overall(c.engine, c.db, f.project_id, flt)
st.subheader("Compared objects (Bradley-Terry)")
tr = s["transitivity"]
if bt.empty:
    empty_state("No leaderboard", "The pairs name no compared objects: give response_a and response_b (model or "
                "policy ids) in the pairs file.")
else:
    for r in tr.itertuples(index=False):
        st.caption(f"Dimension {md(r.group)}: {int(r.cyclic_triads):,} cyclic of {int(r.triads):,} decided triads "
                   f"of objects ({fmt_pct(r.cycle_rate)})." if r.triads else
                   f"Dimension {md(r.group)}: no three objects with all three pairs decided.")
    lb = bt.assign(interval=[fmt_ci(lo, hi) for lo, hi in zip(bt["ci_low"], bt["ci_high"])],
                   n=bt["wins"] + bt["losses"] + bt["ties"])
    table(lb[["rank", "object", "score", "interval", "wins", "losses", "ties", "n"]], "preference_bradley_terry",
          "pref_bt", height=rows_height(min(len(lb), 30)),
          caption="Bradley-Terry strength over all dimensions (sums to 1; ties count half a win to each side), "
                  "95% bootstrap interval over pairs (200 replicates); n = verdicts involving the object.")

st.subheader("Judges: position bias")
judges = judges[judges["n"] > 0].copy()
if judges.empty:
    empty_state("No positions recorded", "Give shown_first (a or b) in the judgments to see each judge's share of "
                "verdicts for the response shown first.")
else:
    judges["p_holm"] = holm(judges["p_value"].to_numpy())
    judges = judges.sort_values(["p_holm", "group"])
    table(pd.DataFrame({"judge": judges["group"], "chose first-shown": [_share(*x) for x in zip(
        judges["share"], judges["ci_low"], judges["ci_high"], judges["n"])], "n": judges["n"],
        "p (Holm)": [fmt_num(p) for p in judges["p_holm"]]}), "preference_judges", "pref_judges",
        height=rows_height(min(len(judges), 30)),
        caption="Share of non-tie verdicts for the first-shown response per judge (95% Wilson interval), exact "
                "binomial test against 50% with Holm's correction over the judges.")
