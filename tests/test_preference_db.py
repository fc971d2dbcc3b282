"""Preference kind in the database (issue 12): tables created by ensure_schema from the kind's declaration,
``labelqa load`` of pairs + judgments files and the DPO/TRL shape (all or nothing), and the SQL sufficient
statistics that give the same figures as the file path (LLMFAO)."""
from __future__ import annotations

from sqlalchemy import text

from analytics import kinds
from analytics.db import ensure_schema, make_engine, schema_scripts


def _columns(eng, table):
    with eng.connect() as c:
        return {r[0]: r[1] for r in c.execute(text(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t "
            "ORDER BY ordinal_position"), {"t": table})}


def test_ensure_schema_creates_the_declared_tables(tmp_duckdb_url):
    assert schema_scripts()[0] == "schema" and "preference_schema" in schema_scripts()
    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    ensure_schema(eng)  # idempotent
    duck = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DOUBLE PRECISION": "DOUBLE", "TIMESTAMP": "TIMESTAMP"}
    declared = kinds.get("preference").table_columns()
    assert set(declared) == {"preference_pairs", "preference_judgments", "preference_gold"}
    for table, cols in declared.items():
        assert _columns(eng, table) == {c: duck[t] for c, t in cols.items()}
    eng.dispose()


# --------------------------------------------------------------------------------------------------
# labelqa load: pairs + judgments files, the DPO/TRL shape, all or nothing
# --------------------------------------------------------------------------------------------------

import json  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analytics.cli import main  # noqa: E402
from analytics.io.ingest import IngestError, load_files  # noqa: E402
from dbutil import open_dashboard_page, write_table  # noqa: E402


def _rows(url, sql):
    eng = make_engine(url, read_only=True)
    with eng.connect() as c:
        out = [tuple(r) for r in c.execute(text(sql))]
    eng.dispose()
    return out


@pytest.fixture
def pref(tmp_path, tmp_duckdb_url):
    """A preference project pp (and a classification project cc) with two pairs and three judgments."""
    load_files(tmp_duckdb_url, [write_table(tmp_path / "projects.csv", pd.DataFrame({
        "project_id": ["pp", "cc", "dd"], "name": ["P", "C", "D"], "client": ["X", "Y", "Z"],
        "task_type": ["preference", "classification", "preference"]}))])
    files = [
        write_table(tmp_path / "pairs.csv", pd.DataFrame({"pair_id": ["p1", "p2"], "response_a": ["m1", "m2"],
                                                      "response_b": ["m2", "m3"], "text_a": ["hello", "x y"],
                                                      "text_b": ["hi there", "z"], "category": ["qa", "code"]})),
        write_table(tmp_path / "judgments.parquet", pd.DataFrame({
            "pair_id": ["p1", "p1", "p2"], "worker": ["u1", "u2", "u1"], "choice": ["a", "tie", "b"],
            "shown_first": ["a", "b", "a"], "dimension": ["helpfulness", "helpfulness", None],
            "created_at": ["2026-06-01 10:00:00"] * 3})),
    ]
    counts = load_files(tmp_duckdb_url, files, project="pp", mapping={"worker": "annotator_id"})
    assert counts == {"annotators": 2, "preference_pairs": 2, "preference_judgments": 3}
    return tmp_path, tmp_duckdb_url


_SNAPSHOT = ("SELECT (SELECT COUNT(*) FROM preference_pairs), (SELECT COUNT(*) FROM preference_judgments), "
             "(SELECT COUNT(*) FROM annotators)")


def test_pairs_and_judgments_files_load(pref):
    _, url = pref
    assert _rows(url, "SELECT pair_id, annotator_id, choice, dimension, shown_first FROM preference_judgments "
                      "ORDER BY pair_id, annotator_id") == [
        ("p1", "u1", "a", "helpfulness", "a"), ("p1", "u2", "tie", "helpfulness", "b"), ("p2", "u1", "b", "overall", "a")]
    assert _rows(url, "SELECT pair_id, project_id, response_a, text_b, category FROM preference_pairs "
                      "ORDER BY pair_id") == [("p1", "pp", "m1", "hi there", "qa"), ("p2", "pp", "m2", "z", "code")]
    assert _rows(url, "SELECT annotator_id FROM annotators ORDER BY 1") == [("u1",), ("u2",)]


