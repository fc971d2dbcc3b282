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
from analytics.kinds.preference.clean_set import clean_set, write_jsonl
from analytics.kinds.preference.judges import judge_drift, model_vs_humans
from analytics.kinds.preference.rules import checks as preference_checks
from ui.charts import forest, plotly_chart, rows_height, weekly
from ui.preference_views import swap_panel
from ui.common import ctx, empty_state, fmt_ci, fmt_num, fmt_pct, md, page_header, status_mark, table

TTL = 3600  # backstop; ui.freshness.refresh_if_changed empties the cache when the data changes
N_BOOT = 500


def _filters(f) -> dict:
    return {"date_from": f.date_from, "date_to": f.date_to, "team": f.team}


@st.cache_data(ttl=TTL, show_spinner=False)
def _project(_engine, db: str, project_id: str):
    return pdb.project_from_db(_engine, project_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def _task_type(_engine, db: str, project_id: str):
    return pdb.task_type_from_db(_engine, project_id)


@st.cache_data(ttl=TTL, show_spinner=False)
def _preference_projects(_engine, db: str):
    return pdb.preference_projects_from_db(_engine)


@st.cache_data(ttl=TTL, show_spinner="Computing agreement, biases and cycles per dimension...")
def _summary(_engine, db: str, project_id: str, filters: dict):
    return pdb.summary_from_db(_engine, project_id, by="dimension", n_boot=N_BOOT, **filters)


@st.cache_data(ttl=TTL, show_spinner="Judging the quality rules...")
def _checks(_engine, db: str, project_id: str, filters: dict, _thresholds, th_key: str):
    return pd.DataFrame([c.as_dict() for c in preference_checks(_engine, project_id, _thresholds, n_boot=N_BOOT,
                                                                 **filters)])


@st.cache_data(ttl=TTL, show_spinner="Fitting Bradley-Terry and per-judge position bias...")
def _overall(_engine, db: str, project_id: str, filters: dict, dimension: str | None):
    return (pdb.bradley_terry_from_db(_engine, project_id, n_boot=200, dimension=dimension, **filters),
            pdb.position_bias_from_db(_engine, project_id, by="annotator", **filters))


@st.cache_data(ttl=TTL, show_spinner="Reading the verdicts, pairs and gold...")
def _rows(_engine, db: str, project_id: str, filters: dict):
    return (pdb.scope_rows_from_db(_engine, project_id, **filters), pdb.pairs_from_db(_engine, project_id),
            pdb.gold_from_db(_engine, project_id))


@st.cache_data(ttl=TTL, show_spinner="Weekly agreement per dimension...")
def _weekly(_engine, db: str, project_id: str, filters: dict, dims: tuple):
    parts = [pdb.agreement_from_db(_engine, project_id, by="week", dimension=d, metrics=("percent_without_ties",),
                                   n_boot=200, **filters).assign(dimension=d) for d in dims]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@st.cache_data(ttl=TTL, show_spinner="Model judge vs the human majority, each judge's drift...")
def _judges(_engine, db: str, project_id: str, filters: dict, drift_weeks: int, drift_alpha: float):
    rows, pairs, gold = _rows(_engine, db, project_id, filters)
    mv = model_vs_humans(rows, n_boot=N_BOOT)
    drift = judge_drift(rows, gold, baseline_weeks=drift_weeks, alpha=drift_alpha) if len(rows) else pd.DataFrame()
    lb = pdb.length_bias_from_db(_engine, project_id, by="annotator", **filters)
    return mv, drift, lb


@st.cache_data(ttl=TTL, show_spinner="Fitting the length-controlled preference...")
def _length_controlled(_engine, db: str, project_id: str, filters: dict, dimension: str | None):
    return (pdb.length_controlled_from_db(_engine, project_id, dimension=dimension, **filters),
            pdb.length_slope_from_db(_engine, project_id, dimension=dimension, **filters))


@st.cache_data(ttl=TTL, show_spinner="Computing the clean set...")
def _clean(_engine, db: str, project_id: str, filters: dict, min_margin: float, min_strength: float | None):
    rows, pairs, _gold = _rows(_engine, db, project_id, filters)
    res = clean_set(rows, pairs, min_margin=min_margin, n_boot=N_BOOT, min_strength=min_strength)
    return res, write_jsonl(res, pairs, source=f"project {project_id}")


def _share(v, lo, hi, n) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{fmt_pct(v)} ({fmt_ci(lo, hi, pct=True)}; n={int(n):,})"


c = ctx()
f = c.filters
page_header("Preference judgments",
            "Pairwise verdicts (a, b or tie) per dimension: agreement between judges, ties, position and length "
            "bias, cycles of the majority preference. Every share has its n and 95% interval.")
info = _project(c.engine, c.db, f.project_id)
if info is None or info["task_type"] != "preference":
    task = _task_type(c.engine, c.db, f.project_id)
    others = _preference_projects(c.engine, c.db)
    what = (f"Project {md(f.project_id)} is not in this database." if task is None else
            f"Project {md(f.project_id)} is a {md(task)} project: its annotations are on the other pages "
            "(Overview, Accuracy, Agreement...)." if task != "preference" else
            f"Project {md(f.project_id)} is a preference project, but this database has no preference tables yet "
            "(it was built before the preference kind and is opened read-only; `labelqa load` creates them).")
    pick = (f"Choose one of this database's preference projects in the sidebar: {', '.join(md(x) for x in others)}."
            if others else "This database has no preference project: load one with a projects file "
            "(`task_type = preference`), then `labelqa load --project P pairs.csv judgments.csv` (or a DPO/TRL JSON "
            "lines file); `labelqa demo` builds one (`assistant_prefs`).")
    empty_state("Not a preference project", f"{what} This page reads pairwise preference judgments (a, b or tie). "
                + pick)
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

wk = _weekly(c.engine, c.db, f.project_id, flt, tuple(str(g) for g in counts["group"]))
wk = wk.dropna(subset=["value"]) if len(wk) else wk
if len(wk):
    wk = wk.assign(week=pd.to_datetime(wk["group"]))
    plotly_chart(weekly(wk, "week", "value", "Agreement without ties per week and dimension (95% interval)",
                        "agreement", lo="ci_low", hi="ci_high", group="dimension", n="n", pct=True),
                 key="pref_weekly")
    st.caption("Per Monday week of the verdicts: the share of agreeing non-tie verdict pairs on the same pair "
               "(bootstrap over pairs, 200 replicates); n = pairs judged by two or more judges that week.")

# --------------------------------------------------------------------------------------------------- rules
st.subheader("Quality rules")
chk = _checks(c.engine, c.db, f.project_id, flt, c.thresholds, c.thresholds.key)
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
          caption="Biases are judged as |share - 0.5| on the lower bound of that distance; limits are "
                  "labelqa.toml's [rules.preference_*] (defaults in analytics/quality/config_file.py); the gate "
                  "judges the same: `labelqa gate --project " + f.project_id.replace("`", "") + "`.")

