"""Concurrent dashboard sessions on loopback: how long each first page takes when N users open it at once.

    .venv/bin/python benchmarks/sessions.py --sessions 20 --db duckdb:////path/to/demo.duckdb
    .venv/bin/python benchmarks/sessions.py --sessions 20 --db ... --client browser   # headless Chromium instead

Starts ``streamlit run app.py`` on a free loopback port against ``--db`` (default: the embedded demo database),
then opens ``--sessions`` Streamlit sessions, all at the same moment, and measures per session the time to the
first plotly chart and to the end of the page's script run. Bounded: 1-50 sessions, each with ``--timeout``
seconds; the run ends when the last one finishes or times out; the server gets 120 s to start. Prints p50 / p95
/ max of both times, timeouts, failed sessions (an ``Exception`` element, an ``st.error`` alert, a page not found
or a broken stream), the server's peak RSS and CPU seconds, the load generator's CPU seconds and the machine's
load average. Not a test: no assertion on time (``sessions_over_target`` counts first charts later than
``--target``, 30 s, the figure of issue 10); the exit code is 1 when a session failed or timed out.

Two load generators (``--client``):

``protocol`` (default): each session is a websocket to ``/_stcore/stream`` speaking Streamlit's own protocol,
as the browser's frontend does, without rendering anything. It sends the one ``BackMsg`` the frontend sends for
a first page load (``App.sendRerunBackMsg`` with no current page): ``rerun_script`` with a ``ClientState`` of the
URL's query string, empty widget states, ``page_script_hash`` "" and ``page_name`` the URL path below the base
("" for the default page, "coverage" for /coverage; the server resolves the page from it), and a
``ContextInfo`` (timezone, offset, locale, url, not embedded, colour scheme). It then reads ``ForwardMsg``s until
``script_finished`` is FINISHED_SUCCESSFULLY (FINISHED_EARLY_FOR_RERUN means the script reran: reading goes on),
counting deltas and element types. The client costs about 0.1 CPU-s per session, so the figures are the
server's, not the load generator's. ``--assets FILE`` first fetches, per session, the files a first visit
without a browser cache loads (the document, ~120 scripts and fonts, 8.7 MB; the list is written by browser
mode's ``--save-assets``), so the server's static serving is part of the load. Uses ``websockets`` (a
dependency of Streamlit since its server became Starlette/uvicorn; 1.67 here), else tornado's websocket client.

``browser``: headless Chromium at /usr/bin/chromium (playwright, the ``test`` extra), one browser context per
session. Time to the first chart is the first ``stPlotlyChart .main-svg`` drawn; the page's websocket frames are
decoded with the same accounting as the protocol client. It records every request the page makes:
``non_loopback_requests`` counts those whose host is not 127.0.0.1/localhost (the dashboard loads nothing from
the network), and reports the BackMsgs the frontend sent.

``--count-sql`` puts a ``sitecustomize`` hook on the server's PYTHONPATH that logs every statement the server runs
through SQLAlchemy: ``sql_statements`` (all), ``sql_distinct`` (text + parameters) and the repeated ones. Identical
queries from concurrent sessions are computed once (``st.cache_data`` with Streamlit's per-key compute lock), so
20 sessions run as many statements as one.

Faithfulness, checked 2026-12-04 with Streamlit 1.67.0 on the 200k demo's overview, one session each: the
frontend sent exactly one BackMsg, ``rerun_script`` {query_string "", page_script_hash "", page_name "",
widget_states {}, context_info {timezone "UTC", timezone_offset 0, locale "en-US", url, is_embedded false,
color_scheme "light"}, fragment_id "", is_auto_rerun false, cached_message_hashes [], is_history_navigation
false}: the message the protocol client sends (the last four are the defaults it leaves unset). Both received
the same elements: date_input 1, heading 3, markdown 25, metric 5, page_link 10, plotly_chart 1, selectbox 5
(deltas 115 vs 117: spinner blocks differ with timing); Chromium drew 1 plotly chart (the overview's 26-week
trends figure of subplots). The browser made 123 requests, 0 of them off loopback.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_S = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------------------- /proc sampling
_TICK = os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime + stime in seconds) of one process; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return None


def _cpu_s(pid: int) -> float:
    st = _stat(pid)
    return st[1] if st else 0.0


def _descendants_cpu(root: int, exclude: int) -> dict[int, float]:
    """CPU seconds of every live process below ``root`` (its whole tree), leaving out ``exclude``'s tree."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            st = _stat(int(d.name))
            if st:
                parent[int(d.name)], cpu[int(d.name)] = st
    out: dict[int, float] = {}
    for pid in cpu:
        p, seen = pid, 0
        while p in parent and p not in (root, exclude, 0, 1) and seen < 64:
            p, seen = parent[p], seen + 1
        if p == root and pid != exclude:
            out[pid] = cpu[pid]
    return out