@pytest.mark.parametrize("name, files, messages", [
    ("choice outside a/b/tie",
     {"j.csv": "pair_id,annotator_id,choice,shown_first\np1,u3,a,a\np2,u3,left,b\n"},
     ["file {d}/j.csv row 2 column choice: 'left' is not one of a, b, tie"]),
    ("judgment of an unknown pair",
     {"j.csv": "pair_id,annotator_id,choice,shown_first\np1,u3,a,a\np9,u3,b,b\n"},
     ["file {d}/j.csv row 2 column pair_id: unknown pair 'p9' (not in the database nor in this load)"]),
    ("identical responses (ids and texts)",
     {"preference_pairs.csv": "pair_id,response_a,response_b,text_a,text_b\np3,m1,m1,x,y\np4,m1,m2,same,same\n"},
     ["file {d}/preference_pairs.csv row 1 column response_b: 'm1' is the same response as response_a "
      "(identical responses)",
      "file {d}/preference_pairs.csv row 2 column text_b: 'same' is the same text as text_a (identical responses)"]),
    ("missing position in a project that records positions",
     {"j.csv": "pair_id,annotator_id,choice,shown_first\np1,u3,a,a\np2,u3,b,\n"},
     ["file {d}/j.csv row 2 column shown_first: missing position: project 'pp' records which response was shown "
      "first (4 judgment(s) have shown_first), so every judgment needs shown_first (a or b)"]),
    ("strength against choice, position outside a/b",
     {"j.csv": "pair_id,annotator_id,choice,shown_first,strength\np1,u3,a,a,2\np2,u3,b,left,1\n"},
     ["file {d}/j.csv row 1 column strength: 2 does not match choice 'a'",
      "file {d}/j.csv row 2 column shown_first: 'left' is not one of a, b"]),
    ("duplicate pair id against the database",
     {"preference_pairs.csv": "pair_id,text_a,text_b\np1,u,v\n"},
     ["file {d}/preference_pairs.csv row 1 column pair_id: pair_id 'p1' is already in the database"]),
    ("pairs of a classification project",
     {"preference_pairs.csv": "pair_id,text_a,text_b,project_id\np5,u,v,cc\n"},
     ["file {d}/preference_pairs.csv row 1 column project_id: project 'cc' has task_type 'classification', "
      "not 'preference'"]),
])
def test_refused_loads_name_file_row_column_and_change_nothing(pref, name, files, messages):
    d, url = pref
    before = _rows(url, _SNAPSHOT)
    paths = []
    for fname, body in files.items():
        (d / fname).write_text(body)
        paths.append(d / fname)
    project = None if "classification" in name else "pp"
    with pytest.raises(IngestError) as exc:
        load_files(url, paths, project=project)
    msg = str(exc.value)
    assert msg.startswith("nothing loaded (database unchanged)")
    for m in messages:
        assert m.format(d=d) in msg, msg
    assert _rows(url, _SNAPSHOT) == before


def test_dpo_jsonl_loads_pairs_and_chosen_judgments(pref):
    d, url = pref
    lines = [{"_metadata": {"rule": "export"}},
             {"id": "d1", "prompt": "Say hi", "chosen": "Hi!", "rejected": "Go away.", "annotator_id": "rm"},
             {"prompt": "2+2?", "chosen": "4", "rejected": "5", "category": "math"}]
    f = d / "dpo.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    counts = load_files(url, [f], project="dd")  # a project without positions: DPO files record none
    assert counts == {"annotators": 2, "preference_pairs": 2, "preference_judgments": 2}
    assert _rows(url, "SELECT p.pair_id, p.prompt, p.text_a, p.text_b, p.category, j.annotator_id, j.choice, "
                      "j.shown_first FROM preference_pairs p JOIN preference_judgments j ON j.pair_id = p.pair_id "
                      "WHERE p.pair_id IN ('d1', '3') ORDER BY p.pair_id") == [
        ("3", "2+2?", "4", "5", "math", "source", "a", None), ("d1", "Say hi", "Hi!", "Go away.", None, "rm", "a", None)]
    # a DPO line whose chosen and rejected are the same text is refused, naming the line and the source field
    f.write_text(json.dumps({"id": "d9", "prompt": "p", "chosen": "same", "rejected": "same"}) + "\n")
    with pytest.raises(IngestError, match=r"dpo.jsonl row 1 column rejected \(-> text_b\): 'same' is the same text"):
        load_files(url, [f], project="dd")
    # into a project whose judgments record positions, the DPO judgments (no position) are refused
    f.write_text(json.dumps({"id": "d8", "prompt": "p", "chosen": "u", "rejected": "v"}) + "\n")
    with pytest.raises(IngestError, match=r"dpo.jsonl row 1 column shown_first: missing position: project 'pp'"):
        load_files(url, [f], project="pp")


