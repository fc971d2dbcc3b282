"""The protocol-level load client of benchmarks/sessions.py (issue 10 item 13): two sessions against the tiny
database speak Streamlit's websocket protocol to a real ``streamlit run app.py``, finish their first page
without an exception and receive the overview's plotly chart, and the server runs each SQL statement once for
both (the shared cache with in-flight de-duplication). Not timed: no assertion on seconds. The
accounting itself is checked on hand-made ForwardMsgs: an Exception element or an st.error alert fails the
session, a page without a chart is counted."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import sessions  # noqa: E402


def _delta(kind: str, **fields) -> bytes:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    el = msg.delta.new_element
    if kind == "plotly_chart":
        el.plotly_chart.spec = "{}"
    elif kind == "exception":
        el.exception.type, el.exception.message = fields["type"], fields["message"]
    elif kind == "error":
        el.alert.body, el.alert.format = fields["body"], el.alert.ERROR
    elif kind == "markdown":
        el.markdown.body = fields.get("body", "text")
    return msg.SerializeToString()


def _finished(status: str = "FINISHED_SUCCESSFULLY") -> bytes:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.script_finished = ForwardMsg.ScriptFinishedStatus.Value(status)
    return msg.SerializeToString()


def _session(*frames: bytes) -> dict:
    t = sessions.Tally(0.0)
    for f in frames:
        t.feed(f)
    out = {"error": None, **t.result()}
    out["first_chart_s"] = out["first_chart_delta_s"]
    return out


def test_accounting_fails_exceptions_and_errors_and_counts_missing_charts():
    ok = _session(_delta("markdown"), _delta("plotly_chart"), _finished("FINISHED_EARLY_FOR_RERUN"),
                  _delta("plotly_chart"), _finished())
    assert ok["elements"] == {"markdown": 1, "plotly_chart": 2} and ok["reruns"] == 1
    assert ok["finished_s"] is not None and ok["first_chart_s"] is not None
    broken = _session(_delta("exception", type="ValueError", message="no pre-labelled annotations"), _finished())
    alert = _session(_delta("error", body="**The database cannot be read.**"), _finished())
    s = sessions.summarise([ok, broken, alert], target=30.0)
    assert s["failed_sessions"] == 2 and s["sessions_with_exception"] == 1
    assert s["first_failure"] == "ValueError: no pre-labelled annotations"
    assert s["sessions_without_chart"] == 2  # neither failed page drew a chart
    assert sessions.summarise([ok], target=30.0)["failed_sessions"] == 0


def test_first_page_backmsg_is_what_the_frontend_sends():
    from streamlit.proto.BackMsg_pb2 import BackMsg

    m = BackMsg()
    m.ParseFromString(sessions.first_page_backmsg("http://127.0.0.1:1", "/coverage", "project=p1"))
    cs = m.rerun_script
    assert m.WhichOneof("type") == "rerun_script"
    assert (cs.query_string, cs.page_script_hash, cs.page_name) == ("project=p1", "", "coverage")
    assert cs.HasField("widget_states") and not cs.widget_states.widgets
    assert cs.context_info.url == "http://127.0.0.1:1/coverage?project=p1" and not cs.context_info.is_embedded


def test_two_protocol_sessions_finish_their_first_page_with_a_chart(tiny_db):
    url, _engine, _rows = tiny_db
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sessions.py"), "--sessions", "2",
                           "--db", url, "--timeout", "60", "--count-sql", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert proc.stdout.strip(), proc.stderr[-3000:]
    s = json.loads(proc.stdout.strip().splitlines()[-1])
    assert s["client"] == "protocol" and s["sessions"] == 2
    assert s["timeouts"] == 0 and s["failed_sessions"] == 0, s
    assert s["finished"] == 2 and s["sessions_without_chart"] == 0, s
    assert s["elements_session_0"].get("plotly_chart", 0) >= 1, s
    assert s["elements_session_0"].get("selectbox", 0) >= 1  # the sidebar's filters came with the page
    assert s["finished_max_s"] is not None and s["first_chart_max_s"] <= s["finished_max_s"] + 1e-9
    assert proc.returncode == 0
    assert s["server_rss_peak_mb"] > 0 and s["server_cpu_s"] > 0
    # the two sessions asked the same questions at the same moment: each statement ran once, not once per session
    # (a page may itself repeat a few statements; without the shared in-flight cache every one would run twice)
    assert s["sql_distinct"] >= 10, s
    assert s["sql_statements"] < 1.5 * s["sql_distinct"], s


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
