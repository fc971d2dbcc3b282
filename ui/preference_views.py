"""The shared Annotators page for a preference project (issue 12: "the annotator drill-down shows each judge's
biases and drift"), declared as the preference kind's ``views`` (analytics/kinds/preference/kind.py) and called by
pages/annotators.py after its header. Figures come from :mod:`analytics.kinds.preference.judge_profile`; this
module draws the judges' table (flagged first) and, for ``?annotator=``, a judge's five shares and weekly trend.
Every share with its n and 95% interval; n below the project's small-sample size is said."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.kinds.preference.judge_profile import MEASURES
from ui import data
from ui.charts import forest, plotly_chart, rows_height, weekly
from ui.common import (
    empty_state, filters_empty_state, fmt_ci, fmt_date, fmt_pct, md, small_n, status_mark, table, url_selectbox,
)


@st.cache_data(ttl=data.TTL, show_spinner="Profiling each judge: biases, agreement, drift...")
def _judge_profiles(_engine, db: str, project_id: str, flt: dict, weeks: int, alpha: float, sn: int):
    from analytics.kinds.preference.judge_profile import judge_profiles, judge_weekly
    from analytics.kinds.preference import db as pdb

    rows = pdb.scope_rows_from_db(_engine, project_id, **flt)
    pairs, gold = pdb.pairs_from_db(_engine, project_id), pdb.gold_from_db(_engine, project_id)
    if rows.empty:
        return pd.DataFrame(), {}
    prof = judge_profiles(rows, pairs, gold, baseline_weeks=weeks, alpha_drift=alpha, small_n=sn)
    return prof, {j: judge_weekly(rows, gold, j) for j in prof["annotator_id"]}


def annotators(c) -> None:
    """Each judge's position and length bias, agreement with the others' majority and with gold, ties and drift
    (analytics.kinds.preference.judge_profile); a chosen judge's weekly agreement."""
    f, sn = c.filters, small_n(c)
    prof, weeks = _judge_profiles(c.engine, c.db, f.project_id, {"date_from": f.date_from, "date_to": f.date_to,
                                  "team": f.team}, int(c.thresholds.setting("drift_baseline_weeks", c.project_id)),
                                  float(c.thresholds.drift_alpha(c.project_id)), sn)
    if prof.empty:
        filters_empty_state("No judgments match these filters", "The judges' table lists the judges of the "
                            "filtered pairwise verdicts. Widen the dates or clear the team filter.")
        return

    def share(r, m, pct=True):
        n = int(getattr(r, f"{m}_n"))
        if n == 0:
            return "–"
        v, lo, hi = getattr(r, m), getattr(r, f"{m}_ci_low"), getattr(r, f"{m}_ci_high")
        return f"{fmt_pct(v)} ({fmt_ci(lo, hi, pct=True)}; n={n:,}{', small n' if n < sn else ''})"

    def drift(r, a):
        p = getattr(r, f"drift_{a}_p")
        if p != p:
            return f"not tested ({getattr(r, f'drift_{a}_reason')})"
        base = (f"{fmt_pct(getattr(r, f'drift_{a}_baseline'))} -> {fmt_pct(getattr(r, f'drift_{a}_recent'))}, "
                f"p={p:.2g}")
        return (f"DRIFT from {fmt_date(getattr(r, f'drift_{a}_start'))}: {base}" if getattr(r, f"drift_{a}")
                else base)

    order = prof.assign(_k=[0 if fl else 1 for fl in prof["flags"]]).sort_values(["_k", "annotator_id"]).index
    rows = []
    for r in prof.loc[order].itertuples(index=False):
        rows.append({
            "judge": r.annotator_id, "team": "model judge" if r.model else (r.team or "–"),
            "status": status_mark("red" if r.flags else ("grey" if r.small else "green"),
                                  ", ".join(r.flags) or ("small n: " + ", ".join(r.small) if r.small else "no flag")),
            "verdicts": int(r.verdicts),
            "chose first-shown": share(r, "first"), "position p (Holm)": f"{r.first_p_holm:.2g}",
            "chose longer": share(r, "longer"), "length p (Holm)": f"{r.longer_p_holm:.2g}",
            "length slope": (f"{r.length_slope:+.2f} (95% CI {r.length_slope_ci_low:+.2f} to "
                             f"{r.length_slope_ci_high:+.2f})"
                             if r.length_slope == r.length_slope else "–"),
            "flipped when swapped": share(r, "flip"),
            "with others' majority": share(r, "majority"), "with gold": share(r, "gold"), "ties": share(r, "tie"),
            "drift vs gold": drift(r, "gold"), "drift vs peers": drift(r, "peers")})
    st.subheader("Judges")
    n_flag = int(sum(bool(x) for x in prof["flags"]))
    st.caption(f"{len(prof)} judges of this preference project, flagged ones first ({n_flag} flagged). Shares: 95% "
               "Wilson intervals with n. Position: non-tie verdicts with a position that chose the response shown "
               "first; length: non-tie verdicts on pairs of different lengths that chose the longer one (exact "
               "binomial test against 50%, Holm over the judges; flagged at p < 0.05); length slope: logistic slope "
               "of the choice on log(len_a / len_b). Others' majority: the judge's non-tie verdicts where the other "
               "human judges of the pair and dimension have a non-tie majority. Drift: the last weeks against the "
               f"judge's first weeks (one-sided test, CUSUM start). 'small n': fewer than {sn}.")
    table(pd.DataFrame(rows), "preference_judge_profiles", "pj_table", status_cols=["status"],
          height=rows_height(min(len(rows), 30)))
    st.divider()
    ids = [str(x) for x in prof.loc[order, "annotator_id"]]
    flagged = dict(zip(prof["annotator_id"], prof["flags"]))
    who = url_selectbox("Judge", [None, *ids], "annotator", default=None,
                        format_func=lambda a: "— choose a judge —" if a is None else
                        a + (f"  (flagged: {', '.join(flagged[a])})" if flagged.get(a) else ""))
    if who is None:
        st.info("Choose a judge above (flagged ones first) to see the detail.", icon=":material/person_search:")
        return
    r = next(prof[prof["annotator_id"] == who].itertuples(index=False))
    st.header(who)
    st.caption(f"{'model judge' if r.model else 'team ' + md(r.team or '–')} · {int(r.verdicts):,} verdicts on "
               f"{int(r.pairs):,} pairs" + (f" · flags: {md(', '.join(r.flags))}" if r.flags else ""))
    cols = st.columns(len(MEASURES))
    for col, (m, label) in zip(cols, MEASURES.items()):
        n = int(getattr(r, f"{m}_n"))
        with col.container(border=True):
            st.metric(label, fmt_pct(getattr(r, m)) if n else "–", border=False)
            st.caption(f"{fmt_ci(getattr(r, f'{m}_ci_low'), getattr(r, f'{m}_ci_high'), pct=True)}; n={n:,}"
                       + (f" (small: < {sn})" if 0 < n < sn else "")
                       + (f"; p={getattr(r, f'{m}_p'):.2g}, Holm {getattr(r, f'{m}_p_holm'):.2g}"
                          if m in ("first", "longer") and n else ""))
    wk = weeks.get(who, pd.DataFrame())
    if wk is None or wk.empty:
        empty_state("No weekly series", "The trend needs dated verdicts on gold pairs or on pairs with other judges.")
    else:
        wk = wk.assign(small=wk["n"] < sn, against=wk["against"].map({"gold": "vs gold", "peers": "vs peers"}))
        plotly_chart(weekly(wk, "week", "value", f"{who}: weekly agreement with gold and with peers (hollow: n < {sn})",
                            "agreement", lo="ci_low", hi="ci_high", group="against", n="n", pct=True, small="small"),
                     key="pj_weekly")
        for a in ("gold", "peers"):
            (st.error if getattr(r, f"drift_{a}") else st.caption)(f"Drift vs {a}: {drift(r, a)}.")