def test_cli_load_exit_codes(pref, capsys):
    d, url = pref
    (d / "j.csv").write_text("pair_id,annotator_id,choice,shown_first\np1,u9,b,b\n")
    assert main(["load", "--db", url, str(d / "j.csv")]) == 0
    assert "preference_judgments" in capsys.readouterr().out
    (d / "j.csv").write_text("pair_id,annotator_id,choice,shown_first\np1,u9,maybe,b\n")
    assert main(["load", "--db", url, str(d / "j.csv")]) == 2
    assert "column choice: 'maybe' is not one of a, b, tie" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# SQL sufficient statistics = the file path, on LLMFAO loaded through labelqa load
# --------------------------------------------------------------------------------------------------

import time  # noqa: E402

import numpy as np  # noqa: E402

from conftest import dataset  # noqa: E402

from analytics.kinds.preference import db as pdb  # noqa: E402
from analytics.kinds.preference.agreement import agreement  # noqa: E402
from analytics.kinds.preference.bias import length_bias, position_bias  # noqa: E402
from analytics.kinds.preference.readers import read_judgments, read_pairs  # noqa: E402
from analytics.kinds.preference.signal import tie_rate  # noqa: E402

_LR = {"left": "a", "right": "b", "tie": "tie"}
_PAIR_MAP = {"id": "pair_id", "prompt": "prompt_id", "text": "prompt", "result_x": "text_a", "result_y": "text_b",
             "type": "category", "model_x": "response_a", "model_y": "response_b"}


@pytest.fixture(scope="module")
def llmfao_db(tmp_path_factory):
    """LLMFAO in DuckDB through ``labelqa load``: the raw pairs file with a --map file, the crowd's and the two GPT
    judges' verdicts as a/b/tie judgments (the left response is always model_x = a, so shown_first = a)."""
    root = dataset("llmfao")
    d = tmp_path_factory.mktemp("llmfao")
    url = f"duckdb:///{d / 'llmfao.duckdb'}"
    (d / "projects.csv").write_text("project_id,name,client,task_type\nllmfao,LLMFAO,Ustalov 2023,preference\n")
    (d / "map.toml").write_text("[preference_pairs]\n" + "".join(f'{k} = "{v}"\n' for k, v in _PAIR_MAP.items()))
    parts = []
    for name in ("crowd", "gpt3", "gpt4"):
        raw = pd.read_csv(root / f"{name}-comparisons.csv" if name == "crowd" else
                          root / f"{name}-crowd-comparisons.csv", dtype=str)
        parts.append(pd.DataFrame({"pair_id": raw["id"], "annotator_id": raw["worker"] if name == "crowd" else name,
                                   "choice": raw["winner"].map(_LR), "shown_first": "a"}))
    judg = pd.concat(parts, ignore_index=True)
    judg.to_csv(d / "judgments.csv", index=False)
    assert main(["load", "--db", url, str(d / "projects.csv")]) == 0
    t0 = time.perf_counter()
    assert main(["load", "--db", url, "--project", "llmfao", "--map", str(d / "map.toml"),
                 str(root / "pairs-crowd.jsonl"), str(d / "judgments.csv")]) == 0
    load_s = time.perf_counter() - t0
    pairs = read_pairs(root / "pairs-crowd.jsonl", columns=_PAIR_MAP, allow_identical=True)
    # ingest trims text values (docs/INGEST.md: zero-width characters and surrounding whitespace removed, nothing left = missing), so the
    # file path gets the texts as stored: lengths of the trimmed texts, none for the 162 responses
    # that are only whitespace or a zero-width space
    for side in ("a", "b"):
        t = (pairs[f"text_{side}"].astype("string").str.replace("[\u200b\u200c\u200d\u2060\ufeff]", "", regex=True)
             .str.strip(" \t\r\n").replace("", pd.NA))
        pairs[f"text_{side}"] = t.astype(object).where(t.notna(), None)
        pairs[f"len_{side}"] = t.str.len().astype("float64")
    files = read_judgments(d / "judgments.csv")
    eng = make_engine(url, read_only=True)
    yield eng, files, pairs, load_s
    eng.dispose()