# ---------------------------------------------------------------------------------------- objects, judges
st.subheader("Compared objects (Bradley-Terry)")
dim_choices = [str(g) for g in counts["group"]]
bt_dim = (st.selectbox("Dimension", dim_choices, key="pref_bt_dim",
                       help="Strengths differ per dimension (a helpful policy need not be the safest)")
          if len(dim_choices) > 1 else (dim_choices[0] if dim_choices else None))
bt, judges = _overall(c.engine, c.db, f.project_id, flt, bt_dim)
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
          caption=f"Bradley-Terry strength on {md(str(bt_dim))} (sums to 1; ties count half a win to each side), "
                  "95% bootstrap interval over pairs (200 replicates); n = verdicts involving the object.")

# -------------------------------------------------------------------------------- length-controlled preference
st.subheader("Length-controlled preference")
lc, slope = _length_controlled(c.engine, c.db, f.project_id, flt, bt_dim)
if lc.empty or lc["lc_win_rate"].isna().all():
    empty_state("No length-controlled fit", (lc["reason"].dropna().iloc[0] + "." if len(lc) and
                lc["reason"].notna().any() else "The fit needs compared objects (response_a, response_b) and the "
                "lengths of both responses (len_a, len_b or the texts) of non-tie verdicts."))
else:
    r0 = lc.iloc[0]
    lct = lc.sort_values("lc_win_rate", ascending=False)
    table(pd.DataFrame({
        "object": lct["object"],
        "raw win rate": [_share(v, lo, hi, n) for v, lo, hi, n in zip(lct["raw_win_rate"], lct["raw_ci_low"],
                                                                      lct["raw_ci_high"], lct["n"])],
        "length-controlled win rate": [f"{fmt_pct(v)} ({fmt_ci(lo, hi, pct=True)})" for v, lo, hi in
                                       zip(lct["lc_win_rate"], lct["lc_ci_low"], lct["lc_ci_high"])],
        "change": [f"{(a - b) * 100:+.1f} points" for a, b in zip(lct["lc_win_rate"], lct["raw_win_rate"])],
        "score (log-odds)": [f"{v:+.2f} (95% CI {lo:+.2f} to {hi:+.2f})" for v, lo, hi in
                             zip(lct["lc_score"], lct["lc_score_ci_low"], lct["lc_score_ci_high"])]}),
        "preference_length_controlled", "pref_lc",
        caption=f"Dimension {md(str(bt_dim))}: logistic model of the non-tie verdicts, logit P(a) = score(object a) - "
                "score(object b) + beta log(len_a / len_b) (analytics/kinds/preference/length_control.py). The "
                "length-controlled win rate is the model's mean chance of beating each other object with the length "
                "term at zero, as AlpacaEval's length-controlled win rate; 95% delta-method intervals. Raw: share of "
                f"the object's non-tie verdicts won (Wilson; n = verdicts). Length effect once identity is "
                f"controlled: beta = {r0['length_beta']:+.2f} (95% CI {r0['length_beta_ci_low']:+.2f} to "
                f"{r0['length_beta_ci_high']:+.2f}, p = {r0['length_beta_p_value']:.2g}; {int(r0['n_verdicts']):,} verdicts).")
    if len(slope) and np.isfinite(slope["logistic_slope"].iloc[0]):
        s0 = slope.iloc[0]
        st.caption(f"Without the objects: slope of the choice on log(len_a / len_b) = {s0['logistic_slope']:+.2f} "
                   f"(95% CI {s0['slope_ci_low']:+.2f} to {s0['slope_ci_high']:+.2f}, p = {s0['slope_p_value']:.2g}; n = "
                   f"{int(s0['slope_n']):,}); above 0 the longer response is preferred. Each judge's slope: the "
                   "Annotators page.")

