"""Weekly overview (home): the QA lead's Monday. KPI tiles for the chosen week with week-over-week deltas and
threshold status, the alert list (each alert links to the page and filters that explain it) and 26-week
trends. Numbers come from analytics; this page only arranges them. The badges and the alerts read one
``analytics.quality.evaluate`` of the chosen week: the gate's checks for the same scope."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from plotly.subplots import make_subplots
import plotly.graph_objects as go

from analytics import kinds
from analytics.activity import week_over_week
from analytics.metrics.results import NoData
from analytics.quality import ScopeRequest, evaluate
from analytics.quality.alerts import alert_link_label, alerts as build_alerts
from ui import data
from ui.charts import BLUE, COLOUR, plotly_chart, style
from ui.common import (
    STATUS, ctx, filter_link, filters_empty_state, fmt_ci, fmt_date, fmt_n, fmt_num, fmt_pct, page_header, small_n,
    md, status_icon, url_selectbox, weeks_with_data, PAGES,
)

@st.cache_data(ttl=600, show_spinner="Judging the project's quality rules...")
def _kind_checks(_engine, db: str, project_id: str, _thresholds, th_key: str) -> pd.DataFrame:
    ev = evaluate(_engine, project_id, None, _thresholds)
    return pd.DataFrame([ch.as_dict() for ch in ev.checks])


_OUTCOME_COLOUR = {"pass": "green", "warn": "amber", "fail": "red"}


def _kind_overview(c, f, task: str) -> None:
    """The overview of a project of another kind: what it is, a link to its page(s), the gate's checks."""
    from ui.common import empty_state, link_params, status_mark, table

    try:
        kind = kinds.get(task)
    except KeyError:
        empty_state("Unknown task type", f"Project {md(f.project_id)} has task_type {md(task)}, which no "
                    "annotation kind declares.")
        return
    st.info(f"**{md(f.project_id)} is a {md(kind.title.lower())} project.** It holds {md(kind.description)}, not "
            "classification annotations, so the weekly tiles and trends of this page do not apply. Its quality "
            "checks (the same as `labelqa gate --project " + f.project_id.replace("`", "") + "`) are below; "
            "its own page explains them.", icon=":material/info:")
    for p in kind.pages:
        st.page_link(p.path, label=f"Open {p.title}", icon=p.icon, query_params=link_params(c))
    if not kind.rules:
        empty_state("No quality rules", f"The {md(kind.title.lower())} kind declares no quality rules yet.")
        return
    try:
        chk = _kind_checks(c.engine, c.db, f.project_id, c.thresholds, c.thresholds.key)
    except (NoData, ValueError) as exc:
        empty_state("Nothing judged", md(str(exc)))
        return
    if chk.empty:
        empty_state("Nothing judged", "The project has no data its rules can judge yet.")
        return
    st.subheader("Quality checks (whole project)")
    table(pd.DataFrame({
        # coloured by the gate's outcome (a warn-severity rule beyond its limit is amber, not red)
        "status": [status_mark(_OUTCOME_COLOUR.get(o, "grey") if j else "grey", o if j else "not judged")
                   for o, j in zip(chk["outcome"], chk["judged"])],
        "rule": chk["rule"], "subject": chk["scope"], "value": [fmt_num(v) for v in chk["value"]],
        "interval": [fmt_ci(lo, hi) for lo, hi in zip(chk["ci_low"], chk["ci_high"])],
        "n": ["" if n is None or n != n else f"{int(n):,}" for n in chk["n"]],
        "threshold": chk["threshold"], "note": chk["note"].fillna("")}), "kind_checks", "ov_kind_checks", status_cols=["status"],
        caption="Each rule judged over the whole project by the kind's rules (labelqa.toml).")


c = ctx()
f = c.filters
page_header("Weekly overview", "This week against last week and against the thresholds in labelqa.toml; "
            "the alerts link to the page that explains them.")

# A project of another annotation kind (preference, spans, boxes...): its kind judges it (KindSpec.rules, the gate's
# checks) and its own page draws it; the weekly tiles below read classification annotations, which it has none of.
_task = kinds.kind_of(c.project.get("task_type"))  # the sidebar's project row (sql/ui_projects.sql)
if _task != kinds.DEFAULT_KIND:
    _kind_overview(c, f, _task)
    st.stop()

# The weeks offered are the weeks of the sidebar's range that hold annotations under the current filters (team,
# schema version, split): a filter whose data end earlier (schema v1) defaults to its own last week.
weeks = weeks_with_data(data.weekly_volume(c.engine, c.db, f))
if not weeks:
    filters_empty_state("No annotations match these filters",
                        "The overview needs at least one week with annotations in the chosen date range, team, schema "
                        "version and split. Widen the filters in the sidebar, or load annotations with `labelqa load`.")
    st.stop()