def test_llmfao_loaded_counts(llmfao_db):
    eng, files, pairs, load_s = llmfao_db
    with eng.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM preference_pairs")).scalar_one() == len(pairs) == 2139
        assert c.execute(text("SELECT COUNT(*) FROM preference_judgments")).scalar_one() == len(files) == 8931 + 2 * 2139
        assert c.execute(text("SELECT COUNT(*) FROM annotators")).scalar_one() == files["annotator_id"].nunique()
    print(f"LLMFAO load: {load_s:.2f} s")


def _same(db_frame, file_frame, cols, keys=()):
    a = db_frame.reset_index(drop=True)
    b = file_frame.reset_index(drop=True)
    assert len(a) == len(b)
    for k in keys:
        assert a[k].astype(str).tolist() == b[k].astype(str).tolist()
    for c in cols:
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9, atol=1e-12,
                                   equal_nan=True, err_msg=c)


def test_llmfao_agreement_db_equals_file_path(llmfao_db, capsys):
    eng, files, _, _ = llmfao_db
    want = agreement(files, n_boot=300, seed=3)
    got = pdb.agreement_from_db(eng, "llmfao", n_boot=300, seed=3)
    _same(got, want, ["value", "ci_low", "ci_high", "n", "n_judgments"], keys=["metric"])
    with capsys.disabled():
        print("\nLLMFAO crowd + gpt3 + gpt4, DB path:\n" + got[["metric", "value", "ci_low", "ci_high", "n"]].to_string())


def test_llmfao_bias_and_ties_db_equal_file_path(llmfao_db):
    eng, files, pairs, _ = llmfao_db
    s = pdb.summary_from_db(eng, "llmfao", n_boot=0)
    assert int(s["counts"]["n_pairs"].iloc[0]) == 2139 and int(s["counts"]["n_judgments"].iloc[0]) == len(files)
    _same(s["tie_rate"], tie_rate(files), ["value", "ci_low", "ci_high", "n"])
    _same(s["position_bias"], position_bias(files), ["share", "ci_low", "ci_high", "n", "p_value"])
    _same(s["length_bias"], length_bias(files, pairs), ["share", "ci_low", "ci_high", "n", "p_value"])
    # per judge (126 groups): the same counts group by group
    got = pdb.position_bias_from_db(eng, "llmfao", by="annotator")
    want = position_bias(files, by="annotator_id").rename(columns={"annotator_id": "group"})
    _same(got, want.sort_values("group"), ["share", "n", "successes", "p_value"], keys=["group"])


def test_llmfao_by_category_db_equals_file_path(llmfao_db):
    eng, files, pairs, _ = llmfao_db
    j = files.merge(pairs[["pair_id", "category"]], on="pair_id").rename(columns={"category": "group"})
    got = pdb.agreement_from_db(eng, "llmfao", by="category", n_boot=100, seed=1)
    want = agreement(j, by="group", n_boot=100, seed=1)
    _same(got.sort_values(["group", "metric"]), want.sort_values(["group", "metric"]),
          ["value", "ci_low", "ci_high", "n", "n_judgments"], keys=["group", "metric"])
    assert got["group"].nunique() == pairs["category"].nunique() > 1
    _same(pdb.length_bias_from_db(eng, "llmfao", by="category"),
          length_bias(j, pairs, by="group"), ["share", "n", "successes"], keys=["group"])