# ------------------------------------------------------------------------------------------ judge vs human
st.subheader("Model judge vs humans")
mv, drift, lb = _judges(c.engine, c.db, f.project_id, flt, int(c.thresholds.setting("drift_baseline_weeks")),
                        float(c.thresholds.drift_alpha()))
if mv.empty:
    empty_state("No model judge", "No judge of these verdicts is marked as a model: give the model judge's "
                "annotators row team = model (e.g. an annotators file with annotator_id, team).")
else:
    def _reading(r) -> str:
        if not r.n:
            return "no pair to compare"
        if not r.ci_low > 0.5:
            return "not above chance: keep humans"
        if np.isfinite(r.human_agreement) and r.ci_high < r.human_agreement:
            return "below the humans' own agreement"
        return "as often as humans agree: may stand in"
    table(pd.DataFrame({
        "dimension": mv["dimension"], "model judge": mv["judge"],
        "agrees with human majority": [_share(*x) for x in zip(mv["agreement"], mv["ci_low"], mv["ci_high"], mv["n"])],
        "humans agree with each other": ["–" if not np.isfinite(v) else f"{fmt_pct(v)} ({fmt_ci(lo, hi, pct=True)}; "
                                         f"n={int(n):,} pairs)" for v, lo, hi, n in zip(
                                             mv["human_agreement"], mv["human_ci_low"], mv["human_ci_high"],
                                             mv["human_n"])],
        "model ties": [fmt_pct(v) if np.isfinite(v) else "–" for v in mv["model_tie_rate"]],
        "reading": [_reading(r) for r in mv.itertuples(index=False)]}), "preference_model_vs_humans", "pref_mvh",
        caption="Pairs whose human verdicts (2+ humans) have a non-tie majority and the model gave a non-tie verdict: "
                "share where the model picks the majority's side (95% Wilson interval, n = pairs). Beside it the "
                "humans' pairwise agreement without ties (MT-Bench, bootstrap interval). Model judges: annotators "
                "whose team is 'model'.")

# ------------------------------------------------------------------------------------------------- judges
st.subheader("Judges: biases and drift")
judges = judges[judges["n"] > 0].copy()
if judges.empty and lb.empty:
    empty_state("No positions or lengths recorded", "Give shown_first (a or b) in the judgments, or lengths/texts "
                "in the pairs, to see each judge's position and length bias.")
