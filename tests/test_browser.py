"""Real-browser test: ``streamlit run app.py`` on a free port against the demo database, headless Debian
Chromium driven by Playwright; every page must render without an exception and draw at least one chart.
Screenshots go to ``test-artifacts/screenshots/`` (look at them: a chart nobody can read is a bug).

Chromium missing: skipped locally, a failure when ``CI=true`` (scripts/test.sh installs it with apt).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# url path -> a text the page must show once it has drawn (its title)
PAGES = {
    "": "Weekly overview",
    "accuracy": "Stratified accuracy",
    "agreement": "Agreement trends",
    "coverage": "Class coverage",
    "label_vs_model": "Label vs model",
    "annotators": "Annotators",
    "delivery": "Delivery report",
}

pytestmark = pytest.mark.browser


def _need(cond: bool, why: str) -> None:
    if not cond:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: scripts/test.sh must install it)")
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_url, tmp_path_factory):
    _need(os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}")
    _need(importlib.util.find_spec("playwright") is not None, "playwright is not installed")
    port = _free_port()
    env = {**os.environ, "LABELQA_DB_URL": demo_url}
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [streamlit, "run", "app.py", "--server.headless", "true", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _settle(page, timeout: float = 90) -> None:
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    t0 = time.time()
    time.sleep(0.5)
    while time.time() - t0 < timeout and page.locator('[data-testid="stStatusWidget"]').count():
        time.sleep(0.2)


def test_every_page_renders_a_chart_without_exception(server):
    """Open the app, then visit every page through the sidebar navigation (as a user does)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    failures = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            remote: list[str] = []  # nothing may load from the network (favicon, fonts, scripts)
            page.on("request", lambda r: remote.append(r.url) if not r.url.startswith((server, "data:", "blob:"))
                    else None)
            page.goto(server)
            for path, title in PAGES.items():
                if path:
                    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
                _settle(page)
                try:
                    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
                    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=60_000)
                except Exception as exc:  # noqa: BLE001 - collect every page's problem, then fail once
                    failures.append(f"/{path}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                _settle(page)
                if path and f"/{path}" not in page.url:
                    failures.append(f"/{path}: navigation landed on {page.url}")
                page.screenshot(path=str(SHOTS / f"{path or 'overview'}.png"), full_page=True)
                if page.locator('[data-testid="stException"]').count():
                    failures.append(f"/{path}: exception shown: "
                                    f"{page.locator('[data-testid=stException]').first.inner_text()[:300]}")
                if page.locator('[data-testid="stPlotlyChart"] .main-svg').count() == 0:
                    failures.append(f"/{path}: no chart drawn")
        finally:
            browser.close()
    assert not remote, f"requests outside the dashboard's own server: {sorted(set(remote))[:10]}"
    assert not failures, "\n".join(failures)


def test_link_with_filters_reproduces_the_view(server):
    """A shared link (filters + a page choice in the query string) opens on exactly that view, and the
    sidebar navigation keeps the filters."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server}/annotators?project=streetscene&team=team_a&annotator=ann_07")
            _settle(page)
            page.get_by_role("heading", name="ann_07").first.wait_for(timeout=60_000)
            assert "team=team_a" in page.url and "annotator=ann_07" in page.url
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Class coverage").click()
            _settle(page)
            page.get_by_role("heading", name="Class coverage").first.wait_for(timeout=60_000)
            assert "team=team_a" in page.url, page.url
        finally:
            browser.close()
