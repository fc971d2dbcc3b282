"""Weekly overview (home): the QA lead's Monday. KPI tiles for the chosen week with week-over-week deltas and
threshold status, the alert list (each alert links to the page and filters that explain it) and 26-week
trends. Numbers come from analytics; this page only arranges them."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from plotly.subplots import make_subplots
import plotly.graph_objects as go

from analytics.activity import week_over_week
from analytics.metrics.results import NoData
from ui import data
from ui.charts import BLUE, COLOUR, style
from ui.common import (
    STATUS, ctx, empty_state, fmt_ci, fmt_date, fmt_n, fmt_num, fmt_pct, link_params, page_header, small_n,
    status_icon, url_selectbox, week_start, PAGES,
)

c = ctx()
f = c.filters
page_header("Weekly overview", "This week against last week and against the thresholds in labelqa.toml; "
            "the alerts link to the page that explains them.")

weeks = [dt.date.fromisoformat(w) for w in c.options.get("week", [])]
if f.date_from and f.date_to:
    weeks = [w for w in weeks if week_start(f.date_from) <= w <= f.date_to]
if not weeks or data.weekly_volume(c.engine, c.db, f).empty:
    empty_state("No annotations match these filters",
                "The overview needs at least one week with annotations in the chosen date range, team, schema "
                "version and split. Widen the filters in the sidebar, or load annotations with `labelqa load`.")
    st.stop()

week = url_selectbox("Week", weeks, "week", default=weeks[-1],
                     format_func=lambda d: f"Week of {d:%a %d %b %Y} (ISO {d.isocalendar()[0]}-W{d.isocalendar()[1]:02d})",
                     help="Weeks start on Monday. The list holds the weeks of the sidebar's date range.")
prev = week - dt.timedelta(weeks=1)
wf = f.replace(date_from=week, date_to=week + dt.timedelta(days=6))
pf = f.replace(date_from=prev, date_to=prev + dt.timedelta(days=6))
hist_from = week - dt.timedelta(weeks=25)
hf = f.replace(date_from=hist_from, date_to=week + dt.timedelta(days=6))
sn = small_n(c)

# ------------------------------------------------------------------------------------------- tiles
# This week's and last week's accuracy and alpha are rows of the 26-week series (same numbers as a query
# restricted to the week), so one cached call serves the tiles, the deltas and the sparklines.
trend_acc = data.weekly_accuracy(c.engine, c.db, hf)
trend_alpha = data.agreement(c.engine, c.db, hf, "krippendorff", by="week")
if isinstance(trend_alpha, pd.DataFrame):
    trend_alpha = trend_alpha.assign(week=pd.to_datetime(trend_alpha["week"]))
vol = data.weekly_volume(c.engine, c.db, hf)
qa_rule = c.thresholds.rule("qa_rate", "critical", c.project_id), c.thresholds.rule("qa_rate", "standard", c.project_id)
qa_args = (qa_rule[0].limit, qa_rule[1].limit, qa_rule[0].min_count, qa_rule[1].min_count)
qa_w = data.qa_coverage(c.engine, c.db, wf, *qa_args)
qa_p = data.qa_coverage(c.engine, c.db, pf, *qa_args)
qa_all = data.qa_rate(c.engine, c.db, wf)  # overall share of the week's items with gold or a review


def _week_row(frame, w: dt.date) -> dict:
    """The series' row for week ``w`` (empty dict: no row)."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return {}
    rows = frame.loc[frame["week"] == pd.Timestamp(w)]
    return rows.iloc[0].to_dict() if len(rows) else {}


def _delta(now, before, kind: str, fmt: str) -> str | None:
    """Format ``analytics.activity.week_over_week`` (the change; None when a week's number is missing)."""
    ch = week_over_week(now, before, kind)
    return fmt.format(ch.value) if ch.defined else None


