"""Smoke test of the benchmark harness (benchmarks/run.py --quick): every implementation, ours and the peers,
must give the same answer on the same input. No timing is asserted (timings are machine noise)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(BENCH))

from data import N_ANNOTATORS, make_frame  # noqa: E402
from run import TOLERANCE, compare_values  # noqa: E402

QUICK_ITEMS = 600


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, demo_url):
    """One ``--quick`` run of the real entry point (all cases in one process), on the session's demo database."""
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "quick.json"
    db = demo_url.removeprefix("duckdb:///")
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--items", str(QUICK_ITEMS), "--db", db,
         "--out", str(out), "--cache", str(tmp / "inputs")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout, tmp


def _rows(results, case):
    (c,) = [c for c in results["cases"] if c["case"] == case]
    return c["rows"]


CASES = ["krippendorff_alpha", "fleiss_kappa", "cohen_kappa", "dawid_skene", "page_agreement_week",
         "page_accuracy_class"]


@pytest.mark.parametrize("case", CASES)
def test_ours_and_peers_give_the_same_answer(quick_run, case):
    results, _, _ = quick_run
    rows = _rows(results, case)
    ours = [r for r in rows if r["ours"]]
    peers = [r for r in rows if not r["ours"] and r["status"] == "ok"]
    assert ours and all(r["status"] == "ok" for r in ours), [(r["impl"], r.get("error")) for r in ours]
    if not peers and all(r["status"] == "skipped" for r in rows if not r["ours"]):
        pytest.skip(f"no peer library installed for {case}: {[r.get('error') for r in rows if not r['ours']]}")
    assert peers, f"no peer ran for {case}: {[(r['impl'], r.get('error')) for r in rows]}"
    assert ours[0].get("reference"), "ours is the reference every peer is compared with"
    assert all(r["status"] in ("ok", "skipped") for r in rows), [(r["impl"], r.get("error")) for r in rows]
    for r in ours + peers:
        assert r["max_abs_diff"] <= TOLERANCE
        assert r["best_s"] > 0 and r["rss_peak_mib"] > 0 and r["mem_delta_mib"] >= 0
    ref = ours[0]["answer"]
    for r in ours[1:] + peers:  # the stored answers themselves, not only the harness's verdict
        if isinstance(ref, float):
            assert r["answer"] == pytest.approx(ref, abs=TOLERANCE)
        else:
            for key, val in ref.items():
                if isinstance(val, list) and val and isinstance(val[0], str):
                    assert r["answer"][key] == val
                elif isinstance(val, list):
                    np.testing.assert_allclose(np.asarray(r["answer"][key], float), np.asarray(val, float),
                                               atol=TOLERANCE, rtol=0)
    assert results["all_answers_identical"] is True


def test_quick_answers_match_an_independent_computation(quick_run):
    """The harness fed every implementation the real input: recompute two answers here from the same parquet."""
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    results, _, tmp = quick_run
    multi = pd.read_parquet(next((tmp / "inputs").glob("multi_*.parquet")))
    assert len(multi) == 3 * QUICK_ITEMS
    wide = multi.assign(code=pd.factorize(multi["label"])[0].astype(float)).pivot(
        index="annotator_id", columns="item_id", values="code")
    alpha = krippendorff.alpha(reliability_data=wide.to_numpy(), level_of_measurement="nominal")
    assert _rows(results, "krippendorff_alpha")[0]["answer"] == pytest.approx(alpha, abs=1e-12)

    pair = pd.read_parquet(next((tmp / "inputs").glob("pair_*.parquet")))
    w = pair.pivot(index="item_id", columns="annotator_id", values="label")
    kappa = cohen_kappa_score(w["ann_A"], w["ann_B"])
    assert _rows(results, "cohen_kappa")[0]["answer"] == pytest.approx(kappa, abs=1e-12)


def test_page_path_covers_every_week_and_class(quick_run, demo_engine):
    """The page-path answers are the demo's: 26 weeks of agreement, accuracy for every gold class."""
    from sqlalchemy import text

    results, stdout, _ = quick_run
    weeks = _rows(results, "page_agreement_week")[0]["answer"]["week"]
    assert weeks[0] == "2026-05-25" and len(weeks) == len(set(weeks)) and len(weeks) >= 20
    acc = _rows(results, "page_accuracy_class")[0]["answer"]
    with demo_engine.connect() as c:
        n_gold = c.execute(text(
            "SELECT COUNT(*) FROM annotations a JOIN items i ON i.item_id = a.item_id "
            "JOIN gold_labels g ON g.item_id = a.item_id WHERE i.project_id = 'streetscene'")).scalar_one()
    assert sum(acc["n"]) == n_gold
    assert "| LabelQA" in stdout and "time / fastest peer" in stdout  # the markdown table is printed


