"""Self-contained HTML reports: the numbers are the analytics functions' numbers, nothing is loaded over the
network, annotators appear only as pseudonyms and nothing of another project or client leaks in."""
from __future__ import annotations

import datetime as dt
import os
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from analytics import accuracy as acc
from analytics import agreement as ag
from analytics.filters import Filters
from analytics.gate import evaluate_gate
from analytics.report import (
    delivery_report,
    parse_iso_week,
    pseudonyms,
    render_delivery_html,
    render_weekly_html,
    weekly_report,
)
from analytics.thresholds import Thresholds

CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class _Resources(HTMLParser):
    """Collects every attribute that can make a browser fetch something, and inline style text."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action", "formaction", "background") and v:
                self.urls.append((tag, k, v))
            if k == "style" and v:
                self.styles.append(v)
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def _assert_self_contained(html: str, n_figures: int, svg: bool = False) -> None:
    """``svg``: the delivery report draws static SVG charts (no script at all) instead of plotly."""
    p = _Resources()
    p.feed(html)
    remote = [u for u in p.urls if re.match(r"\s*(https?:)?//", u[2], re.I)]
    assert remote == [], remote
    assert "link" not in p.tags  # no external stylesheet, font or icon
    assert not any(re.search(r"url\(|@import", s, re.I) for s in p.styles)
    assert not re.search(r"<script[^>]+\bsrc\s*=", html, re.I)
    if svg:
        assert "<script" not in html and html.count('<svg xmlns="http://www.w3.org/2000/svg"') == n_figures
        return
    # plotly.js inlined exactly once; one newPlot call per figure
    assert html.count('<script id="plotly-js"') == (1 if n_figures else 0)
    assert len(re.findall(r"Plotly\.newPlot\(", _without_library(html))) == n_figures


def _without_library(html: str) -> str:
    """The document minus the inlined plotly.js bundle (third-party code, not report content)."""
    return re.sub(r'<script id="plotly-js"[^>]*>.*?</script>', "", html, flags=re.S)


def _leaks(html: str, words) -> list[str]:
    body = _without_library(html)
    return [w for w in words if w and re.search(r"(?<![\w-])" + re.escape(str(w)) + r"(?![\w-])", body, re.I)]


# ------------------------------------------------------------------------------------------------- tiny
@pytest.fixture(scope="module")
def tiny_delivery(tiny_db):
    return delivery_report(tiny_db[1], "p1", "p1-b1", thresholds=Thresholds({}))


def test_delivery_report_numbers_on_tiny(tiny_db, tiny_delivery):
    _, eng, rows = tiny_db
    r = tiny_delivery
    b1 = [a for a in rows["annotations"] if a["batch_id"] == "p1-b1"]
    assert (r.n_annotations, r.n_items, r.n_annotators) == (len(b1), 100, 4)
    assert (r.client, r.project_name, r.batch_name) == ("ClientOne", "Tiny streets", "first batch")
    f = Filters("p1", batch_id="p1-b1")
    strat = acc.stratified_accuracy_from_db(eng, f)
    assert r.accuracy.value == pytest.approx(strat.stratified.value)
    assert r.agreement.value == pytest.approx(ag.agreement_from_db(eng, f).value)
    c = r.classes.set_index("label").loc["c"]
    assert (c["accuracy"], c["n_gold"], c["tier"]) == (0.8, 40, "critical")
    assert r.classes.set_index("label").loc["a", "n_gold"] == 123
    # every item of b1 has gold: QA checked all of them
    assert r.items_checked == 100 and r.qa_rate == 1.0
    # pseudonyms by volume: x1 has 53 annotations (incl. 3 'zzz'), x2..x4 50 each (ties by id)
    assert r.annotators["pseudonym"].tolist() == ["Annotator A", "Annotator B", "Annotator C", "Annotator D"]
    assert r.annotators["annotations"].tolist() == [53, 50, 50, 50]


def test_delivery_html_on_tiny(tiny_delivery):
    html = render_delivery_html(tiny_delivery)
    _assert_self_contained(html, n_figures=2, svg=True)
    r = tiny_delivery
    body = _without_library(html)
    a = r.accuracy
    headline = (f"Of the {r.n_annotations:,} labels delivered in batch p1-b1, we estimate <b>{100 * a.value:.1f}%</b> "
                f"({100 * a.ci_low:.1f}%–{100 * a.ci_high:.1f}%) are correct")
    assert headline in body
    assert "80.0%" in body and "critical" in body  # class c's accuracy
    assert _leaks(html, ["x1", "x2", "x3", "x4", "Xavier", "Number1", "p2", "p2-b1", "ClientTwo", "Other shelf",
                         "zed_1", "zed_2", "Yolanda"]) == []


def test_weekly_report_on_tiny(tiny_db):
    _, eng, rows = tiny_db
    th = Thresholds({})
    w = weekly_report(eng, "p1", "2026-W02", thresholds=th)  # the week of 2026-01-05 (batch b1)
    assert (w.week_start, w.week_end) == (dt.date(2026, 1, 5), dt.date(2026, 1, 11))
    # p2's annotations of the same week are not counted
    assert w.n_annotations == sum(1 for a in rows["annotations"] if a["batch_id"] == "p1-b1")
    gate = evaluate_gate(eng, "p1", since=dt.date(2026, 1, 5), until=dt.date(2026, 1, 11), thresholds=th)
    assert [(c.rule, c.scope, c.outcome) for c in w.gate.checks] == [(c.rule, c.scope, c.outcome) for c in gate.checks]
    assert w.gate.outcome == "fail"
    assert w.trend["week"].tolist() == [pd.Timestamp("2026-01-05")]
    html = render_weekly_html(w)
    _assert_self_contained(html, n_figures=2)
    body = _without_library(html)
    assert "The quality gate <b>FAILS</b>" in body and "class c" in body
    assert _leaks(html, ["p2-b1", "ClientTwo", "Other shelf", "zed_1", "zed_2", "Yolanda"]) == []


def test_parse_iso_week():
    # ISO 8601: week 1 of 2026 starts Monday 2025-12-29 (the week with the year's first Thursday)
    assert parse_iso_week("2026-W01") == (dt.date(2025, 12, 29), dt.date(2026, 1, 4))
    assert parse_iso_week("2026-W35") == (dt.date(2026, 8, 24), dt.date(2026, 8, 30))
    assert parse_iso_week("2020W53") == (dt.date(2020, 12, 28), dt.date(2021, 1, 3))
    for bad in ("2026-35", "W35", "2026-W54", "2026-W00"):
        with pytest.raises(ValueError):
            parse_iso_week(bad)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=40), st.randoms(use_true_random=False))
def test_pseudonyms_ordered_by_first_appearance_and_stable(days, rnd):
    t0 = pd.Timestamp("2026-01-05")
    df = pd.DataFrame({"annotator_id": [f"id{i:02d}" for i in range(len(days))],
                       "first_at": [t0 + pd.Timedelta(days=d) for d in days]})
    names = pseudonyms(df)
    shuffled = df.sample(frac=1, random_state=rnd.randint(0, 10_000))
    assert pseudonyms(shuffled) == names  # does not depend on row order
    assert len(set(names.values())) == len(df)  # a bijection
    order = sorted(df.itertuples(index=False), key=lambda r: (r.first_at, r.annotator_id))
    letters = [names[r.annotator_id].removeprefix("Annotator ") for r in order]
    assert letters[:3] == ["A", "B", "C"][: len(letters)]
    # a newcomer after everyone else gets the next letter and nobody's letter moves
    later = pd.concat([df, pd.DataFrame({"annotator_id": ["zz_new"], "first_at": [t0 + pd.Timedelta(days=99)]})])
    grown = pseudonyms(later)
    assert {k: grown[k] for k in names} == names


def test_delivery_pseudonyms_mean_one_person_in_every_batch(demo_engine):
    """Issue 10 item 12: "Annotator C" was one person in b12 and another in b13."""
    from analytics.report import delivery_report, project_pseudonyms

    names = project_pseudonyms(demo_engine, "streetscene")
    seen: dict[str, set[str]] = {}
    for batch in ("streetscene-b12", "streetscene-b13"):
        rep = delivery_report(demo_engine, "streetscene", batch)
        assert set(rep.annotators["pseudonym"]) <= set(names.values())
        for p in rep.annotators["pseudonym"]:
            seen.setdefault(p, set()).add(batch)
    assert any(len(b) == 2 for b in seen.values())  # people in both batches keep one name
    assert len(set(names.values())) == len(names)


# ------------------------------------------------------------------------------------------------- demo
@pytest.fixture(scope="module")
def demo_delivery(demo_engine):
    return delivery_report(demo_engine, "streetscene", "streetscene-b07", thresholds=Thresholds({}))


@pytest.fixture(scope="module")
def demo_delivery_html(demo_delivery):
    return render_delivery_html(demo_delivery)


def test_demo_delivery_numbers_match_the_analytics(demo_engine, demo_delivery, demo_delivery_html):
    from analytics.demo import CRITICAL_CLASS

    f = Filters("streetscene", batch_id="streetscene-b07")
    r = demo_delivery
    strat = acc.stratified_accuracy_from_db(demo_engine, f)
    assert r.accuracy.value == pytest.approx(strat.stratified.value)
    per = acc.accuracy_from_db(demo_engine, f, by="gold_label").set_index("gold_label")
    got = r.classes.set_index("label")
    checked = per.index[per["n"] > 0]
    assert (got.loc[checked, "n_gold"] == per.loc[checked, "n"]).all()
    assert got.loc[checked, "accuracy"].to_numpy() == pytest.approx(per.loc[checked, "accuracy"].to_numpy())
    with demo_engine.connect() as c:
        n = c.execute(text("SELECT COUNT(*) FROM annotations WHERE batch_id = 'streetscene-b07'")).scalar_one()
    assert r.n_annotations == n
    body = _without_library(demo_delivery_html)
    assert f"{n:,} labels delivered in batch streetscene-b07" in body
    assert f"<b>{100 * r.accuracy.value:.1f}%</b>" in body
    crit = got.loc[CRITICAL_CLASS]
    assert f"{int(crit['n_gold']):,}" in body and CRITICAL_CLASS in body
    assert r.annotators["annotations"].sum() == n


def test_demo_delivery_is_self_contained_and_leaks_nothing(demo_engine, demo_delivery, demo_delivery_html):
    _assert_self_contained(demo_delivery_html, n_figures=2, svg=True)
    with demo_engine.connect() as c:
        people = c.execute(text("SELECT annotator_id, display_name FROM annotators")).fetchall()
        others = c.execute(text("SELECT project_id, name, client FROM projects WHERE project_id <> 'streetscene'"
                                )).fetchall()
        other_batches = [r[0] for r in c.execute(text(
            "SELECT batch_id FROM batches WHERE project_id <> 'streetscene'")).fetchall()]
    # retail, docs and the kinds' demo projects (roadcam, newswire, assistant_prefs): none of their words may leak
    assert len(people) >= 40 and {'retail', 'docs', 'roadcam', 'newswire'} <= {r[0] for r in others}
    words = [a for a, _ in people] + [d for _, d in people] + [w for row in others for w in row] + other_batches
    assert _leaks(demo_delivery_html, words) == []
    # the client's copy aggregates annotators (issue 9 item 9); the vendor's copy names them by pseudonym only
    assert "Annotator A" not in demo_delivery_html
    vendor = render_delivery_html(demo_delivery, annotators="pseudonyms")
    assert _leaks(vendor, words) == [] and "Annotator A" in vendor


def test_demo_weekly_report_flags_the_drifting_annotator(demo_engine):
    from analytics.demo import DRIFT_WEEK, week_start

    monday = week_start(DRIFT_WEEK + 6)
    iso = f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
    w = weekly_report(demo_engine, "streetscene", iso, thresholds=Thresholds({}))
    flagged = w.annotators.set_index("annotator_id")["drift"]
    assert bool(flagged["ann_07"]) and flagged.sum() <= 2
    html = render_weekly_html(w)
    _assert_self_contained(html, n_figures=2)
    assert re.search(r"ann_07</td>.*?drift", _without_library(html), re.S)


@pytest.mark.browser
def test_delivery_html_opens_offline_in_chromium(demo_delivery_html, tmp_path):
    """Open the file in headless Chromium: every request stays on file:/data:, and the (SVG) charts are drawn."""
    for cond, why in ((os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}"),):
        if not cond:
            pytest.fail(why) if IN_CI else pytest.skip(why)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright missing") if IN_CI else pytest.skip("playwright missing")
    path = tmp_path / "delivery.html"
    path.write_text(demo_delivery_html, encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.on("request", lambda req: requests.append(req.url))
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(path.as_uri())
            page.wait_for_selector("svg.chart", timeout=30_000)
            assert page.locator("svg.chart").count() == 2
            assert errors == []
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