class Sampler(threading.Thread):
    """Every 0.2 s: the server's RSS (peak) and CPU, the load generator's CPU (this process and its children:
    Chromium in browser mode; each process's last reading is kept, so a browser that exits still counts) and the
    machine's 1-minute load average (peak)."""

    def __init__(self, server_pid: int):
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.stop_event = threading.Event()
        self.rss_peak = 0.0
        self.server_cpu0 = _cpu_s(server_pid)
        self.server_cpu = self.server_cpu0
        self.children_cpu: dict[int, float] = {}
        self.own_cpu0 = time.process_time()
        self.load_peak = os.getloadavg()[0]

    def sample(self) -> None:
        self.rss_peak = max(self.rss_peak, _rss_mb(self.server_pid))
        self.server_cpu = max(self.server_cpu, _cpu_s(self.server_pid))
        self.children_cpu.update(_descendants_cpu(os.getpid(), exclude=self.server_pid))
        self.load_peak = max(self.load_peak, os.getloadavg()[0])

    def run(self) -> None:
        while not self.stop_event.wait(0.2):
            self.sample()

    def finish(self) -> dict:
        self.stop_event.set()
        self.join(timeout=5)
        self.sample()
        own = time.process_time() - self.own_cpu0
        return {"server_rss_peak_mb": round(self.rss_peak),
                "server_cpu_s": round(self.server_cpu - self.server_cpu0, 1),
                "load_generator_cpu_s": round(own + sum(self.children_cpu.values()), 1),
                "load_avg_1m_peak": round(self.load_peak, 2)}


# ------------------------------------------------------------------------------------------- the server
# Loaded by the server's interpreter when --count-sql puts its folder first on PYTHONPATH: every statement the
# server sends through SQLAlchemy is appended to $LABELQA_BENCH_SQL_LOG (a hash of text + parameters, then the text).
_SQL_HOOK = """
import os
if os.environ.get("LABELQA_BENCH_SQL_LOG"):
    import hashlib, threading
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    _lock, _log = threading.Lock(), os.environ["LABELQA_BENCH_SQL_LOG"]

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        key = hashlib.sha1((statement + repr(parameters)).encode()).hexdigest()[:16]
        with _lock, open(_log, "a") as fh:
            fh.write(key + " " + " ".join(statement.split())[:100] + "\\n")
"""


