"""Issue 11's benchmark: every dashboard page (server-side and in Chromium, cold and warm), the CLI, ingest, the
peer cases of ``benchmarks/run.py`` and Spark local, at each demo size, written to ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/results.py                              # = make bench: 1M and 10M, < 30 min here
    .venv/bin/python benchmarks/results.py --sizes 1000000 10000000 --db 10000000=/tmp/h11b/demo10m.duckdb
    .venv/bin/python benchmarks/results.py --quick --out /tmp/r.md      # tiny size, seconds (tests/test_benchmarks.py)

What each section measures (wall clock, ``time.perf_counter``; every run reported, none dropped):

* **Demo build**: ``labelqa demo --annotations N`` per size, unless ``--db N=PATH`` reuses a database (then the
  time of the build that made it is read from ``PATH.build.json`` when present).
* **Pages, server-side**: in a fresh Python process per size, each page through ``streamlit.testing`` AppTest on
  its default filters (deep link ``?project=...``). *Cold*: ``st.cache_data.clear()`` and
  ``st.cache_resource.clear()`` right before the page's first run (the engine, thresholds and every loader
  recomputed). *Warm*: the same page run again (caches filled). Every ``analytics.db.query_df`` call of the cold
  runs is timed (a wrapper installed by this script; ``analytics/`` is unchanged). *Filter change*: the page with
  other query-string filters while the caches hold the default view (one filter; and a combination of team,
  split, schema and a 4-week range). Peak RSS: the process's ``VmHWM``.
* **Pages, Chromium end to end**: a fresh ``streamlit run app.py`` server per page; headless Chromium navigates to
  the page; the time is navigation start to the moment the script has finished and every plotly chart on the page
  has drawn its SVG (checked every 0.1 s, stable for 0.3 s). *Warm*: a reload (a new session; the server's caches
  are warm). Peak RSS: the server process's ``VmHWM``; also one server visiting every page in order (a session,
  caches accumulating).
* **CLI**: ``labelqa gate --project streetscene --format json`` and ``labelqa report weekly`` (the project's last
  week) as subprocesses (interpreter start-up included).
* **Ingest**: ``benchmarks/ingest.py`` when it exists (its own output is kept verbatim), else ``labelqa load`` of
  the annotations of the smallest demo exported as Parquet and as CSV, into a copy of that demo whose annotations
  were deleted (every validation on).
* **Peers**: ``benchmarks/run.py`` (its cases and tables, ratio = time / fastest peer at equal answers), in the
  same run.
* **Spark local**: a local[2] SparkSession over a Parquet export of the demo: ``evaluate_gate`` (what
  ``labelqa gate`` runs) on Spark and on DuckDB with identical JSON required, and the overview page's recorded
  query calls (``benchmarks/overview_queries.py``) on both engines, results compared.
* **Profile** (largest size): the slowest page's queries, ``EXPLAIN ANALYZE`` of the three slowest queries, and
  micro-measurements of the issue's paths (denormalised ``project_id``/``split``, integer keys, a summary table).

Any answer that differs (peer vs ours, Spark vs DuckDB) is written as ANSWER DIFFERS and the run exits 1.
The machine is shared: the load average is written at the start and end of every section.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP = ROOT / "app.py"
BIN = Path(sys.executable).parent
PROJECT = "streetscene"
# Which project each page opens on (the kind pages need a project of their kind; the demo has one each).
PAGE_PROJECT = {"overview": PROJECT, "accuracy": PROJECT, "agreement": PROJECT, "coverage": PROJECT,
                "label_vs_model": PROJECT, "annotators": PROJECT, "delivery": PROJECT, "label_errors": PROJECT,
                "preference": "assistant_prefs", "regions": "roadcam"}
FILTER_PAGES = ("overview", "accuracy", "agreement", "coverage", "label_vs_model", "annotators")
PACKAGES = ("streamlit", "duckdb", "duckdb-engine", "sqlalchemy", "pandas", "numpy", "pyarrow", "plotly",
            "sqlglot", "pyspark", "playwright", "krippendorff", "statsmodels", "scikit-learn", "nltk", "crowd-kit")
TARGETS = {  # issue 11, "Targets" (stated for 10M annotations on this machine)
    "server_cold": 2.0, "server_warm": 0.5, "browser_cold": 3.0, "browser_warm": 0.5, "filter_change": 3.0,
    "filter_worst": 5.0, "rss_mib": 1536.0, "gate": 5.0, "report": 10.0, "ingest_parquet": 1_000_000,
    "ingest_csv": 500_000, "demo_10m": 30.0}
TARGET_SIZE = 10_000_000


def log(msg: str) -> None:
    print(f"[{dt.datetime.now(dt.timezone.utc):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def vmhwm_mib(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _version(p: str) -> str:
    try:
        return metadata.version(p)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cmd_out(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except Exception:  # noqa: BLE001 - description only
        return "not found"


def machine() -> dict[str, Any]:
    mem = {}
    for line in Path("/proc/meminfo").read_text().splitlines()[:3]:
        k, v = line.split(":")
        mem[k] = int(v.split()[0]) / 1024 / 1024
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem.get("MemTotal", 0), 1),
            "ram_available_gib": round(mem.get("MemAvailable", 0), 1), "python": platform.python_version(),
            "platform": platform.platform(), "versions": {p: _version(p) for p in PACKAGES},
            "chromium": _cmd_out(["/usr/bin/chromium", "--version"]), "java": _cmd_out(["java", "-version"])}


def verdict(value: float | None, target: float, higher_is_better: bool = False) -> str:
    if value is None or value != value:
        return "not measured"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else "**not met**"


# ================================================================================= query timing (a wrapper)

class QueryRecorder:
    """Wraps ``analytics.db.query_df`` (and every module's imported reference to it) to time each call."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.page: str | None = None
        self.orig = None

    def install(self) -> None:
        import importlib
        import pkgutil

        import analytics
        import analytics.db as db

        for m in pkgutil.walk_packages(analytics.__path__, "analytics."):
            try:
                importlib.import_module(m.name)
            except Exception:  # noqa: BLE001 - optional modules (spark) may not import
                pass
        for name in ("ui.data", "ui.common"):
            importlib.import_module(name)
        self.orig = orig = db.query_df
        rec = self

        def timed(con, name, **params):
            t0 = time.perf_counter()
            out = orig(con, name, **params)
            if rec.page is not None:
                rec.calls.append({"page": rec.page, "query": name, "s": time.perf_counter() - t0, "rows": len(out),
                                  "params": {k: (list(v) if isinstance(v, (tuple, set, frozenset)) else v)
                                             for k, v in params.items()}})
            return out

        for mod in list(sys.modules.values()):
            if getattr(mod, "__name__", "").startswith(("analytics", "ui")) and \
                    getattr(mod, "query_df", None) is orig:
                mod.query_df = timed
        db.query_df = timed


# ================================================================================= worker: pages in AppTest

def _filter_variants(url: str) -> dict[str, dict[str, str]]:
    """One filter (a team) and the combination (team, split, schema, last 4 weeks) of the main project."""
    from sqlalchemy import text

    from analytics.db import make_engine

    eng = make_engine(url, read_only=True)
    try:
        with eng.connect() as c:
            team = c.execute(text("SELECT an.team FROM annotations a JOIN items i ON i.item_id = a.item_id "
                                  "JOIN annotators an ON an.annotator_id = a.annotator_id WHERE i.project_id = :p "
                                  "AND an.team IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"),
                             {"p": PROJECT}).scalar()
            split = c.execute(text("SELECT split FROM items WHERE project_id = :p AND split IS NOT NULL "
                                   "GROUP BY 1 ORDER BY COUNT(*) LIMIT 1"), {"p": PROJECT}).scalar()
            schema, last = c.execute(text(
                "SELECT MAX(a.schema_version), MAX(a.created_at) FROM annotations a JOIN items i "
                "ON i.item_id = a.item_id WHERE i.project_id = :p"), {"p": PROJECT}).one()
    finally:
        eng.dispose()
    last = last.date() if hasattr(last, "date") else dt.date.fromisoformat(str(last)[:10])
    first = last - dt.timedelta(days=last.weekday()) - dt.timedelta(weeks=3)
    return {"one filter (team)": {"team": str(team)},
            "combination (team, split, schema, 4 weeks)": {"team": str(team), "split": str(split),
                                                           "schema": str(schema), "from": first.isoformat(),
                                                           "to": last.isoformat()}}


def worker_apptest(url: str, out: Path, pages: list[str], filters: bool, profile: bool, budget: float) -> int:
    os.environ["LABELQA_DB_URL"] = url  # LABELQA_THRESHOLDS: the run's snapshot (set by main)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    rec = QueryRecorder()
    rec.install()
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui.context import PAGES

    def new_app(page: str, params: dict[str, str]) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=1800)
        for k, v in params.items():
            at.query_params[k] = v
        if page != "overview":
            at.switch_page(PAGES[page][0])
        return at

    def problems(at: AppTest) -> list[str]:
        return [f"exception: {e.message[:200]}" for e in at.exception] + \
               [f"error: {e.value[:200]}" for e in at.error]

    rows: list[dict] = []
    frows: list[dict] = []
    result = {"pages": rows, "filters": frows, "queries": rec.calls}
    variants = _filter_variants(url) if filters else {}
    t_start = time.perf_counter()

    def save() -> None:  # after every step: a worker stopped at the run's deadline leaves what it measured
        result["rss_hwm_mib"] = vmhwm_mib()
        out.write_text(json.dumps(result, indent=1, default=str))

    for page in pages:
        st.cache_data.clear()
        st.cache_resource.clear()
        gc.collect()
        at = new_app(page, {"project": PAGE_PROJECT[page]})
        rec.page = page
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        rec.page = None
        t0 = time.perf_counter()
        at.run()
        warm = time.perf_counter() - t0
        row = {"page": page, "cold_s": cold, "warm_s": warm, "charts": len(at.get("plotly_chart")),
               "problems": problems(at), "rss_hwm_mib": vmhwm_mib(),
               "sql_s": sum(c["s"] for c in rec.calls if c["page"] == page),
               "n_queries": sum(1 for c in rec.calls if c["page"] == page)}
        log(f"  server {page}: cold {cold:.2f} s ({row['n_queries']} queries, {row['sql_s']:.2f} s SQL), "
            f"warm {warm:.2f} s")
        rows.append(row)
        del at
        gc.collect()
        # filter changes right after: the default view's caches are warm, the new filters' queries are not
        if page in FILTER_PAGES and time.perf_counter() - t_start < budget:
            for what, params in variants.items():
                at = new_app(page, {"project": PROJECT, **params})
                t0 = time.perf_counter()
                at.run()
                secs = time.perf_counter() - t0
                frows.append({"page": page, "variant": what, "params": params, "s": secs,
                              "problems": problems(at)})
                log(f"  server {page} {what}: {secs:.2f} s")
                del at
        elif page in FILTER_PAGES and variants:
            result["filters_stopped"] = f"filter changes not tried from page {page} on (worker budget {budget:.0f} s)"
        save()
    if profile:
        result["explain"] = explain_slowest(url, rec.calls, 3)
        save()
        result["micro"] = micro_paths(url)
    save()
    return 0