def test_small_project_by_dimension_week_and_filters(pref):
    d, url = pref
    eng = make_engine(url, read_only=True)
    files = read_judgments(d / "judgments.parquet", columns={"worker": "annotator_id"})
    got = pdb.agreement_from_db(eng, "pp", by="dimension", n_boot=0)
    want = agreement(files.assign(group=files["dimension"]), by="group", n_boot=0)
    _same(got, want, ["value", "n", "n_judgments"], keys=["group", "metric"])
    c = pdb.group_counts_from_db(eng, "pp", by="week")
    assert c[["group", "n_judgments", "n_pairs", "ties", "pos_n", "pos_first"]].values.tolist() == [
        ["2026-06-01", 3, 2, 1, 2, 1]]
    one = pdb.group_counts_from_db(eng, "pp", dimension="helpfulness")
    assert one[["n_judgments", "n_pairs", "ties"]].values.tolist() == [[2, 1, 1]]
    assert pdb.group_counts_from_db(eng, "pp", date_from=__import__("datetime").date(2026, 6, 2))["n_judgments"].tolist() == [0]
    # length bias: p1 a='hello' (5) vs b='hi there' (8), p2 'x y' vs 'z': non-tie judgments u1 a on p1, u1 b on p2
    lb = pdb.length_bias_from_db(eng, "pp")
    assert lb[["n", "successes"]].values.tolist() == [[2, 0]]
    with pytest.raises(ValueError, match="unknown by 'team'"):
        pdb.agreement_from_db(eng, "pp", by="team")
    eng.dispose()


def test_llmfao_transitivity_and_bradley_terry_db_equal_file_path(llmfao_db, capsys):
    from analytics.kinds.preference.consistency import bradley_terry, transitivity

    eng, files, pairs, _ = llmfao_db
    judged = files.merge(pairs[["pair_id", "response_a", "response_b"]], on="pair_id")
    s = pdb.summary_from_db(eng, "llmfao", n_boot=100, seed=2)
    want_t = transitivity(judged)
    _same(s["transitivity"], want_t, ["n_objects", "triads", "cyclic_triads", "cycle_rate"])
    want_bt = bradley_terry(judged, n_boot=100, seed=2)
    _same(s["bradley_terry"], want_bt, ["score", "ci_low", "ci_high", "rank", "wins", "losses", "ties"],
          keys=["object"])
    assert len(want_bt) == 59  # LLMFAO compares 59 models
    with capsys.disabled():
        t = s["transitivity"].iloc[0]
        print(f"\nLLMFAO DB path: {int(t['n_objects'])} models, triads {int(t['triads'])}, cyclic "
              f"{int(t['cyclic_triads'])}, cycle rate {t['cycle_rate']:.4f}; BT top: "
              + ", ".join(f"{r.object} {r.score:.4f} [{r.ci_low:.4f}, {r.ci_high:.4f}]"
                          for r in s["bradley_terry"].head(3).itertuples()))


# --------------------------------------------------------------------------------------------------
# Quality rules judged through analytics.quality
# --------------------------------------------------------------------------------------------------

