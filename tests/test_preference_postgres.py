"""A preference project on PostgreSQL (issue 12): the preference demo loaded into PostgreSQL by ``labelqa demo``'s
builder gives DuckDB's gate (``labelqa gate --project assistant_prefs --format json``), the same figures from
every data function the Preference and Annotators pages call, and the same tables on both pages (AppTest)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.db import make_engine

pytestmark = pytest.mark.postgres
P = "assistant_prefs"


def _gate(url, capsys):
    from analytics import cli

    code = cli.main(["gate", "--db", url, "--project", P, "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    return code, doc


def _norm(x):
    """Floats rounded to 9 significant digits (parallel sums differ in the last bits), the database URL dropped."""
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items() if k not in ("database", "db", "url", "generated_at")}
    if isinstance(x, list):
        return [_norm(v) for v in x]
    if isinstance(x, float):
        return float(f"{x:.9g}")
    return x


def test_gate_json_equal_on_duckdb_and_postgres(demo_url, demo_pg_url, capsys):
    code_d, d = _gate(demo_url, capsys)
    code_p, p = _gate(demo_pg_url, capsys)
    assert code_d == code_p == 0
    checks = d["checks"]
    assert len(checks) >= 14 and {c["rule"] for c in checks} >= {"preference_agreement", "preference_position_bias",
                                                                 "preference_length_bias", "preference_clean_share"}
    assert sum(c["outcome"] == "warn" for c in checks) >= 1  # safety agreement warns on the demo
    assert _norm(p) == _norm(d)


def _page_data(engine):
    """Every figure the Preference and Annotators pages draw for the project (their analytics calls)."""
    from analytics.kinds.preference import db as pdb
    from analytics.kinds.preference.clean_set import clean_set
    from analytics.kinds.preference.judge_profile import judge_profiles
    from analytics.kinds.preference.judges import judge_drift, model_vs_humans
    from analytics.kinds.preference.rules import checks
    from analytics.quality.config import load_thresholds

    th = load_thresholds(None)
    s = pdb.summary_from_db(engine, P, by="dimension", n_boot=200)
    rows = pdb.scope_rows_from_db(engine, P).sort_values(["pair_id", "dimension", "annotator_id"]) \
        .reset_index(drop=True)
    pairs = pdb.pairs_from_db(engine, P).sort_values("pair_id").reset_index(drop=True)
    gold = pdb.gold_from_db(engine, P).sort_values(["pair_id", "dimension"]).reset_index(drop=True)
    out = {k: v for k, v in s.items()}
    out["project"] = pd.DataFrame([pdb.project_from_db(engine, P)])
    out["checks"] = pd.DataFrame([c.as_dict() for c in checks(engine, P, th, n_boot=200)])
    out["weekly"] = pdb.agreement_from_db(engine, P, by="week", dimension="helpfulness",
                                          metrics=("percent_without_ties",), n_boot=200)
    out["bt_safety"] = pdb.bradley_terry_from_db(engine, P, n_boot=200, dimension="safety")
    out["judge_position"] = pdb.position_bias_from_db(engine, P, by="annotator")
    out["judge_length"] = pdb.length_bias_from_db(engine, P, by="annotator")
    out["length_controlled"] = pdb.length_controlled_from_db(engine, P, by="dimension")
    out["slope"] = pdb.length_slope_from_db(engine, P, by="annotator")
    out["model_vs_humans"] = model_vs_humans(rows, n_boot=200)
    out["drift"] = judge_drift(rows, gold).sort_values(["against", "annotator_id"]).reset_index(drop=True)
    out["profiles"] = judge_profiles(rows, pairs, gold).drop(columns=["flags", "small"])
    res = clean_set(rows, pairs, n_boot=200)
    out["clean_counts"], out["clean_units"] = res["counts"], res["units"]
    return out, rows


def test_page_data_equal_on_duckdb_and_postgres(demo_engine, demo_pg_url):
    pg = make_engine(demo_pg_url, read_only=True)
    try:
        d, rows_d = _page_data(demo_engine)
        p, rows_p = _page_data(pg)
    finally:
        pg.dispose()
    assert len(rows_d) == 5760 and set(d) == set(p)
    pd.testing.assert_frame_equal(rows_p.drop(columns="created_at"), rows_d.drop(columns="created_at"),
                                  check_dtype=False)
    assert (pd.to_datetime(rows_p["created_at"]).dt.tz_localize(None) == pd.to_datetime(rows_d["created_at"])).all()
    for k in d:
        a, b = d[k].reset_index(drop=True), p[k].reset_index(drop=True)
        assert len(a) and list(a.columns) == list(b.columns), k
        for c in a.columns:
            x, y = a[c], b[c]
            if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
                np.testing.assert_allclose(y.to_numpy(float), x.to_numpy(float), rtol=1e-9, atol=1e-12,
                                           equal_nan=True, err_msg=f"{k}.{c}")
            else:
                assert [str(v) for v in y] == [str(v) for v in x], f"{k}.{c}"
    # the planted truths read the same from PostgreSQL
    prof = p["profiles"].set_index("annotator_id")
    assert prof.loc["pj_03", "first"] > 0.8 and prof.loc["pj_04", "drift_gold"]


@pytest.mark.parametrize("page", ["preference", "annotators"])
def test_pages_draw_the_same_tables_on_postgres(demo_url, demo_pg_url, page, monkeypatch):
    from dbutil import open_dashboard_page

    shown = []
    for url in (demo_url, demo_pg_url):
        at = open_dashboard_page(url, P, page, monkeypatch)
        assert at.dataframe, page
        shown.append([df.value.reset_index(drop=True) for df in at.dataframe])
    assert len(shown[0]) == len(shown[1]) >= (5 if page == "preference" else 1)
    for a, b in zip(*shown):
        pd.testing.assert_frame_equal(b, a, check_dtype=False)