def _tile(col, label: str, value: str, delta: str | None, status: str, caption: str, spark=None, help=None,
          badge_text: str | None = None):
    with col.container(border=True, height="stretch"):
        st.metric(label, value, delta, help=help, chart_data=spark, chart_type="line", border=False)
        words, colour, _, _ = STATUS[status]
        st.badge(badge_text or words, color=colour)
        st.caption(caption)


def _qa_status(qa: pd.DataFrame) -> str:
    if qa.empty:
        return "grey"
    order = {"red": 3, "amber": 2, "green": 1, "grey": 0}
    sts = [c.status("qa_rate", r.qa_rate, r.ci_low, r.ci_high, r.items, r.tier) for r in qa.itertuples()]
    return max(sts, key=lambda s: order[s]) if sts else "grey"


def _vol(frame: pd.DataFrame, w: dt.date, col: str):
    row = frame.loc[frame["week"] == pd.Timestamp(w), col]
    return int(row.iloc[0]) if len(row) else 0


acc_w, acc_p = _week_row(trend_acc, week), _week_row(trend_acc, prev)
al_w, al_p = _week_row(trend_alpha, week), _week_row(trend_alpha, prev)
cols = st.columns(5)

a_val, a_n = acc_w.get("accuracy"), int(acc_w.get("n") or 0)
a_def = a_val is not None and not pd.isna(a_val)
_tile(cols[0], "Accuracy vs gold", fmt_pct(a_val) if a_def else "–", _delta(a_val, acc_p.get("accuracy"), "proportion", "{:+.1f} pp"),
      c.status("accuracy", a_val, acc_w.get("ci_low"), acc_w.get("ci_high"), a_n, "overall"),
      (f"{fmt_ci(acc_w['ci_low'], acc_w['ci_high'], pct=True)}; {fmt_n(a_n)} gold-scored annotations"
       + ("; small sample" if a_n < sn else "")) if a_def else
      "No gold-scored annotation this week: accuracy needs annotations on gold items.",
      trend_acc["accuracy"].dropna().tolist() if not trend_acc.empty else None,
      help="Share of annotations on gold items that equal the gold label (Wilson 95% interval), judged on the "
           "interval's lower bound against labelqa.toml.")

k_val, k_n = al_w.get("value"), int(al_w.get("n_items") or 0)
k_def = k_val is not None and not pd.isna(k_val)
_tile(cols[1], "Agreement α", fmt_num(k_val) if k_def else "–", _delta(k_val, al_p.get("value"), "score", "{:+.3f}"),
      c.status("krippendorff_alpha", k_val, al_w.get("ci_low"), al_w.get("ci_high"), k_n, "overall"),
      f"{fmt_ci(al_w['ci_low'], al_w['ci_high'])}; {fmt_n(k_n)} items with 2+ labels" if k_def else
      f"Not defined this week ({al_w.get('reason') or 'no item with two or more labels'}).",
      trend_alpha["value"].dropna().tolist() if isinstance(trend_alpha, pd.DataFrame) and not trend_alpha.empty else None,
      help="Krippendorff's alpha (nominal) over items labelled by two or more annotators; cluster-bootstrap 95% "
           "interval. 1 = perfect agreement, 0 = chance level.")

n_meet = int(qa_w["meets"].sum()) if not qa_w.empty else 0
n_meet_p = int(qa_p["meets"].sum()) if not qa_p.empty else None
_tile(cols[2], "QA coverage", f"{n_meet}/{len(qa_w)}" if not qa_w.empty else "–",
      _delta(n_meet if not qa_w.empty else None, n_meet_p, "count", "{:+d} classes"),
      _qa_status(qa_w),
      f"classes at their minimum QA rate (critical {fmt_pct(qa_rule[0].limit, 0)}, standard "
      f"{fmt_pct(qa_rule[1].limit, 0)}); {fmt_n(int(qa_w['items'].sum()) if not qa_w.empty else 0)} items"
      + (f"; overall {fmt_pct(qa_all.value)} of items checked ({fmt_ci(qa_all.ci_low, qa_all.ci_high, pct=True)})"
         if qa_all.defined else "")
      + (f". Below: {', '.join(qa_w.loc[~qa_w['meets'].astype(bool), 'label'].astype(str).head(4))}"
         if not qa_w.empty and n_meet < len(qa_w) else ""),
      help="Per class: items checked by a gold label or a review / items of the class (majority label).")