def explain_slowest(url: str, calls: list[dict], k: int) -> list[dict]:
    """EXPLAIN ANALYZE of the ``k`` slowest distinct (query, params) calls, on a read-only connection."""
    from sqlalchemy import bindparam, text

    from analytics.db import make_engine, sql_text

    seen, picks = set(), []
    for c in sorted(calls, key=lambda c: -c["s"]):
        key = (c["query"], json.dumps(c["params"], sort_keys=True, default=str))
        if key in seen:
            continue
        seen.add(key)
        picks.append(c)
        if len(picks) == k:
            break
    eng = make_engine(url, read_only=True)
    out = []
    try:
        with eng.connect() as con:
            for c in picks:
                params = c["params"]
                stmt = text("EXPLAIN ANALYZE\n" + sql_text(c["query"]))
                lists = [n for n, v in params.items() if isinstance(v, list)]
                if lists:
                    stmt = stmt.bindparams(*[bindparam(n, expanding=True) for n in lists])
                t0 = time.perf_counter()
                rows = con.execute(stmt, params).fetchall()
                secs = time.perf_counter() - t0
                plan = "\n".join(str(r[-1]) for r in rows)
                out.append({"query": c["query"], "page": c["page"], "s_in_page": c["s"], "s_explain": secs,
                            "params": params, "plan": plan, "top": _top_operators(plan)})
    finally:
        eng.dispose()
    return out


def _top_operators(plan: str, n: int = 5) -> list[tuple[str, float]]:
    """The operators of a DuckDB EXPLAIN ANALYZE box diagram with the most time: (name, seconds)."""
    boxes: list[tuple[str, float]] = []
    lines = plan.splitlines()
    # Each box column starts with the operator name under a top border; the time is a "(0.12s)" in that box.
    for i, line in enumerate(lines):
        for m in re.finditer(r"\((\d+\.\d+)s\)", line):
            col = m.start()
            name = ""
            for j in range(i - 1, -1, -1):  # walk up the same column to the name line after the top border
                seg = lines[j][max(0, col - 30):col + 30] if col < len(lines[j]) else ""
                if "┌" in seg:
                    nm = lines[j + 1][max(0, col - 30):col + 30] if j + 1 < len(lines) else ""
                    name = re.sub(r"[│\s]+", " ", nm).strip()
                    break
            boxes.append((name or "?", float(m.group(1))))
    return sorted(boxes, key=lambda b: -b[1])[:n]


def micro_paths(url: str) -> dict[str, Any]:
    """The issue's paths on this database, measured on copies in an in-memory DuckDB (the file stays read-only):
    the per-(item, label) count of the main project (the agreement core's GROUP BY) with the items join, on a
    denormalised copy, on integer keys; and a weekly summary table vs the raw weekly count."""
    import duckdb

    path = url.removeprefix("duckdb:///")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"ATTACH '{path}' AS src (READ_ONLY)")

    def best(sql: str, repeat: int = 2) -> tuple[float, Any]:
        b, res = float("inf"), None
        for _ in range(repeat):
            t0 = time.perf_counter()
            res = con.execute(sql).fetchall()
            b = min(b, time.perf_counter() - t0)
        return b, res

    out: dict[str, Any] = {}
    count = ("SELECT COUNT(*), SUM(n) FROM (SELECT a.item_id, a.label, COUNT(*) AS n FROM {src} "
             "WHERE {where} GROUP BY 1, 2)")
    out["join"] = best(count.format(src="src.annotations a JOIN src.items i ON i.item_id = a.item_id",
                                    where=f"i.project_id = '{PROJECT}'"))
    t0 = time.perf_counter()
    con.execute("CREATE TEMP TABLE dn AS SELECT a.*, i.project_id, i.split FROM src.annotations a "
                "JOIN src.items i ON i.item_id = a.item_id")
    out["build_denorm_s"] = time.perf_counter() - t0
    out["denorm"] = best(count.format(src="dn a", where=f"a.project_id = '{PROJECT}'"))
    t0 = time.perf_counter()
    # surrogate keys: the items table's row number for items, small dictionaries for labels and projects
    con.execute("CREATE TEMP TABLE lab AS SELECT label, CAST(row_number() OVER (ORDER BY label) AS SMALLINT) AS "
                "label_k FROM (SELECT DISTINCT label FROM src.annotations)")
    con.execute("CREATE TEMP TABLE proj AS SELECT project_id, CAST(row_number() OVER (ORDER BY project_id) AS "
                "SMALLINT) AS project_k FROM src.projects")
    con.execute("CREATE TEMP TABLE ik AS SELECT CAST(i.rowid AS INTEGER) AS item_k, l.label_k, p.project_k, "
                "p.project_id FROM src.annotations a JOIN src.items i ON i.item_id = a.item_id "
                "JOIN lab l ON l.label = a.label JOIN proj p ON p.project_id = i.project_id")
    out["build_intkeys_s"] = time.perf_counter() - t0
    pk = con.execute(f"SELECT ANY_VALUE(project_k) FROM ik WHERE project_id = '{PROJECT}'").fetchone()[0]
    out["intkeys"] = best("SELECT COUNT(*), SUM(n) FROM (SELECT item_k, label_k, COUNT(*) AS n FROM ik "
                          f"WHERE project_k = {pk} GROUP BY 1, 2)")
    weekly = ("SELECT COUNT(*), SUM(n) FROM (SELECT date_trunc('week', a.created_at) AS w, a.schema_version, "
              "i.split, an.team, COUNT(*) AS n FROM src.annotations a JOIN src.items i ON i.item_id = a.item_id "
              "LEFT JOIN src.annotators an ON an.annotator_id = a.annotator_id "
              f"WHERE i.project_id = '{PROJECT}' GROUP BY ALL)")
    out["weekly_raw"] = best(weekly)
    t0 = time.perf_counter()
    con.execute("CREATE TEMP TABLE summ AS SELECT i.project_id, date_trunc('week', a.created_at) AS w, "
                "a.schema_version, i.split, an.team, a.annotator_id, a.label, COUNT(*) AS n, "
                "SUM(CASE WHEN a.label = g.label THEN 1 ELSE 0 END) AS correct, COUNT(g.label) AS n_gold "
                "FROM src.annotations a JOIN src.items i ON i.item_id = a.item_id "
                "LEFT JOIN src.annotators an ON an.annotator_id = a.annotator_id "
                "LEFT JOIN src.gold_labels g ON g.item_id = a.item_id GROUP BY ALL")
    out["build_summary_s"] = time.perf_counter() - t0
    out["summary_rows"] = con.execute("SELECT COUNT(*) FROM summ").fetchone()[0]
    out["weekly_summary"] = best("SELECT COUNT(*), SUM(n) FROM (SELECT w, schema_version, split, team, SUM(n) AS n "
                                 f"FROM summ WHERE project_id = '{PROJECT}' GROUP BY ALL)")
    con.close()
    for k in ("join", "denorm", "intkeys", "weekly_raw", "weekly_summary"):
        s, res = out[k]
        out[k] = {"s": s, "result": [list(r) for r in res]}
    out["same_counts"] = (out["join"]["result"] == out["denorm"]["result"] == out["intkeys"]["result"]
                          and out["weekly_raw"]["result"] == out["weekly_summary"]["result"])
    return out