week = url_selectbox("Week", weeks, "week", default=weeks[-1],
                     format_func=lambda d: f"Week of {d:%a %d %b %Y} (ISO {d.isocalendar()[0]}-W{d.isocalendar()[1]:02d})",
                     help="Weeks start on Monday. The list holds the weeks of the sidebar's date range that have "
                          "annotations under the current filters; the default is the last of them.")
prev = week - dt.timedelta(weeks=1)
wf = f.replace(date_from=week, date_to=week + dt.timedelta(days=6))
pf = f.replace(date_from=prev, date_to=prev + dt.timedelta(days=6))
hist_from = week - dt.timedelta(weeks=25)
hf = f.replace(date_from=hist_from, date_to=week + dt.timedelta(days=6))
sn = small_n(c)

# ------------------------------------------------------------------------------------------- tiles
# The KPI badges and the alerts read one evaluation: analytics.quality.evaluate on the chosen week (Monday to
# Sunday) with the sidebar's team / schema / split / batch filters, the same judging as
# `labelqa gate --since <Monday> --until <Sunday>`. The sparklines are rows of the 26-week series.
trend_acc = data.weekly_accuracy(c.engine, c.db, hf)
trend_alpha = data.agreement(c.engine, c.db, hf, "krippendorff", by="week")
if isinstance(trend_alpha, pd.DataFrame):
    trend_alpha = trend_alpha.assign(week=pd.to_datetime(trend_alpha["week"]))
vol = data.weekly_volume(c.engine, c.db, hf)
qa_all = data.qa_rate(c.engine, c.db, wf)  # overall share of the week's items with gold or a review
th_key = c.thresholds.key  # the rules' content: an edited labelqa.toml is judged afresh


@st.cache_data(ttl=data.TTL, show_spinner="Judging the week against labelqa.toml...")
def _evaluation(_engine, db: str, project_id: str, since: dt.date, until: dt.date, flt, _th, th_key: str,
                findings: bool):
    """``analytics.quality.evaluate`` on one week; None when the week has no annotation for these filters."""
    try:
        return evaluate(_engine, project_id, ScopeRequest.dates(since, until, filters=flt), _th, findings=findings)
    except NoData:
        return None


ev = _evaluation(c.engine, c.db, c.project_id, week, week + dt.timedelta(days=6), f, c.thresholds, th_key, True)
ev_p = _evaluation(c.engine, c.db, c.project_id, prev, prev + dt.timedelta(days=6), f, c.thresholds, th_key, False)


def _check(e, rule: str, scope: str = "overall"):
    return e.get(rule, scope) if e is not None else None


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


def _worst(checks) -> str:
    order = {"red": 3, "amber": 2, "green": 1, "grey": 0}
    return max((ch.status for ch in checks), key=lambda s: order[s]) if checks else "grey"


def _vol(frame: pd.DataFrame, w: dt.date, col: str):
    row = frame.loc[frame["week"] == pd.Timestamp(w), col]
    return int(row.iloc[0]) if len(row) else 0


al_w, al_p = _week_row(trend_alpha, week), _week_row(trend_alpha, prev)
cols = st.columns(5)

acc, acc_p = _check(ev, "accuracy"), _check(ev_p, "accuracy")
pooled = ev.pooled_accuracy if ev is not None else None
a_val = acc.value if acc is not None else None
a_n = (acc.n or 0) if acc is not None else 0
a_def = a_val is not None
pooled_txt = (f"; pooled share (unweighted) {fmt_pct(pooled.value)} "
              f"({fmt_ci(pooled.ci_low, pooled.ci_high, pct=True)})" if pooled is not None and pooled.defined else "")
_tile(cols[0], "Accuracy vs gold", fmt_pct(a_val) if a_def else "–",
      _delta(a_val, acc_p.value if acc_p is not None else None, "proportion", "{:+.1f} pp"),
      acc.status if acc is not None else "grey",
      (f"{acc.note or 'stratified by gold class'}, {fmt_ci(acc.ci_low, acc.ci_high, pct=True)}; "
       f"{fmt_n(a_n)} gold-scored annotations" + ("; small sample" if a_n < sn else "") + pooled_txt) if a_def else
      "No gold-scored annotation this week: accuracy needs annotations on gold items.",
      trend_acc["accuracy"].dropna().tolist() if not trend_acc.empty else None,
      help="Accuracy stratified by gold class (each class weighted by its frequency), the figure the gate and the "
           "weekly report judge, on the interval's lower bound against labelqa.toml. The pooled share of correct "
           "gold-scored annotations stands beside it; the sparkline is the pooled weekly share.")