ann_w, ann_p = _vol(vol, week, "annotations"), _vol(vol, prev, "annotations")
_tile(cols[3], "Throughput", f"{ann_w:,}", _delta(ann_w, ann_p or None, "count", "{:+,}"), "grey",
      f"annotations this week, on {_vol(vol, week, 'items'):,} items",
      vol["annotations"].tolist() if not vol.empty else None, badge_text="no target",
      help="Annotations created in the week (all sources).")

act_w, act_p = _vol(vol, week, "annotators"), _vol(vol, prev, "annotators")
_tile(cols[4], "Active annotators", f"{act_w}", _delta(act_w, act_p or None, "count", "{:+d}"), "grey",
      "with at least one annotation this week", vol["annotators"].tolist() if not vol.empty else None,
      badge_text="no target")
st.caption(f"Deltas: change from the week of {fmt_date(prev)}. Sparklines: the 26 weeks up to the chosen week. "
           "A grey badge means no threshold, or too few units to judge.")

# ------------------------------------------------------------------------------------------- alerts
st.subheader("Alerts")
st.caption(f"Annotator drift and automation bias over the 26 weeks up to the chosen week; class and QA alerts "
           f"over the sidebar's date range ({fmt_date(f.date_from)} – {fmt_date(f.date_to)}); label shift for the "
           "chosen week. "
           "Each alert opens the page and filters that explain it.")
alerts: list[tuple[str, str, str, dict]] = []  # (status, text, page key, extra query params)

drift, drift_err = data.annotator_drift(c.engine, c.db, hf,
                                        int(c.thresholds.setting("drift_baseline_weeks", c.project_id)),
                                        c.thresholds.drift_alpha(c.project_id))
if drift_err:
    alerts.append(("grey", f"**Annotator drift not tested**: {drift_err}.", "annotators", {}))
for r in drift[drift["drift"].astype(bool)].itertuples() if not drift.empty else []:
    alerts.append(("red" if c.thresholds.rule("annotator_drift").severity == "fail" else "amber",
                   f"**Annotator drift: {r.annotator_id}**: accuracy vs gold fell from {fmt_pct(r.baseline_acc)} "
                   f"(baseline, n = {int(r.n_baseline)}) to {fmt_pct(r.recent_acc)} (recent, n = {int(r.n_recent)}), "
                   f"starting the week of {fmt_date(r.start_week)}; one-sided p = {r.p_value:.2g}.",
                   "annotators", {"annotator": r.annotator_id, "from": hist_from, "to": week + dt.timedelta(days=6)}))

acc_cls = data.accuracy(c.engine, c.db, f, "gold_label", small_n=sn)
for r in acc_cls.itertuples() if not acc_cls.empty else []:
    tier = c.tier(r.gold_label)
    s = c.status("accuracy", r.accuracy, r.ci_low, r.ci_high, r.n, tier)
    if tier == "critical" and s in ("red", "amber"):
        target = c.thresholds.rule("accuracy", tier, c.project_id).limit
        alerts.append((s, f"**Critical class under target: {r.gold_label}**: accuracy {fmt_pct(r.accuracy)} "
                          f"({fmt_ci(r.ci_low, r.ci_high, pct=True)}, {fmt_n(r.n)}) against a target of "
                          f"{fmt_pct(target, 0)} on the interval's lower bound.",
                       "accuracy", {"focus": r.gold_label}))
n_std_red = sum(1 for r in (acc_cls.itertuples() if not acc_cls.empty else [])
                if c.tier(r.gold_label) != "critical"
                and c.status("accuracy", r.accuracy, r.ci_low, r.ci_high, r.n, "standard") == "red")
