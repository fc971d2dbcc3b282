"""Delivery reports for batches of the other annotation kinds (issues 12 and 13): ``labelqa report delivery`` on a
preference or region project judges the batch with the kind's rules (the same checks as ``labelqa gate --batch``),
gives each a client verdict, names no individual, and the dashboard's delivery page shows the same."""
from __future__ import annotations

import json
import re

import pytest

from analytics.cli import main
from analytics.render.report.kind_delivery import kind_delivery_report, render_kind_delivery_html
from dbutil import open_dashboard_page


def _last_batch(engine, project):
    import pandas as pd
    from sqlalchemy import text

    with engine.connect() as c:
        return str(pd.read_sql(text("SELECT batch_id FROM batches WHERE project_id = :p ORDER BY batch_id DESC"),
                               c, params={"p": project})["batch_id"].iloc[0])


@pytest.mark.parametrize("project", ["roadcam", "newswire", "assistant_prefs"])
def test_cli_delivery_of_a_kind_batch_equals_the_gate(project, demo_url, demo_engine, tmp_path, capsys):
    batch = _last_batch(demo_engine, project)
    out = tmp_path / "d.html"
    assert main(["report", "delivery", "--db", demo_url, "--project", project, "--batch", batch,
                 "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    capsys.readouterr()
    main(["gate", "--db", demo_url, "--project", project, "--batch", batch, "--format", "json"])
    gate = json.loads(capsys.readouterr().out)
    rep = kind_delivery_report(demo_engine, project, batch)
    assert [(c.rule, c.scope, c.value) for c in rep.checks] == [(c["rule"], c["scope"], c["value"])
                                                                 for c in gate["checks"]]
    assert len(rep.verdicts) == len(rep.checks) and set(rep.verdicts) <= {"met", "not met", "not enough evidence"}
    # every check on a class or dimension is a row; checks of one annotator or judge are counted, not named
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("Quality checks of the batch", 1)[1], flags=re.S)
    personal = [c for c in rep.checks if c.scope.startswith(("annotator ", "judge "))]
    assert len(rows) == 1 + len(rep.checks) - len(personal)  # header row + one per shown check
    for c in personal:
        assert c.scope.split(" ", 1)[1] not in html
    assert f"{len(rep.checks)} quality checks" in html and "<script" not in html
    def undated(h):
        return re.sub(r"Generated [^<]*", "", h)

    assert undated(html) == undated(render_kind_delivery_html(rep))  # the CLI writes exactly this report


def test_undersized_annotator_is_not_met_but_unnamed(demo_engine):
    """roadcam plants bx_02's 15%-too-small boxes: the whole-project batch with its boxes fails size bias."""
    import pandas as pd
    from sqlalchemy import text

    with demo_engine.connect() as c:
        batches = pd.read_sql(text("SELECT DISTINCT batch_id FROM box_annotations WHERE annotator_id = 'bx_02' "
                                   "ORDER BY 1"), c)["batch_id"].astype(str).tolist()
    rep = kind_delivery_report(demo_engine, "roadcam", batches[-1])
    bias = {c.scope: v for c, v in zip(rep.checks, rep.verdicts) if c.rule == "region_size_bias"}
    assert bias["annotator bx_02"] == "not met"
    assert "bx_02" not in render_kind_delivery_html(rep)


def test_delivery_page_of_a_preference_batch(demo_url, monkeypatch):
    at = open_dashboard_page(demo_url, "assistant_prefs", "delivery", monkeypatch)
    assert at.title[0].value.startswith("Delivery report") and "assistant_prefs-b" in at.title[0].value
    df = next(d.value for d in at.dataframe if "Verdict" in d.value.columns)
    assert len(df) > 0 and set(df["Verdict"]) <= {"meets its target", "below its target",
                                                   "not enough evidence to judge"}
    assert any(b.label.startswith("Download report") for b in at.get("download_button"))