def test_llmfao_quality_checks(llmfao_db):
    from analytics.kinds.preference.rules import checks, deviation
    from analytics.thresholds import Thresholds

    eng, files, pairs, _ = llmfao_db
    got = {c.rule: c for c in checks(eng, "llmfao", Thresholds({}), n_boot=200)}
    assert set(got) == {"preference_agreement", "preference_tie_rate", "preference_position_bias",
                        "preference_length_bias", "preference_cycle_rate", "preference_clean_share",
                        "preference_gold_pairs"}
    # LLMFAO has no expert-adjudicated pairs: 0 gold pairs against the minimum of 30 warns
    assert (got["preference_gold_pairs"].value, got["preference_gold_pairs"].outcome) == (0, "warn")
    assert all(c.scope == "dimension overall" for c in got.values())
    ties = got["preference_tie_rate"]
    want = tie_rate(files).iloc[0]
    assert (ties.value, ties.n) == (pytest.approx(want["value"]), want["n"])
    # 3,731 ties in 13,209 judgments (28.2%, the crowd's 38.9% diluted by the GPT judges; lower bound 27.5%, above
    # the 25% warn level and below the 40% limit): warn
    assert ties.value * ties.n == pytest.approx(3731) and ties.compared == pytest.approx(want["ci_low"])
    assert 0.25 < ties.compared < 0.40
    assert (ties.status, ties.outcome, ties.threshold) == ("amber", "warn", "ci_low <= 0.4 (warn > 0.25)")
    pos = got["preference_position_bias"]
    p = position_bias(files).iloc[0]
    assert pos.value == pytest.approx(abs(p["share"] - 0.5)) and pos.n == p["n"]
    assert pos.compared == pytest.approx(deviation(p["share"], p["ci_low"], p["ci_high"])[1])
    cyc = got["preference_cycle_rate"]
    assert (cyc.value, cyc.n) == (pytest.approx(357 / 5970), 5970) and cyc.outcome == "warn"
    assert got["preference_agreement"].n == 2139
    # an override moves the limit; the verdict follows
    strict = {c.rule: c for c in checks(eng, "llmfao", Thresholds({}), n_boot=0,
                                        overrides={"preference_tie_rate": {"limit": 0.27}})}
    assert (strict["preference_tie_rate"].outcome, strict["preference_tie_rate"].status) == ("warn", "red"), strict["preference_tie_rate"]


def test_deviation_interval():
    from analytics.kinds.preference.rules import deviation

    assert deviation(0.52, 0.48, 0.56) == pytest.approx((0.02, 0.0, 0.06))
    assert deviation(0.30, 0.25, 0.35) == pytest.approx((0.20, 0.15, 0.25))
    assert all(np.isnan(deviation(np.nan, np.nan, np.nan)))


# --------------------------------------------------------------------------------------------------
# The page (AppTest): numbers with n and intervals; an empty state that says why
# --------------------------------------------------------------------------------------------------

def _open(url, project, monkeypatch):
    at = open_dashboard_page(url, project, "preference", monkeypatch)
    assert at.title[0].value == "Preference judgments"
    return at


def test_page_on_a_preference_project_and_elsewhere(pref, monkeypatch):
    d, url = pref
    # one more judge on p2 so that a pair has two verdicts on the default dimension
    (d / "j.csv").write_text("pair_id,annotator_id,choice,shown_first\np2,u3,b,b\n")
    load_files(url, [d / "j.csv"])
    at = _open(url, "pp", monkeypatch)
    assert [m.value for m in at.metric] == ["2", "4", "2"]
    dims = at.dataframe[0].value.set_index("dimension")
    assert dims.loc["overall", "judgments"] == 2 and dims.loc["helpfulness", "judgments"] == 2
    # overall: u1 b, u3 b on p2 -> agreement 1 (one pair of verdicts); tie rate 0 of 2 with its Wilson interval
    assert dims.loc["overall", "agreement without ties"] == "1.000 (no interval; n=1 pairs)"  # one pair: no bootstrap
    assert dims.loc["overall", "tie rate"].startswith("0.0% (") and dims.loc["overall", "tie rate"].endswith("n=2)")
    rules = at.dataframe[1].value
    assert set(rules["rule"]) == {"agreement", "tie rate", "position bias", "length bias", "cycle rate", "clean share",
                                  "gold pairs"}
    assert set(rules["subject"]) == {"dimension overall", "dimension helpfulness"}
    leaderboard = at.dataframe[2].value
    # the leaderboard of the first dimension, helpfulness: p1 (m1 vs m2) judged twice, each verdict involving both
    assert set(leaderboard["object"]) == {"m1", "m2"} and leaderboard["n"].sum() == 2 * 2  # p1 (m1 vs m2) twice
    # the classification project: an empty state that says why
    at = _open(url, "cc", monkeypatch)
    said = " ".join(str(m.value) for m in at.info)
    assert "Not a preference project" in said and "classification project" in said and not at.dataframe


# --------------------------------------------------------------------------------------------------
# PostgreSQL: the same load, the same refusals, the same figures
# --------------------------------------------------------------------------------------------------