if n_std_red:
    alerts.append(("amber", f"**{n_std_red} standard classes below the accuracy target** (lower bound of the "
                            f"interval under {fmt_pct(c.thresholds.rule('accuracy', 'standard', c.project_id).limit, 0)}).",
                   "accuracy", {}))

pcat = data.per_category_agreement(c.engine, c.db, f)
for r in pcat.itertuples() if not pcat.empty else []:
    tier = c.tier(r.label)
    s = c.status("class_agreement", r.specific_agreement, r.ci_low, r.ci_high, r.n_items, tier)
    if s in ("red", "amber"):
        alerts.append((s, f"**Class agreement under target: {r.label}**: specific agreement "
                          f"{fmt_pct(r.specific_agreement)} ({fmt_ci(r.ci_low, r.ci_high, pct=True)}, "
                          f"{fmt_n(r.n_items)} items) below {fmt_pct(c.thresholds.rule('class_agreement', tier, c.project_id).limit, 0)}.",
                       "agreement", {"focus": r.label}))

qa_rng = data.qa_coverage(c.engine, c.db, f, *qa_args)
for r in qa_rng[~qa_rng["meets"].astype(bool)].itertuples() if not qa_rng.empty else []:
    s = c.status("qa_rate", r.qa_rate, r.ci_low, r.ci_high, r.items, r.tier)
    alerts.append((s if s != "green" else "amber",
                   f"**QA rate under minimum: {r.label}** ({r.tier}): {int(r.items_qa):,} of {int(r.items):,} items "
                   f"checked ({fmt_pct(r.qa_rate)}), minimum {fmt_pct(r.required_rate)}.",
                   "coverage", {"focus": r.label}))

shift = data.label_shift(c.engine, c.db, hf)
if not shift.empty:
    row = shift.loc[shift["week"] == pd.Timestamp(week)]
    for r in row.itertuples():
        s = c.status("label_shift", r.psi, n=int(r.n))
        if s in ("red", "amber"):
            alerts.append((s, f"**Label distribution shift**: PSI {fmt_num(r.psi)} against the week of "
                              f"{fmt_date(r.reference_week)} (χ² p = {r.p_value:.2g}, Cramér's V {fmt_num(r.cramers_v)}, "
                              f"{fmt_n(r.n)} annotations).",
                           "coverage", {"from": r.reference_week, "to": week + dt.timedelta(days=6)}))

try:
    pre = data.prelabel(c.engine, c.db, hf)  # a persistent habit: judged on the 26 weeks, like drift
except NoData as e:  # no pre-labels shown to annotators: nothing to test, say so like "drift not tested"
    pre = pd.DataFrame(columns=["automation_bias"])
    alerts.append(("grey", f"**Automation bias not tested**: {e.reason}.", "label_vs_model", {}))
for r in pre[pre["automation_bias"].astype(bool)].itertuples():
    alerts.append(("red", f"**Automation bias: {r.annotator_id}** accepts {fmt_pct(r.wrong_acceptance_rate)} of wrong "
                          f"pre-labels ({int(r.n_wrong_accepted)} of {int(r.n_wrong_suggestions)}; peers "
                          f"{fmt_pct(r.peer_rate)}; Bonferroni p = {r.p_adjusted:.2g}).",
                   "annotators", {"annotator": r.annotator_id, "from": hist_from, "to": week + dt.timedelta(days=6)}))

order = {"red": 0, "amber": 1, "grey": 2, "green": 3}
alerts.sort(key=lambda a: order.get(a[0], 9))
if not alerts:
    st.success("No alert: every judged number is within its threshold for these filters.", icon=":material/check_circle:")
for status, text, page, extra in alerts:
    with st.container(border=True):
        left, right = st.columns([5, 1.4], vertical_alignment="center")
        left.markdown(f"{status_icon(status)} {text}")
        right.page_link(PAGES[page][0], label=f"Open {PAGES[page][1]}", icon=":material/arrow_forward:",
                        query_params=link_params(c, **extra))