@st.cache_data(ttl=data.TTL, show_spinner="Swap consistency: judges who saw a pair in both orders...")
def _swap(_engine, db: str, project_id: str, flt: dict, dims: tuple):
    from analytics.kinds.preference import db as pdb

    return pdb.swap_consistency_from_db(_engine, project_id, by="dimension", groups=list(dims), **flt)


def swap_panel(c, flt: dict, dims: tuple) -> None:
    """The bias panel's swap consistency (analytics.kinds.preference.swap): per dimension and per judge, the flip
    rate among (judge, pair, dimension) units judged in both orders, with n and Wilson intervals."""
    from analytics.kinds.preference.swap import NO_SWAP

    st.markdown("**Swap consistency: the same judge, the same pair, both orders**")
    overall, judges = _swap(c.engine, c.db, c.filters.project_id, flt, dims)
    if overall.empty or int(overall["n"].sum()) == 0:
        empty_state("No pair judged in both orders", f"Swap consistency needs repeats: {NO_SWAP}. Re-show a sample "
                    "of pairs to the same judges with the sides swapped (shown_first b after a) to measure it.")
        return
    sn = small_n(c)

    def rate(r, name, n):
        n = int(n)
        if n == 0:
            return "–"
        v = r.follow_first if name == "follow_first" else getattr(r, f"{name}_rate")
        return (f"{fmt_pct(v)} ({fmt_ci(getattr(r, f'{name}_ci_low'), getattr(r, f'{name}_ci_high'), pct=True)}; "
                f"n={n:,}{', small n' if n < sn else ''})")

    table(pd.DataFrame([{"dimension": r.group, "units seen in both orders": int(r.n),
                         "flipped (a <-> b)": rate(r, "flip", r.n), "changed to/from tie": int(r.tie_changes),
                         "flips that chose the first shown both times": rate(r, "follow_first", r.flips),
                         "p (vs 50%)": "–" if not r.flips else f"{r.follow_first_p:.2g}"}
                        for r in overall.itertuples(index=False)]), "preference_swap", "pref_swap",
          caption="Unit: a judge, a pair and a dimension with verdicts shown with a first and with b first (the "
                  "earliest verdict in each order). Flipped: the verdict reversed between a and b; changes to or "
                  "from tie are counted apart. 95% Wilson intervals; a flip that follows the position chose the "
                  "response shown first both times (exact binomial test against 50%).")
    jd = judges[judges["n"] > 0]
    if len(jd):
        fig = jd.assign(label=[f"{a} · {g}" for a, g in zip(jd["annotator_id"], jd["group"])],
                        small=jd["n"] < sn).sort_values("flip_rate", ascending=False)
        plotly_chart(forest(fig, "label", "flip_rate", "flip_ci_low", "flip_ci_high", "n",
                            f"Flip rate when the sides were swapped, per judge and dimension (hollow: n < {sn})",
                            "share of units whose verdict reversed", small="small", x_range=(0, 1)),
                     key="pref_swap_forest")
        said = [f"{md(r.annotator_id)} on {md(r.group)}: {int(r.flips)} of {int(r.n)} flipped, "
                f"{int(round(r.follow_first * r.flips))} toward the first shown (Holm p={r.follow_first_p_holm:.2g}"
                f"{', flagged' if r.flagged else ''})" for r in jd.itertuples(index=False) if r.flips]
        st.caption("Per judge (Holm over the judges of a dimension): " + ("; ".join(said) or "no flips") + ".")