# ================================================================================= Chromium end to end

_STATE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return null;
  return {running: document.querySelector('[data-testid="stStatusWidget"]') !== null,
          charts: document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
          drawn: document.querySelectorAll('[data-testid="stPlotlyChart"]:has(.main-svg)').length,
          exc: document.querySelectorAll('[data-testid="stException"]').length,
          err: document.querySelectorAll('[data-testid="stAlertContentError"]').length};
}"""
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on a free loopback port with the given database; stopped by its PID."""

    def __init__(self, url: str) -> None:
        self.port = _free_port()
        env = dict(os.environ, LABELQA_DB_URL=url)  # LABELQA_THRESHOLDS: the run's snapshot (set by main)
        self.log = tempfile.NamedTemporaryFile(prefix="labelqa-bench-server-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true", "--server.port",
             str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        import urllib.request

        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {Path(self.log.name).read_text()[-1500:]}")
            try:
                with urllib.request.urlopen(self.base + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("streamlit did not answer /_stcore/health within 120 s")
            time.sleep(0.3)

    def rss_hwm_mib(self) -> float:
        return vmhwm_mib(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        try:
            os.unlink(self.log.name)
        except OSError:
            pass


def _page_path(page: str) -> str:
    from ui.context import PAGES

    url_path = "" if page == "overview" else PAGES[page][3]
    return f"/{url_path}?project={PAGE_PROJECT[page]}"


def _until_drawn(pg, timeout: float, expected: int = 1) -> tuple[float, dict]:
    """Seconds from now until the script has finished and every chart has drawn: at least ``expected`` charts
    (the page's count in the server-side run, same filters), all with their SVG, stable for 0.3 s."""
    t0 = time.perf_counter()
    first_ok, partial, state = None, None, {}
    while time.perf_counter() - t0 < timeout:
        state = pg.evaluate(_STATE_JS) or {}
        ok = state and not state["running"] and state["charts"] >= max(expected, 1) and \
            state["drawn"] == state["charts"]
        settled = state and not state["running"] and state["charts"] > 0 and state["drawn"] == state["charts"]
        if settled and state["charts"] < expected:  # fewer charts than server-side: accept once idle for 5 s
            if partial is None or partial[1]["charts"] != state["charts"]:
                partial = (time.perf_counter() - t0, dict(state))
            elif time.perf_counter() - t0 - partial[0] >= 5.0:
                return partial[0], {**partial[1], "fewer_charts": expected}
        else:
            partial = None
        if ok and state.get("exc", 0) == 0:
            if first_ok is None:
                first_ok = (time.perf_counter() - t0, dict(state))
            elif time.perf_counter() - t0 - first_ok[0] >= 0.3:
                return first_ok
        else:
            if state and (state.get("exc") or 0) > 0 and not state["running"]:
                return time.perf_counter() - t0, {**state, "timeout": False}
            first_ok = None
        time.sleep(0.1)
    return float("nan"), {**state, "timeout": True}


def chromium_pages(url: str, pages: list[str], session_pass: bool, timeout: float,
                   stop_at: float = float("inf"), expected: dict[str, int] | None = None) -> dict:
    """Every page in headless Chromium (fresh server per page); no new page is started after ``stop_at``
    (``time.perf_counter()``), and the one-session pass runs only when the cold visits fit before it."""
    from playwright.sync_api import sync_playwright

    want = expected or {}
    rows: list[dict] = []
    not_reached: list[str] = []
    session = None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROME_ARGS)
        try:
            for page in pages:
                if time.perf_counter() > stop_at:
                    not_reached.append(page)
                    continue
                server = Server(url)
                try:
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    pg = ctx.new_page()
                    t0 = time.perf_counter()
                    pg.goto(server.base + _page_path(page), wait_until="commit")
                    nav = time.perf_counter() - t0
                    secs, st1 = _until_drawn(pg, timeout, want.get(page, 1))
                    cold = nav + secs
                    t0 = time.perf_counter()
                    pg.reload(wait_until="commit")
                    nav = time.perf_counter() - t0
                    secs, st2 = _until_drawn(pg, timeout, want.get(page, 1))
                    warm = nav + secs
                    ctx.close()
                    rows.append({"page": page, "cold_s": cold, "warm_s": warm, "charts": st1.get("charts"),
                                 "exceptions": st1.get("exc"), "errors": st1.get("err"),
                                 "timeout": bool(st1.get("timeout") or st2.get("timeout")),
                                 "fewer_charts": st1.get("fewer_charts"),
                                 "rss_hwm_mib": server.rss_hwm_mib()})
                    log(f"  chromium {page}: cold {cold:.2f} s, warm {warm:.2f} s, {st1.get('charts')} charts, "
                        f"server peak {rows[-1]['rss_hwm_mib']:.0f} MiB")
                finally:
                    server.stop()
            need = sum(r["cold_s"] for r in rows if r["cold_s"] == r["cold_s"]) + 30
            if session_pass and not not_reached and time.perf_counter() + need > stop_at:
                session = {"skipped": f"not run: needs about {need:.0f} s, past the run's budget"}
            elif session_pass and not not_reached:
                server = Server(url)
                try:
                    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                    pg = ctx.new_page()
                    t_all = time.perf_counter()
                    visits = []
                    for page in pages:
                        t0 = time.perf_counter()
                        pg.goto(server.base + _page_path(page), wait_until="commit")
                        secs, st1 = _until_drawn(pg, timeout, want.get(page, 1))
                        visits.append({"page": page, "s": (time.perf_counter() - t0) if secs == secs else None})
                    session = {"visits": visits, "total_s": time.perf_counter() - t_all,
                               "rss_hwm_mib": server.rss_hwm_mib()}
                    ctx.close()
                    log(f"  chromium session over {len(pages)} pages: {session['total_s']:.1f} s, "
                        f"server peak {session['rss_hwm_mib']:.0f} MiB")
                finally:
                    server.stop()
        finally:
            browser.close()
    return {"pages": rows, "session": session, "not_reached": not_reached}


# ================================================================================= CLI, ingest

def _timed(cmd: list[str], timeout: float, cwd: Path = ROOT) -> dict:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        return {"s": float("nan"), "rc": None, "tail": f"did not finish in {timeout:.0f} s"}
    return {"s": time.perf_counter() - t0, "rc": p.returncode, "tail": (p.stdout + p.stderr)[-600:],
            "stdout": p.stdout}


def last_iso_week(url: str) -> str:
    from sqlalchemy import text

    from analytics.db import make_engine

    eng = make_engine(url, read_only=True)
    try:
        with eng.connect() as c:
            last = c.execute(text("SELECT MAX(a.created_at) FROM annotations a JOIN items i ON i.item_id = a.item_id"
                                  " WHERE i.project_id = :p"), {"p": PROJECT}).scalar_one()
    finally:
        eng.dispose()
    y, w, _ = (last.date() if hasattr(last, "date") else dt.date.fromisoformat(str(last)[:10])).isocalendar()
    return f"{y}-W{w:02d}"


def cli_timings(url: str, tmp: Path) -> dict:
    week = last_iso_week(url)
    gate = _timed([str(BIN / "labelqa"), "gate", "--db", url, "--project", PROJECT, "--format", "json"], 900)
    report = _timed([str(BIN / "labelqa"), "report", "weekly", "--db", url, "--project", PROJECT, "--week", week,
                     "--out", str(tmp / "weekly.html")], 900)
    gate.pop("stdout", None)
    report.pop("stdout", None)
    return {"gate": gate, "report": report, "week": week,
            "gate_ok": gate["rc"] in (0, 1), "report_ok": report["rc"] == 0 and (tmp / "weekly.html").is_file()}


def ingest_rates(db_path: Path, tmp: Path) -> dict:
    """``benchmarks/ingest.py`` when present (another module's benchmark; its output kept), else ``labelqa load``
    of this demo's annotations as Parquet and CSV into a copy of the demo without annotations."""
    import duckdb

    other = HERE / "ingest.py"
    if other.is_file():
        n = duckdb.connect(str(db_path), read_only=True).execute("SELECT COUNT(*) FROM annotations").fetchone()[0]
        r = _timed([sys.executable, str(other), "--rows", str(n), "--work", str(tmp / "ingest")], 1800)
        out: dict[str, Any] = {"source": "benchmarks/ingest.py", "rows": n, "output": r.get("stdout", ""),
                               "rc": r["rc"]}
        for line in r.get("stdout", "").splitlines():
            f = line.split()
            if len(f) == 8 and f[0] in ("csv", "parquet"):
                out[f[0]] = {"s": float(f[2]), "loaded": int(f[1].replace(",", "")),
                             "rows_per_s": float(f[3].replace(",", "")), "rss_mib": float(f[4].replace(",", "")),
                             "floor_s": float(f[5]), "ratio_to_floor": float(f[7])}
        shutil.rmtree(tmp / "ingest", ignore_errors=True)
        if r["rc"] == 0 and "csv" in out and "parquet" in out:
            return out
        failed_other = f"benchmarks/ingest.py failed (exit {r['rc']}): {r['tail'][-400:]}"
        log(f"  {failed_other}; timing labelqa load here instead")
    else:
        failed_other = None

    n = duckdb.connect(str(db_path), read_only=True).execute("SELECT COUNT(*) FROM annotations").fetchone()[0]
    src = duckdb.connect(str(db_path), read_only=True)
    pq, csv = tmp / "annotations.parquet", tmp / "annotations.csv"
    src.execute(f"COPY annotations TO '{pq}' (FORMAT parquet)")
    src.execute(f"COPY annotations TO '{csv}' (FORMAT csv, HEADER)")
    src.close()
    out = {"source": "labelqa load (this script)", "rows": n, "ingest_py_failed": failed_other}
    for what, f in (("parquet", pq), ("csv", csv)):
        target = tmp / f"target_{what}.duckdb"
        shutil.copyfile(db_path, target)
        c = duckdb.connect(str(target))
        for dep in ("reviews",):  # rows that point at annotations go with them
            try:
                c.execute(f"DELETE FROM {dep} WHERE annotation_id IN (SELECT annotation_id FROM annotations)")
            except duckdb.Error:
                pass
        c.execute("DELETE FROM annotations")
        c.execute("CHECKPOINT")
        c.close()
        r = _timed([str(BIN / "labelqa"), "load", "--db", f"duckdb:///{target}", "--table", "annotations", str(f)],
                   1800)
        loaded = None
        if r["rc"] == 0:
            loaded = duckdb.connect(str(target), read_only=True).execute(
                "SELECT COUNT(*) FROM annotations").fetchone()[0]
        r.pop("stdout", None)
        out[what] = {**r, "loaded": loaded, "rows_per_s": (n / r["s"]) if loaded == n else None,
                     "file_mib": f.stat().st_size / 2 ** 20}
        target.unlink(missing_ok=True)
        log(f"  load {what}: {r['s']:.1f} s, rc {r['rc']}, {loaded} rows")
    return out


# ================================================================================= Spark local

def worker_spark(db: str, out: Path, budget: float) -> int:
    """Gate and the overview's calls on local[2] Spark vs DuckDB (same process; the DuckDB file read-only)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from pyspark.sql import SparkSession

    from analytics.db import make_engine, query_df
    from analytics.gate import evaluate_gate, render_json
    from analytics.sources.spark import SparkEngine
    from analytics.thresholds import load_thresholds
    from overview_queries import _difference, _normalise, record_overview_calls

    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="labelqa-bench-spark-"))
    res: dict[str, Any] = {}
    duck = make_engine(f"duckdb:///{db}", read_only=True)
    try:
        import duckdb

        t0 = time.perf_counter()
        c = duckdb.connect(str(db), read_only=True)
        names = [r[0] for r in c.execute("SELECT table_name FROM information_schema.tables WHERE "
                                         "table_schema = 'main' AND table_type = 'BASE TABLE'").fetchall()]
        for t in names:
            c.execute(f"COPY {t} TO '{tmp / t}.parquet' (FORMAT parquet)")
        c.close()
        res["export_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        spark = (SparkSession.builder.master("local[2]").config("spark.driver.memory", "3g")
                 .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
                 .config("spark.sql.shuffle.partitions", "4")
                 .config("spark.ui.showConsoleProgress", "false").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        for t in names:
            spark.read.parquet(str(tmp / f"{t}.parquet")).createOrReplaceTempView(t)
        res["start_s"] = time.perf_counter() - t0
        eng = SparkEngine(spark)
        th = load_thresholds(None)

        def gate_json(e) -> tuple[float, dict]:
            t0 = time.perf_counter()
            r = evaluate_gate(e, PROJECT, thresholds=th)
            secs = time.perf_counter() - t0
            d = json.loads(render_json(r))
            d.pop("generated_at", None)
            return secs, d

        td, want = gate_json(duck)
        ts, got = gate_json(eng)
        res["gate"] = {"duckdb_s": td, "spark_s": ts, "same": _same_gate(got, want)}
        log(f"  spark gate: duckdb {td:.2f} s, spark {ts:.2f} s, same={res['gate']['same']}")
        calls = record_overview_calls(duck)
        rows = []
        res["overview"], res["n_calls"] = rows, len(calls)
        out.write_text(json.dumps(res, indent=1, default=str))  # partial results survive a timeout
        for name, params in calls:
            if time.perf_counter() - t_start > budget:
                res["stopped"] = f"budget of {budget:.0f} s reached after {len(rows)} of {len(calls)} calls"
                break
            t0 = time.perf_counter()
            want_df = query_df(duck, name, **params)
            t_d = time.perf_counter() - t0
            t0 = time.perf_counter()
            got_df = query_df(eng, name, **params)
            t_s = time.perf_counter() - t0
            diff = _difference(_normalise(got_df), _normalise(want_df), rtol=1e-9)
            rows.append({"query": name, "duckdb_s": t_d, "spark_s": t_s, "diff": diff})
            out.write_text(json.dumps(res, indent=1, default=str))
        spark.stop()
    finally:
        duck.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    out.write_text(json.dumps(res, indent=1, default=str))
    return 0


def _same_gate(got: dict, want: dict) -> bool:
    def close(a, b) -> bool:
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(b))
        return a == b
    return close(got, want)


# ================================================================================= RESULTS.md

def _f(v: Any, digits: int = 2, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "-"
    return f"{v:.{digits}f}{unit}"


def _val(R: dict, key: str) -> Any:
    sec = R["sections"].get(key)
    return sec["value"] if sec and sec["status"] == "ok" else None


def _status(R: dict, key: str) -> str:
    sec = R["sections"].get(key)
    if sec is None:
        return "not run (skipped)"
    return sec["status"] if sec["status"] != "ok" else f"ok, {sec['s']:.0f} s, load {sec['load']}"


def _max(rows: list[dict], key: str) -> tuple[float | None, str]:
    """The slowest page of those that drew without an error (a page that failed is counted, not timed)."""
    good = [r for r in rows if not r.get("problems") and not r.get("timeout")]
    vals = [(r[key], r["page"]) for r in good if r.get(key) is not None and r[key] == r[key]]
    bad = len(rows) - len(good)
    if not vals:
        return None, f"{bad} of {len(rows)} pages failed" if bad else ""
    v, page = max(vals)
    return v, page + (f"; {len(vals)} of {len(rows)} pages measured, the others failed or timed out" if bad else "")


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n % 1000 == 0 else str(n))


def summary_rows(R: dict) -> list[tuple[str, str, dict[int, str], str]]:
    """(what, target, {size: measured text}, verdict at the target size or the largest size)."""
    sizes = R["sizes"]
    judged = TARGET_SIZE if TARGET_SIZE in sizes else max(sizes)
    rows = []

    def add(what: str, target_s: str, per_size: dict[int, tuple[float | None, str]], target: float,
            higher: bool = False) -> None:
        cells = {n: (_f(v, 2) + (f" ({where})" if where else "")) if v is not None else (f"- ({where})" if where else "-")
                 for n, (v, where) in per_size.items()}
        v = per_size.get(judged, (None, ""))[0]
        rows.append((what, target_s, cells, verdict(v, target, higher)))

    def per(fn) -> dict[int, tuple[float | None, str]]:
        return {n: fn(n) for n in sizes}

    srv = {n: (_val(R, f"server@{n}") or {}) for n in sizes}
    chro = {n: (_val(R, f"chromium@{n}") or {}) for n in sizes}
    add("slowest page cold, server-side (s)", "<= 2 s", per(lambda n: _max(srv[n].get("pages", []), "cold_s")),
        TARGETS["server_cold"])
    add("slowest page warm, server-side (s)", "<= 0.5 s", per(lambda n: _max(srv[n].get("pages", []), "warm_s")),
        TARGETS["server_warm"])
    add("slowest page cold, Chromium end to end (s)", "<= 3 s",
        per(lambda n: _max(chro[n].get("pages", []), "cold_s")), TARGETS["browser_cold"])
    add("slowest page warm, Chromium end to end (s)", "<= 0.5 s",
        per(lambda n: _max(chro[n].get("pages", []), "warm_s")), TARGETS["browser_warm"])

    def filt(n: int, which: str) -> tuple[float | None, str]:
        rows_ = [{"page": f"{r['page']}", "s": r["s"], "problems": r["problems"]} for r in srv[n].get("filters", [])
                 if r["variant"].startswith(which)]
        return _max(rows_, "s")
    add("slowest single filter change, server-side (s)", "<= 3 s", per(lambda n: filt(n, "one")),
        TARGETS["filter_change"])
    add("worst filter combination tried, server-side (s)", "<= 5 s", per(lambda n: filt(n, "combination")),
        TARGETS["filter_worst"])

    def rss(n: int) -> tuple[float | None, str]:
        c = chro[n]
        cands = [(r["rss_hwm_mib"], f"server, {r['page']}") for r in c.get("pages", [])]
        if c.get("session") and "rss_hwm_mib" in c["session"]:
            cands.append((c["session"]["rss_hwm_mib"], "server, all pages in one session"))
        cands = [x for x in cands if x[0] == x[0]]
        if not cands:
            v = srv[n].get("rss_hwm_mib")
            return (v, "AppTest process") if v else (None, "")
        return max(cands)
    add("peak RSS of the app server over all pages (MiB)", "<= 1536 MiB", per(rss), TARGETS["rss_mib"])
    cli = {n: (_val(R, f"cli@{n}") or {}) for n in sizes}
    add("`labelqa gate --project streetscene` (s)", "<= 5 s",
        per(lambda n: ((cli[n].get("gate") or {}).get("s"), "")), TARGETS["gate"])
    add("`labelqa report weekly` (s)", "<= 10 s", per(lambda n: ((cli[n].get("report") or {}).get("s"), "")),
        TARGETS["report"])
    builds = {n: (R["sections"].get(f"build@{n}") or {}).get("value") or {} for n in sizes}
    v10 = builds.get(TARGET_SIZE, {}).get("seconds")
    rows.append(("10M demo build, `labelqa demo --annotations 10000000` (s)", "<= 30 s",
                 {n: _f(b.get("seconds"), 1) + (" (earlier build, reused)" if b.get("reused") else "")
                  for n, b in builds.items()}, verdict(v10, TARGETS["demo_10m"])))
    ing = _val(R, "ingest") or {}
    for what, key in (("parquet", "ingest_parquet"), ("csv", "ingest_csv")):
        r = ing.get(what) or {}
        rate = r.get("rows_per_s")
        rows.append((f"ingest from {what.upper()}, rows/s (`labelqa load`, {ing.get('rows', 0):,} rows)",
                     f">= {TARGETS[key]:,}/s", {min(sizes): f"{rate:,.0f}" if rate else "-"},
                     verdict(rate, TARGETS[key], True)))
    peers = _val(R, "peers") or {}
    for case in peers.get("cases", []):
        ours = [r for r in case["rows"] if r.get("ours") and r["status"] == "ok"]
        if not ours or case["case"].startswith("page_"):
            continue
        ratio = ours[0].get("ratio_to_fastest_peer")
        if case["case"] == "dawid_skene":
            lead = (1 / ratio) if ratio else None
            rows.append((f"Dawid-Skene lead on crowd-kit ({peers.get('items', 0):,} items)", ">= 15x",
                         {max(sizes): f"{lead:.1f}x" if lead else "-"}, verdict(lead, 15.0, True)))
        else:
            rows.append((f"{case['case']} time / fastest peer ({peers.get('items', 0):,} items)", "<= 1.00",
                         {max(sizes): _f(ratio, 2)}, verdict(ratio, 1.0)))
    for n in sorted(k for k in R["sections"] if k.startswith("spark@")):
        sp = _val(R, n) or {}
        g = sp.get("gate") or {}
        if g:
            size = int(n.split("@")[1])
            rows.append((f"gate on Spark local[2] / DuckDB at {_size(size)} (same JSON: {g.get('same')})",
                         "(no target)", {size: f"{g['spark_s']:.1f} s / {g['duckdb_s']:.1f} s = "
                                               f"{g['spark_s'] / g['duckdb_s']:.1f}x"}, "-"))
    return rows


def render(R: dict) -> tuple[str, bool]:
    sizes = R["sizes"]
    m = R["machine"]
    differs = False
    L: list[str] = []
    L.append("# LabelQA benchmark results (issue 11)\n")
    L.append(f"Produced by `{R['command']}` (`make bench`), started {R['started']}, took "
             f"{R['elapsed_s'] / 60:.1f} min. Sizes: {', '.join(f'{n:,}' for n in sizes)} annotations "
             f"(`labelqa demo --annotations N`, seed 42). Method: `benchmarks/results.py` docstring.\n")
    L.append("## Machine\n")
    L.append(f"- {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM ({m['ram_available_gib']} GiB available at "
             f"start); {m['platform']}; Python {m['python']}; {m['chromium']}; Java: {m['java']}")
    L.append("- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
    L.append(f"- Load average (1 / 5 / 15 min): **{R['load_start']}** at the start, **{R['load_end']}** at the end. "
             "The machine's 2 cores are shared with other agents running tests and builds during this run, so every "
             "time here is a wall-clock time under that load (each section's own load average is in its heading); "
             "on an idle machine they would be lower, by tens of percent where the load was above 2.")
    if R.get("thresholds"):
        L.append(f"- Thresholds: {R['thresholds']} (every process of the run reads this one file).")
    if R.get("failed_sections"):
        L.append(f"- Sections that failed: {', '.join(R['failed_sections'])} (their error is in their section).")
    L.append("")
    L.append("## Targets and measurements\n")
    L.append("Verdicts are judged at 10M (the issue's targets are stated for 10M annotations on this machine); the "
             "1M column is for the trend. Page rows name the slowest page.\n")
    L.append("| what | target | " + " | ".join(_size(n) for n in sizes) + " | verdict |")
    L.append("|---|---|" + "---|" * len(sizes) + "---|")
    for what, target, cells, v in summary_rows(R):
        L.append(f"| {what} | {target} | " + " | ".join(cells.get(n, "") for n in sizes) + f" | {v} |")
    L.append("")

    # ---------------- pages
    for n in sizes:
        srv, chro = _val(R, f"server@{n}") or {}, _val(R, f"chromium@{n}") or {}
        b = (R["sections"].get(f"build@{n}") or {}).get("value") or {}
        L.append(f"## Pages at {n:,} annotations\n")
        L.append(f"Demo build: {_f(b.get('seconds'), 1)} s" + (f" (reused {b['reused']}, built {b.get('when', '?')})"
                                                                  if b.get("reused") else "") + ".")
        L.append(f"Server-side: {_status(R, f'server@{n}')}. Chromium: {_status(R, f'chromium@{n}')}.\n")
        crow = {r["page"]: r for r in chro.get("pages", [])}
        L.append("| page | server cold (s) | server warm (s) | queries (cold) | SQL in query_df (s) | charts | "
                 "Chromium cold (s) | Chromium warm (s) | server peak RSS (MiB) | problems |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in srv.get("pages", []):
            c = crow.get(r["page"], {})
            probs = list(r["problems"])
            if c.get("timeout"):
                probs.append("Chromium: timed out")
            if c.get("fewer_charts"):
                probs.append(f"Chromium drew {c.get('charts')} of {c['fewer_charts']} charts")
            if c.get("exceptions"):
                probs.append(f"Chromium: {c['exceptions']} exception(s)")
            L.append(f"| {r['page']} | {_f(r['cold_s'])} | {_f(r['warm_s'])} | {r['n_queries']} | {_f(r['sql_s'])} | "
                     f"{r['charts']} | {_f(c.get('cold_s'))} | {_f(c.get('warm_s'))} | {_f(c.get('rss_hwm_mib'), 0)} | "
                     f"{'; '.join(probs) or '-'} |")
        if srv:
            L.append(f"\nAppTest process peak RSS (all pages, cold and warm): {_f(srv.get('rss_hwm_mib'), 0)} MiB.")
        s = chro.get("session")
        if chro.get("not_reached"):
            L.append(f"Chromium: pages not reached within the run's budget: {', '.join(chro['not_reached'])}.")
        if srv.get("filters_stopped"):
            L.append(f"Server-side: {srv['filters_stopped']}.")
        if srv.get("stopped"):
            L.append(f"Server-side worker stopped early: {srv['stopped'][-300:]}")
        if s and s.get("skipped"):
            L.append(f"Chromium one-session pass: {s['skipped']}.")
        elif s:
            visits = ", ".join(f"{v['page']} {_f(v['s'], 1)}" for v in s["visits"])
            L.append(f"One Chromium session visiting every page in order on one fresh server: {_f(s['total_s'], 1)} s "
                     f"({visits}); server peak RSS {_f(s['rss_hwm_mib'], 0)} MiB.")
        if srv.get("filters"):
            L.append("\nFilter changes (server-side; the default view's caches warm, the new filters' queries not):\n")
            L.append("| page | change | s | problems |")
            L.append("|---|---|---:|---|")
            for r in srv["filters"]:
                L.append(f"| {r['page']} | {r['variant']}: `{'&'.join(f'{k}={v}' for k, v in r['params'].items())}` | "
                         f"{_f(r['s'])} | {'; '.join(r['problems']) or '-'} |")
        L.append("")

    # ---------------- CLI
    L.append("## CLI\n")
    L.append("Each command as a subprocess of the venv's `labelqa` (interpreter start-up and imports included), "
             "one run each.\n")
    L.append("| size | `labelqa gate --project streetscene --format json` (s) | exit | `labelqa report weekly` (s) | "
             "week | exit |")
    L.append("|---|---:|---:|---:|---|---:|")
    for n in sizes:
        c = _val(R, f"cli@{n}")
        if c is None:
            L.append(f"| {n:,} | {_status(R, f'cli@{n}')} | | | | |")
            continue
        L.append(f"| {n:,} | {_f(c['gate']['s'])} | {c['gate']['rc']} | {_f(c['report']['s'])} | {c['week']} | "
                 f"{c['report']['rc']} |")
    L.append("\nThe gate exits 1 on the demo because the demo plants failing checks (expected).\n")

    # ---------------- ingest
    L.append("## Ingest\n")
    ing = _val(R, "ingest")
    L.append(f"Status: {_status(R, 'ingest')}.\n")
    if ing and ing.get("source") == "benchmarks/ingest.py":
        L.append(f"`benchmarks/ingest.py --rows {ing['rows']:,}` (another module's benchmark, called as it is: "
                 "`labelqa load` of the annotations of a demo of that size into a fresh database holding the "
                 "reference tables, every validation on; floor = a plain DuckDB INSERT of the same file):\n")
        L.append("| format | rows | seconds | rows/s | peak RSS (MiB) | floor (s) | load / floor | target | verdict |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---|---|")
        for what, key in (("parquet", "ingest_parquet"), ("csv", "ingest_csv")):
            r = ing[what]
            L.append(f"| {what} | {r['loaded']:,} | {r['s']:.2f} | {r['rows_per_s']:,.0f} | {r['rss_mib']:.0f} | "
                     f"{r['floor_s']:.2f} | {r['ratio_to_floor']:.2f} | >= {TARGETS[key]:,}/s | "
                     f"{verdict(r['rows_per_s'], TARGETS[key], True)} |")
        L.append("\n<details><summary>its output</summary>\n\n```\n" + ing["output"].strip() + "\n```\n</details>\n")
    elif ing:
        L.append(f"`labelqa load --table annotations FILE` of the {ing['rows']:,} annotations of the "
                 f"{min(sizes):,} demo, exported with DuckDB `COPY`, into a copy of that demo whose annotations were "
                 "deleted (so every check, including the references to items and annotators, runs on real rows)"
                 + (f". benchmarks/ingest.py was tried first and failed: `{ing['ingest_py_failed'][-300:]}`"
                    if ing.get("ingest_py_failed") else "") + ":\n")
        L.append("| format | file (MiB) | seconds | rows loaded | rows/s | target | verdict |")
        L.append("|---|---:|---:|---:|---:|---|---|")
        for what, key in (("parquet", "ingest_parquet"), ("csv", "ingest_csv")):
            r = ing[what]
            rate = f"{r['rows_per_s']:,.0f}" if r["rows_per_s"] else "-"
            L.append(f"| {what} | {r['file_mib']:.0f} | {_f(r['s'], 1)} | {r['loaded']} | "
                     f"{rate} | >= {TARGETS[key]:,}/s | "
                     f"{verdict(r['rows_per_s'], TARGETS[key], True)} |")
        L.append("")

    # ---------------- peers
    L.append("## Peers (benchmarks/run.py, same run)\n")
    peers = _val(R, "peers")
    L.append(f"Status: {_status(R, 'peers')}.\n")
    if peers:
        L.append(f"`benchmarks/run.py` with {peers.get('items', 0):,} items, {peers.get('repeat')} run(s) per case "
                 f"({peers.get('timing')}); page path on the {max(sizes):,} demo. Ratio = time / fastest peer whose "
                 "answer matched (below 1 = ours faster). All answers identical: "
                 f"**{peers.get('all_answers_identical')}**.\n")
        L.append(peers.get("markdown", ""))
        L.append("")
        differs |= "ANSWER DIFFERS" in peers.get("markdown", "") or not peers.get("all_answers_identical", False)

    # ---------------- Spark
    L.append("## Spark local[2] vs DuckDB\n")
    L.append("A local[2] SparkSession (3 GB driver) over a Parquet export of the same demo (tables as temp views), "
             "queries through `analytics.db.query_df` on a `SparkEngine` (the Spark translation, bound parameters); "
             "DuckDB on the file, read-only. One run per call (Spark's first-call JIT included). Results compared: "
             "the gate's JSON (values to 1e-9) and every overview call's frame (floats to 1e-9 relative).\n")
    if not any(k.startswith("spark@") for k in R["sections"]):
        L.append("Not run (skipped with `--skip spark`).\n")
    for key in sorted((k for k in R["sections"] if k.startswith("spark@")), key=lambda k: int(k.split("@")[1])):
        n = int(key.split("@")[1])
        sp = _val(R, key)
        L.append(f"### {n:,} annotations\n\nStatus: {_status(R, key)}.\n")
        if not sp:
            continue
        g = sp["gate"]
        L.append(f"Parquet export {sp['export_s']:.1f} s, Spark start + views {sp['start_s']:.1f} s.\n")
        L.append("| what | DuckDB (s) | Spark (s) | Spark / DuckDB | same answer |")
        L.append("|---|---:|---:|---:|---|")
        L.append(f"| `evaluate_gate` (labelqa gate) | {g['duckdb_s']:.2f} | {g['spark_s']:.2f} | "
                 f"{g['spark_s'] / g['duckdb_s']:.1f}x | {'yes' if g['same'] else 'ANSWER DIFFERS'} |")
        differs |= not g["same"]
        ov = sp.get("overview", [])
        bad = [r for r in ov if r["diff"]]
        differs |= bool(bad)
        if ov:
            td, ts = sum(r["duckdb_s"] for r in ov), sum(r["spark_s"] for r in ov)
            L.append(f"| overview calls ({len(ov)} of {sp['n_calls']}) | {td:.2f} | {ts:.2f} | {ts / td:.1f}x | "
                     f"{'yes, all' if not bad else f'ANSWER DIFFERS in {len(bad)}'} |")
        if sp.get("stopped"):
            L.append(f"\nOverview calls stopped: {sp['stopped']}.")
        if ov:
            L.append("\n<details><summary>per call</summary>\n\n| query | DuckDB (s) | Spark (s) | ratio | same |")
            L.append("|---|---:|---:|---:|---|")
            for r in ov:
                L.append(f"| {r['query']} | {r['duckdb_s']:.3f} | {r['spark_s']:.3f} | "
                         f"{r['spark_s'] / max(r['duckdb_s'], 1e-9):.1f}x | "
                         f"{'yes' if not r['diff'] else 'ANSWER DIFFERS: ' + r['diff']} |")
            L.append("\n</details>")
        L.append("")

    # ---------------- profile
    L.extend(profile_md(R))
    L.append("")
    return "\n".join(L), differs


def profile_md(R: dict) -> list[str]:
    n = max(R["sizes"])
    srv = _val(R, f"server@{n}") or {}
    L = [f"## Profile at {n:,} annotations (server-side, cold)\n"]
    pages = srv.get("pages", [])
    if not pages:
        return L + ["Not measured (the server-side section did not run)."]
    slow = max(pages, key=lambda r: r["cold_s"])
    calls = srv.get("queries", [])
    by_page: dict[str, float] = {}
    for c in calls:
        by_page[c["page"]] = by_page.get(c["page"], 0.0) + c["s"]
    L.append(f"Slowest page: **{slow['page']}**, {slow['cold_s']:.2f} s cold, of which {slow['sql_s']:.2f} s in "
             f"{slow['n_queries']} `query_df` calls ({100 * slow['sql_s'] / slow['cold_s']:.0f} %); the rest is "
             "Python (statistics, figures, Streamlit) and SQL outside `query_df`. Over all pages: "
             f"{sum(by_page.values()):.1f} s of SQL in {len(calls)} calls, "
             f"{sum(r['cold_s'] for r in pages):.1f} s of cold page time.\n")
    L.append(f"Queries of {slow['page']} (cold run, slowest first):\n")
    L.append("| query | s | rows | parameters set |")
    L.append("|---|---:|---:|---|")
    for c in sorted((c for c in calls if c["page"] == slow["page"]), key=lambda c: -c["s"]):
        ps = ", ".join(f"{k}={v}" for k, v in c["params"].items() if v not in (None, [], ""))
        L.append(f"| {c['query']} | {c['s']:.3f} | {c['rows']} | {ps[:90]} |")
    agg: dict[str, list[float]] = {}
    for c in calls:
        agg.setdefault(c["query"], []).append(c["s"])
    L.append("\nAll pages, per query file (cold runs): total time, calls\n")
    L.append("| query | total s | calls | max s |")
    L.append("|---|---:|---:|---:|")
    for q, ts in sorted(agg.items(), key=lambda kv: -sum(kv[1]))[:15]:
        L.append(f"| {q} | {sum(ts):.2f} | {len(ts)} | {max(ts):.2f} |")
    for e in srv.get("explain", []):
        top = ", ".join(f"{nm} {s:.2f}s" for nm, s in e["top"])
        L.append(f"\n**EXPLAIN ANALYZE `{e['query']}`** (page {e['page']}, {e['s_in_page']:.2f} s in the page, "
                 f"{e['s_explain']:.2f} s under EXPLAIN ANALYZE). Costliest operators: {top or 'see plan'}.\n")
        L.append("<details><summary>plan</summary>\n\n```\n" + e["plan"] + "\n```\n</details>")
    mi = srv.get("micro")
    if mi:
        L.append("\n### The issue's paths, measured on this database\n")
        L.append("In an in-memory DuckDB attached to the file read-only (the copies are temp tables; nothing is "
                 "written to the file); best of 2. Same counts on every variant: "
                 f"**{mi['same_counts']}**.\n")
        L.append("| query | s | vs baseline |")
        L.append("|---|---:|---:|")
        j = mi["join"]["s"]
        L.append(f"| per-(item, label) count of {PROJECT} with the items join (today's `fa`) | {j:.2f} | 1.00 |")
        L.append(f"| same on annotations with `project_id`, `split` copied in (denormalised) | {mi['denorm']['s']:.2f} | "
                 f"{mi['denorm']['s'] / j:.2f} |")
        L.append(f"| same on integer keys (item, label, project as INTEGER/SMALLINT codes) | {mi['intkeys']['s']:.2f} | "
                 f"{mi['intkeys']['s'] / j:.2f} |")
        w = mi["weekly_raw"]["s"]
        L.append(f"| weekly count by schema, split, team from the raw tables | {w:.2f} | 1.00 |")
        L.append(f"| same from a summary table ({mi['summary_rows']:,} rows: project x week x schema x split x team x "
                 f"annotator x label, with gold counts) | {mi['weekly_summary']['s']:.3f} | "
                 f"{mi['weekly_summary']['s'] / w:.3f} |")
        L.append(f"\nOne-off costs (at load time): denormalised copy {mi['build_denorm_s']:.1f} s, integer keys "
                 f"{mi['build_intkeys_s']:.1f} s, summary table {mi['build_summary_s']:.1f} s.")
        if not mi["same_counts"]:
            L.append("\nANSWER DIFFERS between the variants above.")
    L.extend(gap_md(R, slow, pages, mi))
    return L


def gap_md(R: dict, slow: dict, pages: list[dict], mi: dict | None) -> list[str]:
    n = max(R["sizes"])
    warm = max(r["warm_s"] for r in pages)
    cold = [r["cold_s"] for r in pages]
    L = ["\n## Gap and plan\n"]
    sql_share = sum(r["sql_s"] for r in pages) / max(sum(cold), 1e-9)
    L.append(f"- **What dominates.** At {n:,} the cold pages take {min(cold):.1f}-{max(cold):.1f} s server-side "
             f"(target 2 s); {100 * sql_share:.0f} % of that is SQL through `query_df`. See the per-query tables "
             "and plans above, and the measured paths below.")
    if mi:
        L.append(f"- **Denormalising `project_id`/`split` onto annotations** (no items join): the agreement core's "
                 f"count falls to {mi['denorm']['s'] / mi['join']['s']:.2f}x here ({mi['join']['s']:.2f} -> "
                 f"{mi['denorm']['s']:.2f} s); benchmarks/overview_queries.md measured the overview's 31 calls at 1M "
                 "at 0.70x in total (join-bound calls 0.2-0.5x). Cost: "
                 f"{mi['build_denorm_s']:.1f} s more at load for {n:,} rows, two columns more on disk.")
        L.append(f"- **Integer keys** (surrogate ids or ENUM for item, label, project): the same count "
                 f"{mi['intkeys']['s'] / mi['join']['s']:.2f}x of today's ({mi['intkeys']['s']:.2f} s), i.e. "
                 f"{mi['intkeys']['s'] / max(mi['denorm']['s'], 1e-9):.2f}x of the denormalised one: hashing 4-byte "
                 "integers instead of strings.")
        L.append(f"- **Summary layer** (per project x week x schema x split x team x annotator x label, exact and "
                 f"additive; {mi['summary_rows']:,} rows for {n:,} annotations): a weekly count falls from "
                 f"{mi['weekly_raw']['s']:.2f} s to {mi['weekly_summary']['s'] * 1000:.0f} ms; building it took "
                 f"{mi['build_summary_s']:.1f} s (incrementally: per loaded batch). It serves volume, accuracy, "
                 "QA-rate and drift series; agreement needs per-item counts and would stay on the raw (or "
                 "denormalised, integer-keyed) path.")
    L.append(f"- **Shared result cache keyed by a data version** that `labelqa load` bumps: a page whose queries "
             f"are cached already takes <= {warm:.2f} s server-side here (the warm column); today's `st.cache_data` "
             "is per server process and expires after 10 min, so a version-keyed cache (kept across restarts and "
             "sessions, invalidated only by a load) turns every repeat visit into the warm figure.")
    return L


# ================================================================================= orchestration

def _sub(args: list[str], timeout: float) -> tuple[int, str]:
    """This script as a worker process (killed after ``timeout`` s); its log lines are passed on to our stderr as
    they come (progress); the last 3000 characters of its output are returned for an error message."""
    with tempfile.NamedTemporaryFile(mode="w", prefix="labelqa-bench-worker-", suffix=".log") as f:
        p = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args], stdout=f,
                             stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        t0, text = time.monotonic(), ""
        with open(f.name) as r:
            while True:
                try:
                    p.wait(timeout=2)
                    done = True
                except subprocess.TimeoutExpired:
                    done = False
                new = r.read()
                text = (text + new)[-20000:]
                for line in new.splitlines():
                    if line.startswith("[") or "Traceback" in line:
                        sys.stderr.write(line + "\n")
                sys.stderr.flush()
                if done:
                    return p.returncode, text[-3000:]
                if time.monotonic() - t0 > timeout:
                    p.kill()
                    p.wait()
                    raise subprocess.TimeoutExpired(p.args, timeout)


def build_db(n: int, path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    r = subprocess.run([str(BIN / "labelqa"), "demo", "--db", f"duckdb:///{path}", "--annotations", str(n),
                        "--force"], capture_output=True, text=True, timeout=3600, cwd=ROOT)
    secs = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"labelqa demo failed: {r.stderr[-2000:]}")
    info = {"seconds": secs, "command": f"labelqa demo --annotations {n}", "when": dt.datetime.now(
        dt.timezone.utc).isoformat(timespec="seconds"), "built_in_this_run": True}
    Path(str(path) + ".build.json").write_text(json.dumps(info))
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="demo sizes (default 1000000 10000000)")
    ap.add_argument("--db", action="append", default=[], metavar="N=PATH",
                    help="reuse the demo DuckDB file PATH for size N (not rebuilt; opened read-only)")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--workdir", type=Path, default=None, help="where built demos go (default a temp dir)")
    ap.add_argument("--quick", action="store_true", help="tiny size, seconds: every section, short runs")
    ap.add_argument("--skip", nargs="*", default=[],
                    help="sections to leave out: server chromium spark peers ingest cli filters session")
    ap.add_argument("--spark-sizes", type=int, nargs="*", default=None,
                    help="sizes for Spark (default 200000 and the largest size; 200k is built when not given)")
    ap.add_argument("--spark-budget", type=float, default=420.0, help="seconds per Spark size for the overview calls")
    ap.add_argument("--deadline-min", type=float, default=28.0,
                    help="Spark runs only in what is left of this many minutes (default 28: the run fits 30)")
    ap.add_argument("--worker", choices=("apptest", "spark"), help=argparse.SUPPRESS)
    ap.add_argument("--worker-db", help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--pages", nargs="*", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--budget", type=float, default=1e9, help=argparse.SUPPRESS)
    ap.add_argument("--filters", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    if args.worker == "apptest":
        return worker_apptest(args.worker_db, args.worker_out, args.pages, args.filters, args.profile,
                              args.budget)
    if args.worker == "spark":
        return worker_spark(args.worker_db, args.worker_out, args.spark_budget)

    from ui.context import PAGES

    pages = [p for p in PAGE_PROJECT if p in PAGES]
    if args.quick:  # two pages are enough to exercise every section
        pages = ["overview", "agreement"]
    sizes = args.sizes or ([3000] if args.quick else [1_000_000, 10_000_000])
    reuse = {int(k): Path(v) for k, v in (s.split("=", 1) for s in args.db)}
    skip = set(args.skip)
    t_run = time.perf_counter()
    started = dt.datetime.now(dt.timezone.utc)
    R: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "load_start": loadavg(),
                         "machine": machine(), "command": " ".join(["benchmarks/results.py", *(argv or sys.argv[1:])]),
                         "sizes": sizes, "quick": args.quick, "sections": {}}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="labelqa-results-"))
    work.mkdir(parents=True, exist_ok=True)
    dbs: dict[int, Path] = {}
    # One thresholds file for the whole run, read by every process it starts (pages, CLI, Spark): a snapshot of
    # ./labelqa.toml taken now, so an edit of the shared file during the run cannot change (or break) the pages
    # half-way; the packaged defaults when it does not load at the start.
    from analytics.thresholds import load_thresholds

    snap = work / "labelqa.toml"
    try:
        load_thresholds(str(ROOT / "labelqa.toml"))
        shutil.copyfile(ROOT / "labelqa.toml", snap)
        R["thresholds"] = "snapshot of ./labelqa.toml at the start"
    except Exception as exc:  # noqa: BLE001 - reported
        from analytics.quality.config import DEFAULT_THRESHOLDS

        if Path(DEFAULT_THRESHOLDS).is_file():
            shutil.copyfile(DEFAULT_THRESHOLDS, snap)
        R["thresholds"] = f"packaged defaults (./labelqa.toml did not load at the start: {str(exc)[:200]})"
    if snap.is_file():
        os.environ["LABELQA_THRESHOLDS"] = str(snap)
    else:
        os.environ.pop("LABELQA_THRESHOLDS", None)
    failed: list[str] = []

    def section(name: str, size: int | None, fn) -> Any:
        key = f"{name}@{size}" if size else name
        la0, t0 = loadavg(), time.perf_counter()
        log(f"{key} (load {la0})")
        try:
            value = fn()
            status = "ok"
        except Exception as exc:  # noqa: BLE001 - a failed section is reported, the run goes on
            value, status = None, f"error: {type(exc).__name__}: {str(exc)[:800]}"
            failed.append(key)
            log(f"  {key} FAILED: {status}")
        R["sections"][key] = {"value": value, "status": status, "s": time.perf_counter() - t0,
                              "load": f"{la0} -> {loadavg()}"}
        return value

    # ---- demo databases
    for n in sizes:
        if n in reuse:
            dbs[n] = reuse[n]
            side = Path(str(reuse[n]) + ".build.json")
            info = json.loads(side.read_text()) if side.is_file() else {}
            R["sections"][f"build@{n}"] = {"value": {**info, "reused": str(reuse[n])}, "status": "ok", "s": 0.0,
                                           "load": loadavg()}
        else:
            dbs[n] = work / f"demo_{n}.duckdb"
            section("build", n, lambda n=n: build_db(n, dbs[n]))
    spark_sizes = args.spark_sizes if args.spark_sizes is not None else (
        [sizes[0]] if args.quick else sorted({200_000, max(sizes)}))
    for n in spark_sizes:
        if n not in dbs and "spark" not in skip:
            dbs[n] = reuse.get(n) or work / f"demo_{n}.duckdb"
            if n not in reuse:
                section("build", n, lambda n=n: build_db(n, dbs[n]))

    largest = max(sizes)
    deadline = args.deadline_min * 60

    def left() -> float:
        return deadline - (time.perf_counter() - t_run)

    def budgeted(name: str, size: int | None, fn, need: float) -> None:
        """Run section ``fn`` only when at least ``need`` s of the run's budget are left; else say so."""
        if left() < need:
            key = f"{name}@{size}" if size else name
            R["sections"][key] = {"value": None, "s": 0.0, "load": loadavg(),
                                  "status": f"not run: {left():.0f} s left of the run's {args.deadline_min:g}-minute "
                                            f"budget (this section needs about {need:.0f} s)"}
            log(f"{key}: not run (budget)")
            return
        section(name, size, fn)

    order = sorted(sizes, key=lambda n: n != largest)  # the target size first
    for n in order:
        url = f"duckdb:///{dbs[n]}"
        out = work / f"apptest_{n}.json"
        wargs = ["--worker", "apptest", "--worker-db", url, "--worker-out", str(out), "--pages", *pages]
        if "filters" not in skip:
            wargs.append("--filters")
        if n == largest:
            wargs.append("--profile")
        # the filter changes stop when this size's share of the budget is used (pages and profile always run)
        wargs += ["--budget", str(max(60.0, left() * (0.30 if n == largest else 0.12)))]

        def server_side(wargs=wargs, out=out):
            try:
                rc, tail = _sub(wargs, max(left(), 600))
            except subprocess.TimeoutExpired:
                rc, tail = 1, "killed at the run's deadline"
            if rc != 0:
                if out.is_file():
                    part = json.loads(out.read_text())
                    part["stopped"] = tail[-500:]
                    return part
                raise RuntimeError(tail[-1500:])
            return json.loads(out.read_text())
        if "server" not in skip:
            section("server", n, server_side)
        if "cli" not in skip:
            budgeted("cli", n, lambda url=url: cli_timings(url, work), 30)
    for n in order:
        if "chromium" not in skip:
            url = f"duckdb:///{dbs[n]}"
            charts = {r["page"]: r["charts"] for r in (_val(R, f"server@{n}") or {}).get("pages", [])}
            budgeted("chromium", n, lambda url=url, n=n, charts=charts: chromium_pages(
                url, pages, "session" not in skip, 60.0 if args.quick else 300.0,
                stop_at=time.perf_counter() + left() - (240 if n == largest else 420), expected=charts), 120)
    if "ingest" not in skip:
        small = min(sizes)
        budgeted("ingest", None, lambda: ingest_rates(dbs[small], work), 90)
    def run_spark(n: int, cap: float) -> None:
        out = work / f"spark_{n}.json"

        def spark():
            avail = left()
            budget = 20.0 if args.quick else min(cap, avail - 90)
            try:
                rc, tail = _sub(["--worker", "spark", "--worker-db", str(dbs[n]), "--worker-out", str(out),
                                 "--spark-budget", str(budget)], avail)
            except subprocess.TimeoutExpired:
                if not out.is_file():
                    raise RuntimeError(f"the gate on Spark did not finish in the {avail:.0f} s left of the "
                                       f"{args.deadline_min:g}-minute budget")
                partial = json.loads(out.read_text())
                partial["stopped"] = f"killed when the run's {args.deadline_min:g}-minute budget ran out"
                return partial
            if rc != 0:
                raise RuntimeError(tail[-1500:])
            return json.loads(out.read_text())
        budgeted("spark", n, spark, 60 if args.quick else 150)

    small_spark = [n for n in spark_sizes if n < largest] if "spark" not in skip else []
    for n in small_spark:  # Spark at 200k before the peers, the largest Spark size with what is left at the end
        run_spark(n, 240.0)
    if "peers" not in skip:
        def peers():
            out = work / "peers.json"
            cmd = [sys.executable, str(HERE / "run.py"), "--out", str(out), "--cache", str(work / "inputs"),
                   "--db", str(dbs[largest])]
            cmd += ["--quick", "--items", "300"] if args.quick else ["--repeat", "1"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=max(left(), 300), cwd=ROOT)
            if not out.is_file():
                raise RuntimeError(p.stderr[-1500:])
            return {**json.loads(out.read_text()), "rc": p.returncode}
        budgeted("peers", None, peers, 60 if args.quick else 300)
    if "spark" not in skip:
        for n in spark_sizes:
            if n not in small_spark:
                run_spark(n, args.spark_budget)
    R["load_end"] = loadavg()
    R["elapsed_s"] = time.perf_counter() - t_run
    R["failed_sections"] = failed
    text, differs = render(R)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    raw = (HERE / "results" / f"results-{started:%Y%m%d-%H%M%S}.json"  # gitignored: the raw figures
           if args.out.resolve() == (HERE / "RESULTS.md").resolve() else args.out.with_suffix(".json"))
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(R, indent=1, default=str))
    print(f"wrote {args.out} in {R['elapsed_s'] / 60:.1f} min; load {R['load_start']} -> {R['load_end']}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if (differs or failed) else 0


if __name__ == "__main__":
    sys.exit(main())
