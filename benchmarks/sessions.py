"""Concurrent dashboard sessions on loopback: how long each first page takes when N users open it at once.

    .venv/bin/python benchmarks/sessions.py --sessions 20 --db duckdb:////path/to/demo.duckdb

Starts ``streamlit run app.py`` on a free loopback port against ``--db`` (default: the embedded demo database),
opens ``--sessions`` browser contexts in one headless Chromium (each context is its own Streamlit session, as
separate users are), all at the same moment, and measures per session the time from navigation to the first
chart drawn (``stPlotlyChart .main-svg``). Bounded: every session has ``--timeout`` seconds, the run ends
when the last one finishes or times out. Prints p50 / p95 / max, the number of timeouts and of pages showing an
exception, and the server's peak RSS (sampled every 0.2 s from /proc). Not a test: no assertion on time; the
target of issue 10 (20 sessions on the 200k demo, every first page within 30 s on a 2-core machine) is read
off its output. Needs the ``test`` extra (playwright) and Chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _chromium_cpu_s() -> float:
    """CPU seconds of every running Chromium process (the load generator's browsers)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if b"chrom" in (d / "cmdline").read_bytes()[:200]:
                    total += _cpu_s(int(d.name))
            except OSError:
                pass
    return total


def _start_server(db: str | None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ)
    if db:
        env["LABELQA_DB_URL"] = db
    streamlit = str(Path(sys.executable).parent / "streamlit")
    proc = subprocess.Popen([streamlit, "run", "app.py", "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, base
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("streamlit did not start")


async def _session(browser, url: str, timeout: float, start: asyncio.Event) -> dict:
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    await start.wait()
    t0 = time.perf_counter()
    out: dict = {"seconds": None, "exception": False}
    try:
        await page.goto(url, timeout=timeout * 1000)
        await page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg', timeout=timeout * 1000)
        out["seconds"] = time.perf_counter() - t0
        out["exception"] = await page.locator('[data-testid="stException"]').count() > 0
    except Exception as exc:  # noqa: BLE001 - a timeout is a result here
        out["error"] = type(exc).__name__
    finally:
        await ctx.close()
    return out


async def _run(base: str, page: str, n: int, timeout: float) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        start = asyncio.Event()
        tasks = [asyncio.create_task(_session(browser, f"{base}/{page}", timeout, start)) for _ in range(n)]
        await asyncio.sleep(1.0)  # every context open before anyone navigates
        start.set()
        results = await asyncio.gather(*tasks)
        await browser.close()
    return list(results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: LABELQA_DB_URL, else the embedded demo)")
    ap.add_argument("--page", default="", help="url path of the page to open (default: the overview)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds each session may take")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 50:
        ap.error("--sessions must be between 1 and 50")
    proc, base = _start_server(args.db)
    peak = [0.0]
    stop = threading.Event()
    # Where the CPU goes: the server's own CPU seconds, when it last worked (its CPU still rising), and the
    # browsers' CPU seconds (they share the machine's cores with the server in this set-up).
    cpu = {"server0": _cpu_s(proc.pid), "server": 0.0, "busy_until": 0.0, "chromium": 0.0, "t0": time.perf_counter()}

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_mb(proc.pid))
            now = _cpu_s(proc.pid)
            if now - cpu["server"] > 0.05 and cpu["server"]:
                cpu["busy_until"] = time.perf_counter() - cpu["t0"]
            cpu["server"] = now
            cpu["chromium"] = max(cpu["chromium"], _chromium_cpu_s())
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rss_idle = _rss_mb(proc.pid)
    try:
        results = asyncio.run(_run(base, args.page, args.sessions, args.timeout))
    finally:
        stop.set()
        sampler.join(timeout=2)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    done = sorted(r["seconds"] for r in results if r["seconds"] is not None)
    summary = {
        "sessions": args.sessions, "page": "/" + args.page, "finished": len(done),
        "timeouts": sum(r["seconds"] is None for r in results),
        "pages_with_exception": sum(bool(r["exception"]) for r in results),
        "p50_s": round(statistics.median(done), 2) if done else None,
        "p95_s": round(done[min(len(done) - 1, int(round(0.95 * (len(done) - 1))))], 2) if done else None,
        "max_s": round(done[-1], 2) if done else None,
        "server_rss_idle_mb": round(rss_idle), "server_rss_peak_mb": round(peak[0]),
        "server_cpu_s": round(cpu["server"] - cpu["server0"], 1),
        "server_busy_until_s": round(cpu["busy_until"] - 1.0, 1),  # from the moment the sessions navigate
        "browsers_cpu_s": round(cpu["chromium"], 1),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for k, v in summary.items():
            print(f"{k:>22}: {v}")
    return 0 if summary["timeouts"] == 0 and summary["pages_with_exception"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