else:
    jt = judges.set_index("group")
    lt = lb[lb["n"] > 0].set_index("group")
    who = sorted(set(jt.index) | set(lt.index))
    pos_h = pd.Series(holm(jt["p_value"].to_numpy()), index=jt.index) if len(jt) else pd.Series(dtype=float)
    len_h = pd.Series(holm(lt["p_value"].to_numpy()), index=lt.index) if len(lt) else pd.Series(dtype=float)
    g = drift[drift["against"] == "gold"].set_index("annotator_id") if len(drift) else pd.DataFrame()
    pe = drift[drift["against"] == "peers"].set_index("annotator_id") if len(drift) else pd.DataFrame()

    def _cell(t, j):
        return _share(t.loc[j, "share"], t.loc[j, "ci_low"], t.loc[j, "ci_high"], t.loc[j, "n"]) if j in t.index else "–"

    def _drift(t, j):
        if not len(t) or j not in t.index:
            return "–"
        r = t.loc[j]
        if not np.isfinite(r["p_value"]):
            return f"not tested ({r['reason']})"
        base = f"{fmt_pct(r['baseline_acc'])} -> {fmt_pct(r['recent_acc'])}, p={fmt_num(r['p_value'])}"
        return (f"DRIFT from {pd.Timestamp(r['start_week']).date()}: " + base) if r["drift"] else base

    jtab = pd.DataFrame({
        "judge": who,
        "chose first-shown": [_cell(jt, j) for j in who],
        "position p (Holm)": [fmt_num(pos_h.get(j, np.nan)) for j in who],
        "chose longer": [_cell(lt, j) for j in who],
        "length p (Holm)": [fmt_num(len_h.get(j, np.nan)) for j in who],
        "vs gold: first weeks -> last weeks": [_drift(g, j) for j in who],
        "vs peers: first weeks -> last weeks": [_drift(pe, j) for j in who]})
    order = np.argsort([min(pos_h.get(j, 1.0), len_h.get(j, 1.0)) for j in who], kind="stable")
    table(jtab.iloc[order], "preference_judges", "pref_judges", height=rows_height(min(len(who), 30)),
          caption="Shares of non-tie verdicts (95% Wilson interval), exact binomial test against 50% with Holm's "
                  "correction over the judges. Drift: the classification drift test (one-sided two-proportion "
                  "z-test of the last weeks vs the judge's first weeks, CUSUM start week) on agreement with the "
                  "gold verdicts and with the other human judges of the same pairs.")

swap_panel(c, flt, tuple(str(g) for g in counts["group"]))

# ----------------------------------------------------------------------------------------------- clean set
st.subheader("Clean set for DPO")
margin = st.slider("Smallest majority margin |n_a - n_b| / n", 0.0, 1.0, 0.5, 0.05, key="pref_margin")
grades = _rows(c.engine, c.db, f.project_id, flt)[0].get("strength", pd.Series(dtype=float)).dropna()
min_strength = None
if len(grades):  # graded verdicts (e.g. -3..3): a floor on the strength toward the chosen response
    top = float(grades.abs().max())
    floor = st.slider("Smallest mean strength toward the chosen response (0: no floor)", 0.0, max(top, 1.0), 0.0,
                      0.5, key="pref_strength", help=f"{len(grades):,} graded verdicts, strengths "
                      f"{grades.min():+.0f} to {grades.max():+.0f} (negative favours a). Every clean pair's record "
                      "carries its strength, usable as a training weight.")
    min_strength = float(floor) if floor > 0 else None
res, jsonl = _clean(c.engine, c.db, f.project_id, flt, float(margin), min_strength)
cc = res["counts"]
if cc.empty:
    empty_state("No clean set", "No pair has verdicts in these filters.")
else:
    table(pd.DataFrame({"dimension": cc["dimension"], "pairs": cc["units"], "clean": cc["clean"],
                        "share clean": [fmt_pct(v) for v in cc["share"]],
                        "tie or low margin": cc["tie_or_low_margin"], "near-identical": cc["near_identical"],
                        "dimension at chance": ["yes" if v else "" for v in cc["dimension_at_chance"]]}
                       | ({"below strength floor": cc["weak"]} if min_strength is not None else {})),
          "preference_clean_counts", "pref_clean",
          caption="Rule: " + res["rule"] + ". Flagged judges (verdicts left out): "
                  + (", ".join(res["flagged"]) or "none")
                  + "".join(f"; {r['judge']} on {r['dimension']}" for r in res.get("flagged_on", [])) + ".")
    table(res["by_category"], "preference_clean_by_category", "pref_clean_cat",
          caption="Clean pairs per dimension and prompt category.")
    st.download_button(f"Download the clean set ({int(cc['clean'].sum()):,} pairs, JSON Lines)", jsonl,
                       file_name=f"{f.project_id}_clean.jsonl", mime="application/jsonl", key="pref_dl")
    st.caption("The file's first line is {\"_metadata\": ...} (rule, parameters, flagged judges, counts); then one "
               "prompt, chosen, rejected object per pair and dimension. The same file: `labelqa preference export "
               "--project " + f.project_id.replace("`", "") + " --out clean.jsonl`.")