def _start_server(db: str | None, sql_log: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ)
    if db:
        env["LABELQA_DB_URL"] = db
    if sql_log is not None:
        hook = sql_log.parent / "sql_hook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(_SQL_HOOK)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(hook), env.get("PYTHONPATH", "")) if p)
        env["LABELQA_BENCH_SQL_LOG"] = str(sql_log)
    streamlit = str(Path(sys.executable).parent / "streamlit")
    proc = subprocess.Popen([streamlit, "run", "app.py", "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + SERVER_START_S
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, base
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    _stop_server(proc)
    raise SystemExit("streamlit did not start")


def sql_counts(log: Path) -> dict:
    """Statements the server ran: in all, distinct (text + parameters), and the ones run more than once."""
    keys = collections.Counter()
    text: dict[str, str] = {}
    for line in log.read_text().splitlines() if log.is_file() else []:
        key, _, stmt = line.partition(" ")
        keys[key] += 1
        text[key] = stmt
    repeated = {text[k][:60]: n for k, n in keys.most_common() if n > 1}
    return {"sql_statements": sum(keys.values()), "sql_distinct": len(keys), "sql_repeated": repeated}


def _stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# ------------------------------------------------------------------------------------ ForwardMsg accounting
class Tally:
    """What one session received, from its ForwardMsgs (the same accounting in both modes)."""

    def __init__(self, t0: float):
        self.t0 = t0
        self.first_chart_delta_s: float | None = None
        self.finished_s: float | None = None
        self.deltas = 0
        self.elements: collections.Counter = collections.Counter()
        self.exceptions: list[str] = []
        self.error_alerts: list[str] = []
        self.reruns = 0
        self.problems: list[str] = []
        self.finished = asyncio.Event()

    def feed(self, data: bytes) -> None:
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        now = time.perf_counter() - self.t0
        if kind == "delta":
            self.deltas += 1
            delta = msg.delta
            if delta.WhichOneof("type") != "new_element":
                return
            el = delta.new_element
            etype = el.WhichOneof("type")
            self.elements[etype] += 1
            if etype == "plotly_chart" and self.first_chart_delta_s is None:
                self.first_chart_delta_s = now
            elif etype == "exception":
                self.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
            elif etype == "alert" and el.alert.format == Alert.ERROR:
                self.error_alerts.append(el.alert.body[:300])
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if status == "FINISHED_EARLY_FOR_RERUN":
                self.reruns += 1
            elif status != "FINISHED_FRAGMENT_RUN_SUCCESSFULLY":
                if status != "FINISHED_SUCCESSFULLY":
                    self.problems.append(status)
                self.finished_s = now
                self.finished.set()
        elif kind == "page_not_found":
            self.problems.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "ref_hash":  # a cached message we never announced (cached_message_hashes is empty)
            self.problems.append("ref_hash message (client cache not implemented)")

    def result(self) -> dict:
        return {"first_chart_delta_s": self.first_chart_delta_s, "finished_s": self.finished_s,
                "deltas": self.deltas, "elements": dict(self.elements), "exceptions": self.exceptions,
                "error_alerts": self.error_alerts, "reruns": self.reruns, "problems": self.problems}


# --------------------------------------------------------------------------------------- protocol client
def first_page_backmsg(base: str, page: str, query: str) -> bytes:
    """The BackMsg Streamlit's frontend sends when a page is first opened (``App.sendRerunBackMsg`` with no
    current page: page_script_hash "", page_name = the URL path below the base, the URL's query string)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    cs = msg.rerun_script
    cs.query_string = query
    cs.widget_states.SetInParent()
    cs.page_script_hash = ""
    cs.page_name = page.strip("/")
    info = cs.context_info
    info.timezone = "UTC"
    info.timezone_offset = 0
    info.locale = "en-US"
    info.url = f"{base}/{page.strip('/')}" + (f"?{query}" if query else "")
    info.is_embedded = False
    info.color_scheme = "light"
    return msg.SerializeToString()


class _Stream:
    """A binary websocket to the server: ``websockets`` when installed (Streamlit >= 1.50), else tornado."""

    def __init__(self, conn, kind: str):
        self.conn, self.kind = conn, kind

    @classmethod
    async def open(cls, url: str, origin: str) -> "_Stream":
        try:
            from websockets.asyncio.client import connect
        except ImportError:
            connect = None
        if connect is not None:
            conn = await connect(url, subprotocols=["streamlit"], origin=origin, max_size=None,
                                 open_timeout=None, ping_interval=None, compression=None)
            return cls(conn, "websockets")
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        conn = await websocket_connect(HTTPRequest(url, headers={"Origin": origin}), subprotocols=["streamlit"],
                                       max_message_size=1 << 30)
        return cls(conn, "tornado")

    async def send(self, data: bytes) -> None:
        if self.kind == "websockets":
            await self.conn.send(data)
        else:
            await self.conn.write_message(data, binary=True)

    async def recv(self) -> bytes | None:
        """The next binary message; None when the server closed the stream."""
        if self.kind == "websockets":
            from websockets.exceptions import ConnectionClosed

            try:
                return await self.conn.recv()
            except ConnectionClosed:
                return None
        return await self.conn.read_message()

    async def close(self) -> None:
        if self.kind == "websockets":
            await self.conn.close()
        else:
            self.conn.close()


def _get(url: str) -> int:
    """GET one URL as a browser does (compressed if the server offers it); the body's size in bytes."""
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate, br", "User-Agent": "sessions.py"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return len(r.read())


async def _fetch_assets(base: str, assets: list[str], pool, parallel: int = 6) -> int:
    """Fetch a first visit's files (the page, its scripts, fonts, icon), ``parallel`` at a time like a browser's
    per-host limit; the bytes received."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(parallel)

    async def one(path: str) -> int:
        async with gate:
            return await loop.run_in_executor(pool, _get, base + path)

    return sum(await asyncio.gather(*(one(a) for a in assets)))


async def _protocol_session(base: str, page: str, query: str, timeout: float, start: asyncio.Event,
                            release: asyncio.Event, answers: asyncio.Queue, assets: list[str] | None = None,
                            pool=None) -> dict:
    url = "ws://" + base.split("://", 1)[1] + "/_stcore/stream"
    backmsg = first_page_backmsg(base, page, query)
    await start.wait()
    tally = Tally(time.perf_counter())
    out: dict = {"error": None}
    stream = None
    try:
        async with asyncio.timeout(timeout):
            # media files (the page icon) exist once the script has run set_page_config: fetched after the run
            media = [a for a in assets or [] if a.startswith("/media/")]
            if assets:
                out["asset_bytes"] = await _fetch_assets(base, [a for a in assets if a not in media], pool)
                out["assets_s"] = time.perf_counter() - tally.t0
            stream = await _Stream.open(url, origin=base)
            await stream.send(backmsg)
            while not tally.finished.is_set():
                data = await stream.recv()
                if data is None:
                    raise ConnectionError("the server closed the stream before the script finished")
                if isinstance(data, bytes):
                    tally.feed(data)
            if media:
                out["asset_bytes"] += await _fetch_assets(base, media, pool)
    except TimeoutError:
        out["error"] = "timeout"
    except Exception as exc:  # noqa: BLE001 - a broken session is a result here
        out["error"] = f"{type(exc).__name__}: {exc}"[:300]
    out.update(tally.result())
    out["first_chart_s"] = tally.first_chart_delta_s
    answers.put_nowait(1)
    try:  # hold the session open, as a user's tab is, until every session has its answer
        if stream is not None:
            await asyncio.wait_for(release.wait(), timeout + 30)
    except TimeoutError:
        pass
    finally:
        if stream is not None:
            try:
                await asyncio.wait_for(stream.close(), 5)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
    return out


# ---------------------------------------------------------------------------------------- browser client
async def _browser_session(browser, base: str, page: str, query: str, timeout: float, start: asyncio.Event,
                           release: asyncio.Event, answers: asyncio.Queue) -> dict:
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from google.protobuf.json_format import MessageToDict

    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(timeout * 1000)  # playwright's own 30 s default would cut sessions short
    page_ = await ctx.new_page()
    tally = Tally(0.0)
    sent: list[dict] = []
    requests: list[str] = []

    def on_ws(ws) -> None:
        if not ws.url.endswith("/_stcore/stream"):
            return
        ws.on("framereceived", lambda payload: tally.feed(payload) if isinstance(payload, bytes) else None)

        def on_sent(payload) -> None:
            if isinstance(payload, bytes):
                m = BackMsg()
                m.ParseFromString(payload)
                sent.append(MessageToDict(m, preserving_proto_field_name=True, always_print_fields_with_no_presence=True))
        ws.on("framesent", on_sent)

    page_.on("websocket", on_ws)
    ctx.on("request", lambda req: requests.append(req.url))
    url = f"{base}/{page.strip('/')}" + (f"?{query}" if query else "")
    await start.wait()
    tally.t0 = t0 = time.perf_counter()
    out: dict = {"error": None, "first_chart_s": None, "charts_drawn": None}
    try:
        async with asyncio.timeout(timeout):
            await page_.goto(url)

            async def drawn() -> float:
                await page_.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
                return time.perf_counter() - t0

            chart = asyncio.create_task(drawn())
            await tally.finished.wait()
            want = tally.elements.get("plotly_chart", 0)
            if want:
                out["first_chart_s"] = await chart
            else:  # a page without charts: nothing to wait for
                chart.cancel()
                await asyncio.gather(chart, return_exceptions=True)
        # every chart the server sent, drawn (bounded; what was drawn by then is counted)
        try:
            await page_.wait_for_function(
                f"document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= {want}",
                timeout=15_000)
        except Exception:  # noqa: BLE001 - the count below says what was drawn
            pass
        out["charts_drawn"] = await page_.locator('[data-testid="stPlotlyChart"]').count()
        out["exceptions_drawn"] = await page_.locator('[data-testid="stException"]').count()
    except TimeoutError:
        out["error"] = "timeout"
    except Exception as exc:  # noqa: BLE001 - a broken session is a result here
        out["error"] = f"{type(exc).__name__}: {exc}"[:300]
    out.update(tally.result())
    out["backmsgs_sent"] = sent
    out["requests"] = len(requests)
    out["request_paths"] = [u[len(base):] for u in requests if u.startswith(base + "/")]
    out["non_loopback"] = [u for u in requests if (urllib.parse.urlsplit(u).hostname or "") not in LOOPBACK
                           and not u.startswith(("data:", "blob:", "about:"))]
    answers.put_nowait(1)
    try:
        await asyncio.wait_for(release.wait(), timeout + 30)
    except TimeoutError:
        pass
    finally:
        try:
            await asyncio.wait_for(ctx.close(), 30)
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
    return out


# ---------------------------------------------------------------------------------------------- the run
async def _run(client: str, base: str, page: str, query: str, n: int, timeout: float,
               assets: list[str] | None = None) -> list[dict]:
    """``n`` sessions of ``client``; each waits for one start signal, and is held open (as a user's tab is)
    until every session has its answer (finished, failed or timed out)."""
    start, release = asyncio.Event(), asyncio.Event()
    answers: asyncio.Queue = asyncio.Queue()

    async def drive(session) -> list[dict]:
        tasks = [asyncio.create_task(session()) for _ in range(n)]
        await asyncio.sleep(1.0)  # every session ready before anyone starts
        start.set()
        try:
            async with asyncio.timeout(timeout + 60):
                for _ in range(n):
                    await answers.get()
        except TimeoutError:
            pass
        release.set()
        return list(await asyncio.gather(*tasks))

    if client == "protocol":
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(64, 6 * n)) as pool:
            return await drive(lambda: _protocol_session(base, page, query, timeout, start, release, answers,
                                                         assets, pool))

    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            return await drive(lambda: _browser_session(browser, base, page, query, timeout, start, release, answers))
        finally:
            await asyncio.wait_for(browser.close(), 30)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(round(q * (len(v) - 1))))], 2)


def summarise(results: list[dict], target: float) -> dict:
    first = [r["first_chart_s"] for r in results if r["first_chart_s"] is not None]
    fin = [r["finished_s"] for r in results if r["finished_s"] is not None]
    failed = [r for r in results if r["exceptions"] or r["error_alerts"] or r["problems"]
              or (r["error"] and r["error"] != "timeout")]
    out = {
        "sessions": len(results),
        "finished": sum(r["finished_s"] is not None and not r["error"] for r in results),
        "timeouts": sum(r["error"] == "timeout" for r in results),
        "failed_sessions": len(failed),
        "sessions_with_exception": sum(bool(r["exceptions"]) for r in results),
        "sessions_without_chart": sum(r["first_chart_s"] is None for r in results),
        "sessions_over_target": sum(r["first_chart_s"] is None or r["first_chart_s"] > target for r in results),
        "first_chart_p50_s": _pct(first, 0.5), "first_chart_p95_s": _pct(first, 0.95),
        "first_chart_max_s": _pct(first, 1.0),
        "finished_p50_s": _pct(fin, 0.5), "finished_p95_s": _pct(fin, 0.95), "finished_max_s": _pct(fin, 1.0),
        "deltas_per_session": sorted({r["deltas"] for r in results}),
        "reruns": sum(r["reruns"] for r in results),
    }
    if failed:
        r = failed[0]
        out["first_failure"] = (r["exceptions"] or r["error_alerts"] or r["problems"] or [r["error"]])[0]
    if any("assets_s" in r for r in results):
        done = [r["assets_s"] for r in results if "assets_s" in r]
        out["asset_mb_per_session"] = round(max(r.get("asset_bytes", 0) for r in results) / 1e6, 2)
        out["assets_p50_s"], out["assets_max_s"] = _pct(done, 0.5), _pct(done, 1.0)
    out["elements_session_0"] = dict(sorted(results[0]["elements"].items()))
    if "non_loopback" in results[0]:
        nl = [u for r in results for u in r["non_loopback"]]
        out["non_loopback_requests"] = len(nl)
        if nl:
            out["non_loopback_examples"] = sorted(set(nl))[:5]
        out["requests_per_session"] = sorted({r["requests"] for r in results})
        out["charts_drawn_session_0"] = results[0].get("charts_drawn")
        out["backmsgs_sent_session_0"] = results[0]["backmsgs_sent"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--client", choices=("protocol", "browser"), default="protocol",
                    help="protocol: websocket clients speaking Streamlit's protocol (default); browser: headless Chromium")
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: LABELQA_DB_URL, else the embedded demo)")
    ap.add_argument("--page", default="", help="url path of the page to open (default: the overview)")
    ap.add_argument("--query", default="", help="query string of the URL, without '?' (default: none)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds each session may take")
    ap.add_argument("--target", type=float, default=30.0, help="seconds a first chart should take (reported)")
    ap.add_argument("--save-assets", metavar="FILE", help="browser: write the paths the first session's page "
                    "fetched (its document, scripts, fonts, icon) to FILE, one a line")
    ap.add_argument("--assets", metavar="FILE", help="protocol: each session first fetches these paths (a file "
                    "written by --save-assets), as a first visit without a browser cache does")
    ap.add_argument("--count-sql", action="store_true", help="count the SQL statements the server runs (a "
                    "sitecustomize hook on the server's PYTHONPATH): identical statements from concurrent sessions "
                    "should run once")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    if args.assets and args.client != "protocol" or args.save_assets and args.client != "browser":
        ap.error("--assets goes with --client protocol, --save-assets with --client browser")
    assets = None
    if args.assets:
        assets = [ln.strip() for ln in Path(args.assets).read_text().splitlines() if ln.strip().startswith("/")]
        if not assets:
            ap.error(f"{args.assets} lists no path")
    if not 1 <= args.sessions <= 50:
        ap.error("--sessions must be between 1 and 50")
    if not 1 <= args.timeout <= 600:
        ap.error("--timeout must be between 1 and 600 seconds")
    load_before = os.getloadavg()
    tmp = tempfile.TemporaryDirectory(prefix="labelqa-sessions-")
    sql_log = Path(tmp.name) / "sql.log" if args.count_sql else None
    proc, base = _start_server(args.db, sql_log)
    sampler = Sampler(proc.pid)
    rss_idle = _rss_mb(proc.pid)
    sampler.start()
    try:
        results = asyncio.run(_run(args.client, base, args.page, args.query.lstrip("?"), args.sessions,
                                   args.timeout, assets))
        usage = sampler.finish()
    finally:
        sampler.stop_event.set()
        _stop_server(proc)
    if sql_log is not None:
        summary_sql = sql_counts(sql_log)
    tmp.cleanup()
    if args.save_assets:
        paths = [p for p in results[0].get("request_paths", []) if not p.startswith("/_stcore/stream")]
        Path(args.save_assets).write_text("".join(p + "\n" for p in paths))
    summary = {"client": args.client, "page": "/" + args.page.strip("/"), "query": args.query,
               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               **summarise(results, args.target), "server_rss_idle_mb": round(rss_idle), **usage,
               "load_avg_before": [round(x, 2) for x in load_before],
               "load_avg_after": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
               **(summary_sql if sql_log is not None else {})}
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k:>26}: {v}")
    return 0 if summary["timeouts"] == 0 and summary["failed_sessions"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