def test_isolated_run_measures_each_case_in_its_own_process(tmp_path):
    """The default mode of the real benchmark: a fresh process per case, peak RSS from the reset high-water mark."""
    out = tmp_path / "iso.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--isolate", "--items", "300", "--only", "cohen_kappa",
         "--out", str(out), "--cache", str(tmp_path / "inputs")],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["isolated"] is True and [c["case"] for c in results["cases"]] == ["cohen_kappa"]
    rows = results["cases"][0]["rows"]
    assert len(rows) >= 2 and all(r["status"] == "ok" for r in rows)
    for r in rows:
        assert r["rss_peak_mib"] >= r["rss_base_mib"] > 0
        if sys.platform.startswith("linux"):
            assert r["mem_method"].startswith("VmHWM")
    assert max(r["max_abs_diff"] for r in rows) <= TOLERANCE


def test_compare_values_rejects_a_different_answer():
    ref = {"value": np.asarray(0.5), "week": np.array(["a", "b"]), "n": np.array([3, 4])}
    assert compare_values(ref, dict(ref))[0]
    assert compare_values(ref, {**ref, "value": np.asarray(0.5 + 1e-10)})[0]
    same, diff, why = compare_values(ref, {**ref, "value": np.asarray(0.5 + 1e-6)})
    assert not same and diff == pytest.approx(1e-6) and "value" in why
    assert not compare_values(ref, {**ref, "week": np.array(["a", "c"])})[0]
    assert not compare_values(ref, {**ref, "n": np.array([3, 5])})[0]
    assert not compare_values(ref, {**ref, "n": np.array([3, 4, 5])})[0]
    assert not compare_values(ref, {k: v for k, v in ref.items() if k != "n"})[0]
    nan_ref = {"value": np.array([np.nan, 1.0])}
    assert compare_values(nan_ref, {"value": np.array([np.nan, 1.0])})[0]
    assert not compare_values(nan_ref, {"value": np.array([0.0, 1.0])})[0]


def test_synthetic_input_shape_and_determinism():
    df = make_frame("multi", 500, seed=3)
    assert list(df.columns) == ["item_id", "annotator_id", "label"] and len(df) == 1500
    per_item = df.groupby("item_id")["annotator_id"].nunique()
    assert (per_item == 3).all()  # three *distinct* annotators on every item
    assert df["annotator_id"].nunique() <= N_ANNOTATORS
    pd.testing.assert_frame_equal(df, make_frame("multi", 500, seed=3))
    assert not df.equals(make_frame("multi", 500, seed=4))
    pair = make_frame("pair", 200)
    assert sorted(pair["annotator_id"].unique()) == ["ann_A", "ann_B"] and len(pair) == 400
    with pytest.raises(ValueError, match="unknown input kind"):
        make_frame("triple", 10)


def test_results_quick_writes_every_section(tmp_path, demo_url):
    """``benchmarks/results.py --quick`` (what ``make bench`` writes to benchmarks/RESULTS.md, at a tiny size) on the
    session's demo database: the report has every section with measured rows, and no answer differs (peers vs ours,
    the issue's path variants vs today's query). Chromium and Spark are left out here: each adds minutes, and
    tests/test_browser.py and tests/test_spark.py run them; their sections must still say they were not run."""
    from conftest import TEST_DEMO_ANNOTATIONS

    n = TEST_DEMO_ANNOTATIONS
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "results.py"), "--quick", "--sizes", str(n), "--db",
         f"{n}={demo_url.removeprefix('duckdb:///')}", "--skip", "chromium", "spark", "--out", str(out),
         "--workdir", str(tmp_path / "work")],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    md = out.read_text()
    for heading in ("## Machine", "## Targets and measurements", f"## Pages at {n:,} annotations", "## CLI",
                    "## Ingest", "## Peers (benchmarks/run.py, same run)", "## Spark local[2] vs DuckDB",
                    f"## Profile at {n:,} annotations", "EXPLAIN ANALYZE", "### The issue's paths", "## Gap and plan"):
        assert heading in md, heading
    assert "ANSWER DIFFERS" not in md and "Sections that failed" not in md
    assert "Load average" in md and "cores" in md
    assert "Not run (skipped with `--skip spark`)" in md
    raw = json.loads(out.with_suffix(".json").read_text())
    server = raw["sections"][f"server@{n}"]["value"]
    assert [r["page"] for r in server["pages"]] == ["overview", "agreement"]
    for r in server["pages"]:
        assert r["cold_s"] > 0 and r["warm_s"] > 0 and r["n_queries"] > 0 and r["charts"] > 0 and not r["problems"]
    assert server["micro"]["same_counts"] is True
    cli = raw["sections"][f"cli@{n}"]["value"]
    assert cli["gate_ok"] and cli["report_ok"]
    ingest = raw["sections"]["ingest"]["value"]
    assert ingest["parquet"]["rows_per_s"] > 0 and ingest["csv"]["rows_per_s"] > 0
    assert raw["sections"]["peers"]["value"]["all_answers_identical"] is True