# ------------------------------------------------------------------------------------------- trends
st.subheader("26-week trends")
fig = make_subplots(rows=2, cols=2, shared_xaxes=False, vertical_spacing=0.18, horizontal_spacing=0.08,
                    subplot_titles=("Accuracy vs gold (%), 95% CI band", "Krippendorff's α, 95% CI band",
                                    "Annotations per week", "Active annotators per week"))


def _band(df, y, lo, hi, row, col, mult, name, colour):
    d = df.dropna(subset=[y]).sort_values("week")
    if d.empty:
        return
    fig.add_trace(go.Scatter(x=list(d["week"]) + list(d["week"])[::-1], y=list(d[hi] * mult) + list(d[lo] * mult)[::-1],
                             fill="toself", fillcolor="rgba(47,102,144,0.15)", line=dict(width=0), hoverinfo="skip",
                             showlegend=False), row=row, col=col)
    fig.add_trace(go.Scatter(x=d["week"], y=d[y] * mult, mode="lines+markers", name=name, line=dict(color=colour),
                             customdata=d[["n"]] if "n" in d else None,
                             hovertemplate="%{x|%Y-%m-%d}: %{y:.3f}<br>n = %{customdata[0]:,}<extra></extra>",
                             showlegend=False), row=row, col=col)


if not trend_acc.empty:
    _band(trend_acc, "accuracy", "ci_low", "ci_high", 1, 1, 100, "accuracy", BLUE)
    lim = c.thresholds.rule("accuracy", "overall", c.project_id).limit
    fig.add_hline(y=lim * 100, line=dict(color=COLOUR["red"], dash="dash"), row=1, col=1,
                  annotation_text=f"target (lower bound) {fmt_pct(lim, 0)}", annotation_font_size=10,
                  annotation_position="bottom left")
if isinstance(trend_alpha, pd.DataFrame) and not trend_alpha.empty:
    ta = trend_alpha.rename(columns={"n_items": "n"})
    _band(ta, "value", "ci_low", "ci_high", 1, 2, 1, "alpha", BLUE)
    r = c.thresholds.rule("krippendorff_alpha", "overall", c.project_id)
    fig.add_hline(y=r.limit, line=dict(color=COLOUR["red"], dash="dash"), row=1, col=2,
                  annotation_text=f"minimum {r.limit:g}", annotation_font_size=10,
                  annotation_position="bottom left")
    if r.warn is not None:
        fig.add_hline(y=r.warn, line=dict(color=COLOUR["amber"], dash="dot"), row=1, col=2,
                      annotation_text=f"target {r.warn:g}", annotation_font_size=10,
                      annotation_position="top left")
if not vol.empty:
    fig.add_trace(go.Bar(x=vol["week"], y=vol["annotations"], marker_color=BLUE, showlegend=False,
                         hovertemplate="%{x|%Y-%m-%d}: %{y:,} annotations<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=vol["week"], y=vol["annotators"], mode="lines+markers", marker_color=BLUE,
                             showlegend=False, hovertemplate="%{x|%Y-%m-%d}: %{y} annotators<extra></extra>"),
                  row=2, col=2)
for r_, c_ in ((1, 1), (1, 2), (2, 1), (2, 2)):
    fig.add_vline(x=pd.Timestamp(week).timestamp() * 1000, line=dict(color="#888", dash="dot"), row=r_, col=c_)
style(fig, f"The 26 weeks up to the week of {fmt_date(week)}", height=620, legend=False)
fig.update_yaxes(title_text="accuracy (%)", ticksuffix="%", row=1, col=1)
fig.update_yaxes(title_text="alpha (−1 to 1)", row=1, col=2)
fig.update_yaxes(title_text="annotations", rangemode="tozero", row=2, col=1)
fig.update_yaxes(title_text="annotators", rangemode="tozero", tickformat="d", row=2, col=2)
fig.update_xaxes(title_text="week (Monday)", tickformat="%d %b", row=2)
fig.update_xaxes(tickformat="%d %b")
st.plotly_chart(fig, key="trends")
