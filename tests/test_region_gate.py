"""Gate rules of the region kinds (issue 13; analytics/kinds/region_rules.py through KindSpec.rules): labelqa gate on
the boxes and spans demo projects (text, JSON, exit codes), each check's number equal to the kind's metric computed
independently, the labelqa.toml section honoured, the multilabel MASI alpha rule, and the overview page of a
boxes project."""
from __future__ import annotations

import json

import numpy as np
import pytest

from analytics.cli import main
from analytics.kinds.boxes import db as bdb
from analytics.kinds.boxes.accuracy import localisation_bias, miss_rates
from analytics.kinds.boxes.agreement import box_agreement
from analytics.kinds.region_rules import abs_interval
from analytics.kinds.spans import db as sdb
from analytics.kinds.spans.agreement import span_agreement
from dbutil import open_dashboard_page


def _gate_json(capsys, *args) -> tuple[int, dict]:
    code = main(["gate", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def _checks(d: dict) -> dict:
    return {(c["rule"], c["scope"]): c for c in d["checks"]}


def test_abs_interval():
    assert abs_interval(-0.16, -0.17, -0.15) == (0.16, 0.15, 0.17)
    assert abs_interval(0.02, -0.01, 0.05) == (0.02, 0.0, 0.05)
    assert all(np.isnan(abs_interval(float("nan"), 0, 1)))


def test_boxes_gate_fails_the_undersized_annotator(demo_url, demo_engine, capsys, tmp_path):
    code, d = _gate_json(capsys, "--db", demo_url, "--project", "roadcam")
    c = _checks(d)
    assert d["project_id"] == "roadcam" and d["scope"] == "whole project"
    # size bias per annotator: |mean log area ratio| judged on its lower bound; only bx_02 (planted 15% small) fails
    boxes, gold = bdb.boxes_from_db(demo_engine, "roadcam"), bdb.gold_boxes_from_db(demo_engine, "roadcam")
    lb = localisation_bias(boxes, gold, by=("annotator_id",)).set_index("annotator_id")
    size = {k[1]: v for k, v in c.items() if k[0] == "region_size_bias"}
    assert set(size) == {f"annotator bx_{k:02d}" for k in range(1, 10)}
    bx02 = size["annotator bx_02"]
    assert bx02["outcome"] == "fail" and bx02["value"] == pytest.approx(-lb.loc["bx_02", "log_area_ratio"])
    assert bx02["compared"] == pytest.approx(-lb.loc["bx_02", "log_area_ratio_ci_high"]) and bx02["n"] > 400
    assert all(v["outcome"] == "pass" for k, v in size.items() if k != "annotator bx_02")
    # F1 per class (IoU-matched pairwise F1, lower bound) equals the agreement metric; critical tier from label_classes
    agr = box_agreement(boxes, 0.5, n_boot=500)["per_label"]
    for lab in ("car", "truck", "pedestrian", "bicycle", "motorcycle"):
        ch = c[("region_f1", f"class {lab}")]
        assert ch["value"] == pytest.approx(agr[lab]["mean"]) and ch["ci_low"] == pytest.approx(agr[lab]["ci_low"])
        assert ch["tier"] == ("critical" if lab in ("pedestrian", "bicycle") else "standard")
    # miss rate: critical classes only (standard disabled by default), 1 - recall
    mr = miss_rates(boxes, gold, by=("label",)).set_index("label")
    miss = {k[1]: v for k, v in c.items() if k[0] == "region_miss_rate"}
    assert set(miss) == {"class pedestrian", "class bicycle"}
    assert miss["class bicycle"]["value"] == pytest.approx(mr.loc["bicycle", "miss_rate"])
    assert code == 1 and d["exit_code"] == 1 and d["outcome"] == "fail"
    # text output names the failing annotator; a labelqa.toml that allows 20% size bias passes bx_02
    assert main(["gate", "--db", demo_url, "--project", "roadcam"]) == 1
    out = capsys.readouterr().out
    assert "annotator bx_02" in out and "FAIL (exit 1)" in out
    relaxed = tmp_path / "relaxed.toml"
    relaxed.write_text("[rules.region_size_bias]\nmax = 0.20\nwarn = 0.18\n[rules.region_f1.critical]\nmin = 0.5\n"
                       "[rules.region_miss_rate.critical]\nmax = 0.5\n", encoding="utf-8")
    code, d = _gate_json(capsys, "--db", demo_url, "--project", "roadcam", "--config", str(relaxed))
    assert _checks(d)[("region_size_bias", "annotator bx_02")]["outcome"] == "pass"
    assert code == 0 and d["counts"]["fail"] == 0
    # a batch: judged alone; an unknown batch is a usage error
    code, d = _gate_json(capsys, "--db", demo_url, "--project", "roadcam", "--batch", "roadcam-b01")
    assert d["scope"] == "batch roadcam-b01" and code in (0, 1) and code == d["exit_code"]
    b1 = _checks(d)[("region_size_bias", "annotator bx_02")]
    assert 0 < b1["n"] < bx02["n"]
    assert main(["gate", "--db", demo_url, "--project", "roadcam", "--batch", "zz"]) == 2
    assert "unknown batch 'zz'" in capsys.readouterr().err


def test_spans_gate_judges_span_f1_per_class(demo_url, demo_engine, capsys):
    code, d = _gate_json(capsys, "--db", demo_url, "--project", "newswire")
    c = _checks(d)
    spans = sdb.spans_from_db(demo_engine, "newswire")
    agr = span_agreement(spans, n_boot=500)["per_label"]
    for lab in ("PER", "ORG", "LOC"):
        ch = c[("region_f1", f"class {lab}")]
        assert ch["value"] == pytest.approx(agr[lab]["mean"]) and ch["ci_low"] == pytest.approx(agr[lab]["ci_low"])
    # PER is critical (>= 0.80 on the lower bound): the merging annotator and guideline v1 keep it under
    assert c[("region_f1", "class PER")]["tier"] == "critical" and c[("region_f1", "class PER")]["outcome"] == "fail"
    assert not any(k[0] == "region_size_bias" for k in c)  # boxes only
    assert set(k[1] for k in c if k[0] == "region_miss_rate") == {"class PER"}
    assert c[("region_miss_rate", "class PER")]["value"] < 0.1
    assert code == 1
    # the v2 weeks alone agree better than the whole project
    code2, d2 = _gate_json(capsys, "--db", demo_url, "--project", "newswire", "--since", "2026-06-22")
    assert d2["scope"].startswith("since 2026-06-22")
    assert _checks(d2)[("region_f1", "class PER")]["value"] > c[("region_f1", "class PER")]["value"] + 0.05


def test_multilabel_masi_alpha_rule(tmp_path, tmp_duckdb_url):
    from test_kinds_db import _load_regions

    from analytics.db import make_engine
    from analytics.kinds.multilabel import db as mdb
    from analytics.kinds.region_rules import evaluate_multilabel
    from analytics.thresholds import load_thresholds

    _load_regions(tmp_path, tmp_duckdb_url)
    eng = make_engine(tmp_duckdb_url, read_only=True)
    ref = mdb.multilabel_agreement_from_db(eng, "tag", n_boot=500)["overall"]
    cfg = tmp_path / "ml.toml"
    cfg.write_text("[rules.masi_alpha]\nmin = 0.99\nwarn = 0.995\nseverity = \"fail\"\njudge = \"value\"\nmin_n = 1\n",
                   encoding="utf-8")
    with eng.connect() as con:
        ev = evaluate_multilabel(con, "tag", None, load_thresholds(cfg))
    (ch,) = ev.checks
    assert ch.rule == "masi_alpha" and ch.subject == "overall"
    assert ch.value == pytest.approx(ref["masi_alpha"]) and ch.n == ref["n_items"]
    assert (ch.outcome == "fail") == (ref["masi_alpha"] < 0.99) and ev.exit_code == (1 if ch.outcome == "fail" else 0)
    eng.dispose()


def test_overview_page_of_a_boxes_project(demo_url, monkeypatch):
    # it draws without an exception (open_dashboard_page asserts none) and names the project; its KPIs read the
    # classification annotations, so it says this project has none (the regions page holds its numbers)
    at = open_dashboard_page(demo_url, "roadcam", "overview", monkeypatch)
    assert "Roadcam detection" in " ".join(c.value for c in at.caption)
    assert not at.error