alpha = _check(ev, "krippendorff_alpha")
k_val = alpha.value if alpha is not None else al_w.get("value")
k_n = (alpha.n or 0) if alpha is not None else int(al_w.get("n_items") or 0)
k_def = k_val is not None and not pd.isna(k_val)
k_lo, k_hi = (alpha.ci_low, alpha.ci_high) if alpha is not None else (al_w.get("ci_low"), al_w.get("ci_high"))
_tile(cols[1], "Agreement α", fmt_num(k_val) if k_def else "–", _delta(k_val, al_p.get("value"), "score", "{:+.3f}"),
      alpha.status if alpha is not None else "grey",
      f"{fmt_ci(k_lo, k_hi)}; {fmt_n(k_n)} items with 2+ labels" if k_def else
      f"Not defined this week ({(alpha.note if alpha is not None else None) or al_w.get('reason') or 'no item with two or more labels'}).",
      trend_alpha["value"].dropna().tolist() if isinstance(trend_alpha, pd.DataFrame) and not trend_alpha.empty else None,
      help="Krippendorff's alpha (nominal) over items labelled by two or more annotators; cluster-bootstrap 95% "
           "interval. 1 = perfect agreement, 0 = chance level.")

qa_w = ev.by_rule("qa_rate") if ev is not None else []
qa_p = ev_p.by_rule("qa_rate") if ev_p is not None else []
qa_rule = c.thresholds.rule("qa_rate", "critical", c.project_id), c.thresholds.rule("qa_rate", "standard", c.project_id)
n_meet = sum(ch.outcome == "pass" for ch in qa_w)
n_meet_p = sum(ch.outcome == "pass" for ch in qa_p) if qa_p else None
below = [ch.scope.split(" ", 1)[-1] for ch in qa_w if ch.outcome != "pass"]
_tile(cols[2], "QA coverage", f"{n_meet}/{len(qa_w)}" if qa_w else "–",
      _delta(n_meet if qa_w else None, n_meet_p, "count", "{:+d} classes"),
      _worst(qa_w),
      f"classes at their minimum QA rate (critical {fmt_pct(qa_rule[0].limit, 0)}, standard "
      f"{fmt_pct(qa_rule[1].limit, 0)}); {fmt_n(sum(ch.n or 0 for ch in qa_w))} items"
      + (f"; overall {fmt_pct(qa_all.value)} of items checked ({fmt_ci(qa_all.ci_low, qa_all.ci_high, pct=True)})"
         if qa_all.defined else "")
      + (f". Below: {', '.join(md(b) for b in below[:4])}" if below else ""),
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
win_w = int(c.thresholds.setting("window_weeks", c.project_id))
habit_w = int(c.thresholds.setting("habit_weeks", c.project_id))
st.caption(f"Every alert is a check of the quality gate for the week of {fmt_date(week)} (Monday to Sunday, with "
           "the sidebar's team, schema and split), the same judging as `labelqa gate --since "
           f"{week.isoformat()} --until {(week + dt.timedelta(days=6)).isoformat()}`, and ends with the dates it "
           f"was judged over: what one week of a rare class cannot reach (gold items, critical QA rate and "
           f"accuracy, systematic confusions) over the {win_w} weeks up to the week's end, automation bias over "
           f"{habit_w} weeks, drift as of the week's end. A link opens the page that explains the alert and sets "
           "only what its label names; the sidebar's date range stays as it is.")
targets = {t: c.thresholds.rule("accuracy", t, c.project_id).limit for t in ("critical", "standard")}
alerts = build_alerts(ev, targets) if ev is not None else []
if ev is None:
    st.info("No annotation this week for these filters: nothing to judge.", icon=":material/info:")
elif not alerts:
    st.success("No alert: every judged number is within its threshold for these filters.", icon=":material/check_circle:")
for k, a in enumerate(alerts):
    with st.container(border=True):
        left, right = st.columns([5, 1.4], vertical_alignment="center")
        left.markdown(f"{status_icon(a.status)} {a.text}")
        # the link keeps the sidebar's filters and sets only the page choice its label names; a link to this page
        # is a button that writes its choice to the address (issue 9 item 11)
        filter_link(a.page, alert_link_label(a, PAGES[a.page][1]), a.params, here="overview", key=f"alert_{k}",
                    where=right, icon=":material/arrow_forward:", c=c)

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
                  annotation_text=f"minimum {fmt_pct(lim, 0)}: red only when the whole interval lies below",
                  annotation_font_size=10,
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
plotly_chart(fig, key="trends")