def _pref_files(d):
    (d / "projects.csv").write_text("project_id,name,client,task_type\npp,P,X,preference\n")
    (d / "pairs.csv").write_text("pair_id,response_a,response_b,text_a,text_b,category\n"
                                 + "".join(f"q{k},m{k % 3},m{(k + 1) % 3},{'x' * (k + 1)},{'y' * (7 - k % 5)},"
                                           f"c{k % 2}\n" for k in range(12)))
    rows = []
    for k in range(12):
        for j, who in enumerate(("u1", "u2", "u3")):
            choice = ("a", "b", "tie")[(k * (j + 2)) % 3]
            rows.append(f"q{k},{who},{choice},{'ab'[(k + j) % 2]},{'help' if j < 2 else 'safety'},"
                        f"2026-06-{1 + k % 9:02d} 10:00:00\n")
    (d / "judgments.csv").write_text("pair_id,annotator_id,choice,shown_first,dimension,created_at\n" + "".join(rows))
    return [d / "projects.csv", d / "pairs.csv", d / "judgments.csv"]


@pytest.mark.postgres
def test_postgres_load_refusals_and_figures_equal_duckdb(tmp_path, tmp_duckdb_url, pg_url):
    files = _pref_files(tmp_path)
    figures = {}
    for url in (tmp_duckdb_url, pg_url):
        assert load_files(url, files[:1]) == {"projects": 1}
        counts = load_files(url, files[1:], project="pp")
        assert counts == {"annotators": 3, "preference_pairs": 12, "preference_judgments": 36}
        (tmp_path / "bad.csv").write_text("pair_id,annotator_id,choice,shown_first\nq1,u9,b,\nq99,u9,a,a\n")
        with pytest.raises(IngestError) as exc:
            load_files(url, [tmp_path / "bad.csv"])
        assert "row 1 column shown_first: missing position: project 'pp'" in str(exc.value)
        assert "row 2 column pair_id: unknown pair 'q99'" in str(exc.value)
        eng = make_engine(url, read_only=True)
        out = []
        for by in (None, "dimension", "week", "category", "annotator"):
            s = pdb.summary_from_db(eng, "pp", by=by, n_boot=50, seed=1)
            out.append({k: v for k, v in s.items()})
        figures[url] = out
        eng.dispose()
    for a, b in zip(figures[tmp_duckdb_url], figures[pg_url]):
        for k in a:
            x, y = a[k].reset_index(drop=True), b[k].reset_index(drop=True)
            assert list(x.columns) == list(y.columns) and len(x) == len(y), k
            for c in x.columns:
                if x[c].dtype.kind in "fi" or y[c].dtype.kind in "fi":
                    np.testing.assert_allclose(x[c].to_numpy(float), y[c].to_numpy(float), rtol=1e-9,
                                               atol=1e-12, equal_nan=True, err_msg=f"{k}.{c}")
                else:
                    assert x[c].astype(str).tolist() == y[c].astype(str).tolist(), f"{k}.{c}"


def test_cli_from_the_database_answers_the_file_cli_json(llmfao_db, tmp_path, capsys):
    eng, files, pairs, _ = llmfao_db
    url = str(eng.url)
    pairs.to_parquet(tmp_path / "pairs.parquet")  # the texts as stored (trimmed)
    files.to_parquet(tmp_path / "judgments.parquet")
    for by in ([], ["--by", "category"]):
        assert main(["preference", str(tmp_path / "judgments.parquet"), "--pairs", str(tmp_path / "pairs.parquet"),
                     "--json", "--n-boot", "100", *by]) == 0
        want = json.loads(capsys.readouterr().out)
        assert main(["preference", "--db", url, "--project", "llmfao", "--json", "--n-boot", "100", *by]) == 0
        got = json.loads(capsys.readouterr().out)
        _close(got, want)
    assert main(["preference", "--db", url, "--project", "llmfao"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pairwise preferences -- project llmfao") and "Bradley-Terry, top 5 of 59" in out
    assert main(["preference", "--db", url, "--project", "nope"]) == 2
    assert "project 'nope' is not in this database" in capsys.readouterr().err


def _close(a, b, path="doc"):
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, (int, float)):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path
