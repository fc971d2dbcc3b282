"""The seeded demo generator: determinism, shape of the scenario, engines, CLI, snapshot, and the raw signal of
every injected truth (checked directly with pandas on the 60k fixture; the analytics tests recover them properly).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.db import CANONICAL_TABLES, make_engine, table_counts
from analytics.io.demo import (
    ANNOTATORS_PER_ITEM, CRITICAL_CLASS, DRIFT_WEEK, MAIN_PROJECT, N_WEEKS, TRUTHS, V2_WEEK, WEEK1,
    build_demo, week_start, write_snapshot,
)
from analytics.io.demo.tables import _layout

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "sample_data" / "snapshot"
QUIET = {"progress": lambda _m: None}
# The demo fills every canonical table; the later optional ones (model_scores) only for the main project's newest run.
DEMO_TABLES = tuple(CANONICAL_TABLES)
# Primary key (or full row) order that makes a table's content comparable across builds and engines.
ORDER = {
    "projects": ["project_id"], "label_classes": ["project_id", "schema_version", "label"],
    "annotators": ["annotator_id"], "items": ["item_id"], "item_attributes": ["item_id", "key"],
    "batches": ["batch_id"], "annotations": ["annotation_id"], "gold_labels": ["item_id"],
    "reviews": ["review_id"], "model_runs": ["run_id"], "model_metrics": ["run_id", "label", "metric"],
    "predictions": ["run_id", "item_id"], "model_scores": ["run_id", "item_id", "label"],
}


def _path(url: str) -> str:
    return url.split("duckdb:///", 1)[1]


def _frame(url: str, table: str) -> pd.DataFrame:
    """A canonical table as a normalised frame (sorted by its key; timestamps in microseconds; strings as object)."""
    sql = f"SELECT * FROM {table}"  # noqa: S608 (table names are constants)
    if url.startswith("duckdb"):
        c = duckdb.connect(_path(url), read_only=True)
        try:
            df = c.sql(sql).df()
        finally:
            c.close()
    else:
        eng = make_engine(url, read_only=True)
        try:
            with eng.connect() as c:
                df = pd.read_sql(sql, c)
        finally:
            eng.dispose()
    df = df.sort_values(ORDER[table], na_position="first").reset_index(drop=True)
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = df[col].astype("datetime64[us]")
        elif pd.api.types.is_string_dtype(df[col]) or df[col].dtype == object:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
        elif pd.api.types.is_integer_dtype(df[col]):
            df[col] = df[col].astype("int64")
    return df


def _majority(ann: pd.DataFrame) -> pd.Series:
    """Majority label per item (ties: alphabetically first), vectorised."""
    n = ann.groupby(["item_id", "label"]).size().rename("n").reset_index()
    n = n.sort_values(["item_id", "n", "label"], ascending=[True, False, True])
    return n.drop_duplicates("item_id").set_index("item_id")["label"]


class _Result:
    def __init__(self, rows, cols):
        self.rows, self.cols = [tuple(r) for r in rows], list(cols)

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0]

    def df(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=self.cols)


class _Con:
    """Runs SQL on the shared read-only demo engine (a raw duckdb connection would clash with its configuration)."""

    def __init__(self, engine):
        self.engine = engine

    def execute(self, sql: str, params: dict | None = None) -> _Result:
        from sqlalchemy import text

        with self.engine.connect() as c:
            res = c.execute(text(sql), params or {})
            return _Result(res.fetchall(), res.keys())


@pytest.fixture(scope="module")
def con(demo_engine):
    return _Con(demo_engine)


@pytest.fixture(scope="module")
def ann(con) -> pd.DataFrame:
    """Main-project annotations joined with gold, team, lighting and week number."""
    df = con.execute("""
        SELECT a.*, n.team, g.label AS gold, l.value AS lighting, i.split
        FROM annotations a
        JOIN items i ON i.item_id = a.item_id
        JOIN annotators n ON n.annotator_id = a.annotator_id
        LEFT JOIN gold_labels g ON g.item_id = a.item_id
        LEFT JOIN item_attributes l ON l.item_id = a.item_id AND l.key = 'lighting'
        WHERE i.project_id = 'streetscene'
    """).df()
    df["created_at"] = pd.to_datetime(df["created_at"])
    df["week"] = (df["created_at"].dt.normalize() - pd.Timestamp(WEEK1)).dt.days // 7 + 1
    return df


# ---------------------------------------------------------------------------------------------- determinism ----
@pytest.fixture(scope="module")
def three_builds(tmp_path_factory):
    base = tmp_path_factory.mktemp("det")
    urls = [f"duckdb:///{base / name}.duckdb" for name in ("a", "b", "c")]
    for url, seed in zip(urls, (11, 11, 12)):
        build_demo(url, annotations=15_000, seed=seed, **QUIET)
    return urls


def test_same_seed_gives_identical_tables(three_builds):
    a, b, _ = three_builds
    for t in DEMO_TABLES:
        pd.testing.assert_frame_equal(_frame(a, t), _frame(b, t), obj=t)


def test_different_seed_gives_different_data(three_builds):
    a, _, c = three_builds
    for t in ("items", "annotations", "gold_labels", "reviews", "model_metrics", "predictions"):
        fa, fc = _frame(a, t), _frame(c, t)
        assert not (fa.shape == fc.shape and fa.equals(fc)), t
    # The fixed scenario (projects, taxonomy, people, batches) does not depend on the seed.
    for t in ("projects", "label_classes", "annotators", "batches", "model_runs"):
        pd.testing.assert_frame_equal(_frame(a, t), _frame(c, t), obj=t)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=100, max_value=200_000), seed=st.integers(min_value=0, max_value=2**31))
def test_layout_hits_the_exact_annotation_count(n, seed):
    k, week, project = _layout(n, seed)
    assert int(k.sum(dtype=np.int64)) == n
    assert k.min() >= 1 and k.max() <= 5
    assert np.all(np.diff(week) >= 0) and week.min() >= 1 and week.max() <= N_WEEKS
    assert set(np.unique(project)) <= {0, 1, 2}


def test_refuses_a_target_that_already_has_data(three_builds):
    with pytest.raises(ValueError, match="already holds data"):
        build_demo(three_builds[0], annotations=1_000, seed=1, **QUIET)


def test_rejects_tiny_sizes(tmp_duckdb_url):
    with pytest.raises(ValueError, match="at least 100"):
        build_demo(tmp_duckdb_url, annotations=10, **QUIET)


# ---------------------------------------------------------------------------------------------- scenario shape ---
def test_row_counts_and_every_table_filled(demo_engine):
    counts = table_counts(demo_engine)
    assert all(counts[t] > 0 for t in DEMO_TABLES), counts
    # model_scores (a later table): the main project's newest run only (analytics.io.demo.extras), 3 per item
    from sqlalchemy import text

    with demo_engine.connect() as c:
        n_main = c.execute(text("SELECT COUNT(*) FROM items WHERE project_id = 'streetscene'")).scalar_one()
        # the classification projects' items (the kinds' demo projects add their own: tests/test_regions_demo.py)
        n_cls = c.execute(text("SELECT COUNT(*) FROM items i JOIN projects p ON p.project_id = i.project_id "
                               "WHERE p.task_type = 'classification'")).scalar_one()
        kinds = dict(c.execute(text("SELECT task_type, COUNT(*) FROM projects GROUP BY 1")).fetchall())
        batches = dict(c.execute(text("SELECT p.task_type, COUNT(*) FROM batches b JOIN projects p "
                                      "ON p.project_id = b.project_id GROUP BY 1")).fetchall())
        people = c.execute(text("SELECT COUNT(DISTINCT annotator_id) FROM annotations")).scalar_one()
        region_people = c.execute(text("SELECT COUNT(*) FROM annotators WHERE annotator_id LIKE 'bx!_%' ESCAPE '!' "
                                       "OR annotator_id LIKE 'sp!_%' ESCAPE '!'")).scalar_one()
    assert counts["model_scores"] == 3 * n_main, counts
    assert counts["annotations"] == 60_000
    mean_k = sum(k * p for k, p in ANNOTATORS_PER_ITEM.items())  # 2.25
    assert abs(n_cls - 60_000 / mean_k) < 0.03 * 60_000 / mean_k
    # 3 classification projects + the kinds' demos (boxes roadcam: 4 batches, 9 annotators; spans newswire: 4, 6)
    assert kinds["classification"] == 3 and kinds["boxes"] == 1 and kinds["spans"] == 1
    assert batches["classification"] == 39 and batches["boxes"] == 4 and batches["spans"] == 4
    assert counts["model_runs"] == 11
    assert people == 40 + 12 + 10 and region_people == 9 + 6
    assert 0.04 * counts["annotations"] < counts["reviews"] < 0.09 * counts["annotations"]


def test_fixed_names(con):
    projects = dict(con.execute("SELECT project_id, client FROM projects WHERE task_type = 'classification'").fetchall())
    assert projects == {"streetscene": "Acme Mobility", "retail": "Shopwise", "docs": "Ledgerly"}
    teams = con.execute("""SELECT team, MIN(annotator_id), MAX(annotator_id), COUNT(*) FROM annotators
                           WHERE annotator_id LIKE 'ann_%' GROUP BY team ORDER BY team""").fetchall()
    assert teams == [("team_a", "ann_01", "ann_14", 14), ("team_b", "ann_15", "ann_27", 13),
                     ("team_c", "ann_28", "ann_40", 13)]
    batches = [r[0] for r in con.execute("SELECT batch_id FROM batches WHERE project_id = 'streetscene' ORDER BY 1").fetchall()]
    assert batches == [f"streetscene-b{b:02d}" for b in range(1, 14)]
    runs = con.execute("SELECT run_id, trained_on_batch FROM model_runs WHERE project_id = 'streetscene' ORDER BY 1").fetchall()
    assert [r[0] for r in runs] == [f"streetscene-r{j}" for j in range(1, 7)]
    assert [r[1] for r in runs] == sorted(r[1] for r in runs)  # successive dataset versions
    classes = con.execute("""SELECT schema_version, COUNT(*), SUM(CASE WHEN tier = 'critical' THEN 1 ELSE 0 END)
                             FROM label_classes WHERE project_id = 'streetscene' GROUP BY 1 ORDER BY 1""").fetchall()
    assert classes == [(1, 30, 1), (2, 30, 1)]
    tier = con.execute("SELECT DISTINCT tier FROM label_classes WHERE label = :x", {"x": CRITICAL_CLASS}).fetchall()
    assert tier == [("critical",)]
    for lab in ("car", "pedestrian", "bicycle", "motorcycle", "van", "truck", "bus"):
        assert con.execute("SELECT COUNT(*) FROM label_classes WHERE project_id = 'streetscene' AND label = :x",
                           {"x": lab}).fetchone()[0] == 2
    n_retail, n_docs = (con.execute("SELECT COUNT(*) FROM label_classes WHERE project_id = :p", {"p": p}).fetchone()[0]
                        for p in ("retail", "docs"))
    assert (n_retail, n_docs) == (8, 6)


def test_time_axis_and_schema_versions(con):
    lo, hi = con.execute("SELECT MIN(created_at), MAX(created_at) FROM annotations").fetchone()
    assert lo >= pd.Timestamp(WEEK1) and hi < pd.Timestamp(week_start(N_WEEKS + 1))
    v = con.execute("""SELECT a.schema_version, MIN(a.created_at), MAX(a.created_at) FROM annotations a
                       JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' GROUP BY 1 ORDER BY 1""").fetchall()
    assert [r[0] for r in v] == [1, 2]
    assert v[0][2] < pd.Timestamp(week_start(V2_WEEK)) <= v[1][1]
    assert week_start(V2_WEEK).isoformat() == "2026-07-27" and week_start(DRIFT_WEEK).isoformat() == "2026-08-24"
    # items arrive (Monday 00:00-08:00) before their annotations, in the same week
    late = con.execute("""SELECT COUNT(*) FROM annotations a JOIN items i USING (item_id)
                          WHERE i.created_at > a.created_at
                             OR date_trunc('week', i.created_at) <> date_trunc('week', a.created_at)""").fetchone()[0]
    assert late == 0
    # batch = two-week period of the annotation
    bad = con.execute("""SELECT COUNT(*) FROM annotations
                         WHERE CAST(substr(batch_id, length(batch_id) - 1, 2) AS INTEGER)
                               <> (date_diff('day', DATE '2026-05-25', CAST(created_at AS DATE)) // 14) + 1""").fetchone()[0]
    assert bad == 0


def test_annotators_per_item_and_main_share(ann, con):
    per_item = con.execute("SELECT COUNT(*) FROM annotations GROUP BY item_id").df().iloc[:, 0]
    assert per_item.min() == 1 and per_item.max() == 5
    share = per_item.value_counts(normalize=True)
    for k, p in ANNOTATORS_PER_ITEM.items():
        assert abs(share[k] - p) < 0.02, (k, share[k])
    dup = con.execute("SELECT COUNT(*) FROM (SELECT item_id, annotator_id FROM annotations GROUP BY 1, 2 HAVING COUNT(*) > 1)").fetchone()[0]
    assert dup == 0  # annotators of an item are distinct
    assert 0.77 < len(ann) / 60_000 < 0.83


def test_gold_share_and_critical_class_share(con):
    rows = con.execute("""SELECT i.project_id, COUNT(*), COUNT(g.item_id) FROM items i
                          JOIN projects p ON p.project_id = i.project_id AND p.task_type = 'classification'
                          LEFT JOIN gold_labels g USING (item_id) GROUP BY 1""").fetchall()
    for project, n_items, n_gold in rows:
        assert 0.05 <= n_gold / n_items <= 0.10, (project, n_gold / n_items)
    src = {r[0] for r in con.execute("SELECT DISTINCT source FROM gold_labels").fetchall()}
    assert src == {"honeypot", "expert"}
    # emergency_vehicle is < 1 % of main items: estimate with the majority label of each item.
    maj = con.execute("""SELECT label, COUNT(*) AS n FROM (
                            SELECT a.item_id, a.label, ROW_NUMBER() OVER (PARTITION BY a.item_id ORDER BY COUNT(*) DESC, a.label) AS r
                            FROM annotations a JOIN items i USING (item_id) WHERE i.project_id = 'streetscene'
                            GROUP BY a.item_id, a.label) WHERE r = 1 GROUP BY label""").df().set_index("label")["n"]
    assert maj[CRITICAL_CLASS] / maj.sum() < 0.01
    assert maj.idxmax() == "car" and len(maj) == 30


def test_attributes_splits_and_durations(con, ann):
    keys = con.execute("""SELECT i.project_id, a.key, COUNT(*) = (SELECT COUNT(*) FROM items j WHERE j.project_id = i.project_id)
                          FROM item_attributes a JOIN items i USING (item_id)
                          JOIN projects p ON p.project_id = i.project_id AND p.task_type = 'classification'
                          WHERE a.key NOT IN ('content_hash', 'group_id') GROUP BY 1, 2""").fetchall()  # leakage plants: some items
    per_project = {}
    for project, key, complete in keys:
        assert complete, (project, key)  # every item has the key
        per_project.setdefault(project, set()).add(key)
    assert all({"lighting", "sensor"} <= v for v in per_project.values())
    assert {r[0] for r in con.execute("SELECT DISTINCT value FROM item_attributes WHERE key = 'lighting'").fetchall()} == {"day", "dusk", "night"}
    splits = con.execute("SELECT split, COUNT(*) FROM items i JOIN projects p ON p.project_id = i.project_id "
                         "AND p.task_type = 'classification' GROUP BY 1").df().set_index("split").iloc[:, 0]
    assert set(splits.index) == {"train", "val", "test"} and 0.65 < splits["train"] / splits.sum() < 0.75
    med = ann[ann.source == "human"].groupby("annotator_id").duration_s.median()
    assert med.max() / med.min() > 2.5  # annotators work at clearly different speeds
    assert (ann.duration_s > 0).all()


def test_prelabel_sources_are_consistent(ann):
    no_s = ann.model_suggestion.isna()
    assert (ann.source[no_s] == "human").all()
    assert (ann.source[~no_s] != "human").all() and ann.model_confidence[~no_s].between(0, 1).all()
    acc = ann.source == "prelabel_accepted"
    assert (ann.label[acc] == ann.model_suggestion[acc]).all()
    assert (ann.label[ann.source == "prelabel_edited"] != ann.model_suggestion[ann.source == "prelabel_edited"]).all()
    share_s = ann.groupby(ann.week > 13).model_suggestion.apply(lambda s: s.notna().mean())
    assert 0.25 < (~no_s).mean() < 0.55 and share_s[True] > share_s[False] + 0.1  # rising over the weeks
    assert 0 < (ann.source == "model_auto").sum() < 0.02 * len(ann)


def test_reviews_verdicts(con):
    r = con.execute("""SELECT r.verdict, r.corrected_label, a.label, g.label AS gold FROM reviews r
                       JOIN annotations a USING (annotation_id) LEFT JOIN gold_labels g ON g.item_id = a.item_id""").df()
    assert set(r.verdict) == {"accepted", "rejected", "corrected"}
    assert r.corrected_label[r.verdict != "corrected"].isna().all()
    corr = r[r.verdict == "corrected"]
    assert (corr.corrected_label != corr.label).all()
    g = corr.dropna(subset=["gold"])
    assert (g.corrected_label == g.gold).all()


def test_no_cross_project_leakage(con):
    leaks = con.execute("""
        SELECT
          SUM(CASE WHEN substr(a.batch_id, 1, length(i.project_id)) <> i.project_id THEN 1 ELSE 0 END),
          SUM(CASE WHEN lc.label IS NULL THEN 1 ELSE 0 END),
          SUM(CASE WHEN (i.project_id = 'streetscene') <> (a.annotator_id LIKE 'ann_%') THEN 1 ELSE 0 END)
        FROM annotations a JOIN items i USING (item_id)
        LEFT JOIN label_classes lc ON lc.project_id = i.project_id AND lc.label = a.label AND lc.schema_version = a.schema_version
    """).fetchone()
    assert leaks == (0, 0, 0)
    pred = con.execute("""SELECT COUNT(*) FROM predictions p JOIN model_runs m USING (run_id) JOIN items i USING (item_id)
                          WHERE i.project_id <> m.project_id OR i.split <> 'test'""").fetchone()[0]
    assert pred == 0
    gold = con.execute("""SELECT COUNT(*) FROM gold_labels g JOIN items i USING (item_id)
                          LEFT JOIN label_classes lc ON lc.project_id = i.project_id AND lc.label = g.label
                          WHERE lc.label IS NULL""").fetchone()[0]
    assert gold == 0


def test_model_metrics_shape(con):
    m = con.execute("SELECT m.*, r.project_id FROM model_metrics m JOIN model_runs r USING (run_id)").df()
    assert set(m.metric) == {"f1", "precision", "recall", "accuracy"}
    assert m.value.between(0, 1).all()
    overall = m[m.label.isna()]
    assert set(overall.groupby("run_id").metric.apply(frozenset)) == {frozenset({"f1", "precision", "recall", "accuracy"})}
    per_class = m[m.label.notna() & (m.project_id == MAIN_PROJECT)]
    assert per_class.groupby("run_id").label.nunique().eq(30).all()
    # support = test items of the class available to the run (predictions rows per true class)
    sup = con.execute("""SELECT p.run_id, COUNT(*) FROM predictions p GROUP BY 1""").df().set_index("run_id").iloc[:, 0]
    tot = overall[overall.metric == "f1"].set_index("run_id").support
    assert (sup.sort_index() == tot.sort_index()).all()
    conf = con.execute("SELECT p.confidence, p.predicted_label = g.label AS ok FROM predictions p JOIN gold_labels g USING (item_id)").df()
    assert conf.confidence.mean() > conf.ok.mean()  # slightly over-confident


# ---------------------------------------------------------------------------------------------- injected truths --
def test_truth1_ann07_drift(ann):
    g = ann.dropna(subset=["gold"]).assign(ok=lambda d: d.label == d.gold, late=lambda d: d.week >= DRIFT_WEEK)
    a07 = g[g.annotator_id == "ann_07"].groupby("late").ok.agg(["mean", "size"])
    peers = g[g.annotator_id != "ann_07"].groupby("late").ok.mean()
    assert a07["size"].min() >= 60
    assert a07.loc[False, "mean"] > 0.85 and a07.loc[True, "mean"] < 0.78
    assert a07.loc[False, "mean"] - a07.loc[True, "mean"] > 0.15
    assert peers[True] >= peers[False] - 0.02  # the drop is ann_07's, not everyone's


def test_truth2_team_c_night_motorcycle(ann):
    mo = ann[ann.gold == "motorcycle"].assign(bike=lambda d: d.label == "bicycle", c=lambda d: d.team == "team_c",
                                              night=lambda d: d.lighting == "night")
    cell = mo.groupby(["c", "night"]).bike.agg(["mean", "size"])
    assert cell.loc[(True, True), "size"] >= 25
    assert cell.loc[(True, True), "mean"] > 0.40
    for key in [(True, False), (False, True), (False, False)]:
        assert cell.loc[key, "mean"] < 0.15, (key, cell.loc[key])


def test_truth3_critical_class_accuracy(ann):
    g = ann.dropna(subset=["gold"]).assign(ok=lambda d: d.label == d.gold)
    ev = g[g.gold == CRITICAL_CLASS].ok
    assert ev.size >= 60 and 0.5 < ev.mean() < 0.75
    assert g[g.gold != CRITICAL_CLASS].ok.mean() > ev.mean() + 0.15
    # Stratified (population-weighted by class) accuracy differs from the pooled one: QA over-samples rare classes.
    per = g.groupby("gold").ok.mean()
    pop = _majority(ann).value_counts()
    stratified = (per * pop.reindex(per.index).fillna(0)).sum() / pop.reindex(per.index).fillna(0).sum()
    assert stratified - g.ok.mean() > 0.01
    assert stratified > 0.88  # headline ~0.9


def test_truth4_van_agreement_jumps_with_schema_v2(ann):
    # Specific (positive) agreement on 'van' over pairs of annotations of the same item (Cicchetti & Feinstein 1990):
    # sum_i n_van(n_van - 1) / sum_i n_van (n_i - 1).
    per = ann.assign(is_van=ann.label == "van").groupby(["schema_version", "item_id"]).agg(
        n=("label", "size"), v=("is_van", "sum"))
    per = per[per.n > 1].assign(agree=lambda d: d.v * (d.v - 1), pairs=lambda d: d.v * (d.n - 1))
    tot = per.groupby(level=0)[["agree", "pairs"]].sum()
    sa = tot.agree / tot.pairs
    assert sa[1] < 0.5 and sa[2] > 0.6 and sa[2] - sa[1] > 0.2
    g = ann[ann.gold == "van"].assign(ok=lambda d: d.label == d.gold).groupby("schema_version").ok.agg(["mean", "size"])
    assert g["size"].min() >= 30 and g.loc[1, "mean"] < 0.75 and g.loc[2, "mean"] > 0.85


def test_truth5_model_f1_tracks_label_accuracy(con, ann):
    m = con.execute("""SELECT m.run_id, m.label, m.value, r.trained_on_batch FROM model_metrics m
                       JOIN model_runs r USING (run_id) WHERE r.project_id = 'streetscene' AND m.metric = 'f1'""").df()
    overall = m[m.label.isna()].sort_values("run_id").value.to_numpy()
    assert overall[-1] > overall[0] + 0.03 and np.all(np.diff(overall) > -0.01)
    r6 = m[(m.run_id == "streetscene-r6") & m.label.notna()].set_index("label").value
    acc = ann.dropna(subset=["gold"]).assign(ok=lambda d: d.label == d.gold).groupby("gold").ok.mean()
    both = pd.concat([r6.rename("f1"), acc.rename("acc")], axis=1).dropna()
    assert len(both) == 30
    assert both.f1.corr(both.acc, method="spearman") > 0.5
    # F1 also rises with class frequency (the confounder): majority-label counts per class.
    freq = _majority(ann).value_counts()
    assert r6.corr(np.log(freq.reindex(r6.index)), method="spearman") > 0.3


def test_truth6_ann23_accepts_wrong_prelabels(ann):
    s = ann.dropna(subset=["model_suggestion", "gold"])
    wrong = s[s.model_suggestion != s.gold].assign(acc=lambda d: d.label == d.model_suggestion)
    rate = wrong.groupby(wrong.annotator_id == "ann_23").acc.agg(["mean", "size"])
    assert rate.loc[True, "size"] >= 10
    assert rate.loc[True, "mean"] > 0.75 and rate.loc[False, "mean"] < 0.30
    any_s = ann.dropna(subset=["model_suggestion"]).assign(acc=lambda d: d.label == d.model_suggestion)
    by = any_s.groupby("annotator_id").acc.mean()
    assert by.idxmax() == "ann_23"


def test_truths_are_documented():
    readme = (ROOT / "sample_data" / "README.md").read_text(encoding="utf-8")
    assert [t.number for t in TRUTHS.values()] == [1, 2, 3, 4, 5, 6]
    for t in TRUTHS.values():
        assert f"`{t.name}`" in readme, t.name


# ---------------------------------------------------------------------------------------------- PostgreSQL ------
@pytest.mark.postgres
def test_postgres_build_matches_duckdb(demo_pg_url, demo_url):
    pg_eng, duck_eng = make_engine(demo_pg_url, read_only=True), make_engine(demo_url, read_only=True)
    try:
        assert table_counts(pg_eng) == table_counts(duck_eng)
    finally:
        pg_eng.dispose()
        duck_eng.dispose()
    for t in ("annotations", "gold_labels", "reviews", "label_classes", "model_metrics"):
        pd.testing.assert_frame_equal(_frame(demo_pg_url, t), _frame(demo_url, t), obj=t, check_dtype=False)


# ---------------------------------------------------------------------------------------------- CLI -------------
def test_cli_refuses_then_forces(tmp_path, capsys):
    from analytics.cli import main

    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    assert main(["demo", "--db", url, "--annotations", "20000", "--seed", "3"]) == 0
    first = _frame(url, "annotations")
    assert len(first) == 20_000
    capsys.readouterr()
    assert main(["demo", "--db", url, "--annotations", "20000"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["demo", "--db", url, "--if-missing"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["demo", "--db", url, "--annotations", "5000", "--seed", "3", "--force"]) == 0
    assert len(_frame(url, "annotations")) == 5_000
    assert not list(tmp_path.glob("*.building*"))


@pytest.mark.postgres
def test_cli_force_on_postgres(pg_url, capsys):
    from analytics.cli import main

    assert main(["demo", "--db", pg_url, "--annotations", "3000"]) == 0
    assert main(["demo", "--db", pg_url, "--annotations", "3000"]) == 2
    assert main(["demo", "--db", pg_url, "--annotations", "2000", "--force"]) == 0
    eng = make_engine(pg_url, read_only=True)
    try:
        assert table_counts(eng)["annotations"] == 2_000
    finally:
        eng.dispose()


# ---------------------------------------------------------------------------------------------- snapshot --------
def test_committed_snapshot_is_reproducible(tmp_path):
    rows = write_snapshot(tmp_path)
    assert 27_000 < rows["annotations.parquet"] < 33_000
    total = sum(f.stat().st_size for f in SNAPSHOT.iterdir())
    assert total < 5_000_000
    for name in rows:
        committed, fresh = SNAPSHOT / name, tmp_path / name
        if name.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(committed), pd.read_parquet(fresh), obj=name)
        else:
            assert committed.read_text() == fresh.read_text(), name


def test_cli_default_database_if_missing(tmp_path, monkeypatch, capsys):
    """Without --db: the embedded default file is built once (temp file + rename), then left alone."""
    import analytics.commands.demo as cmd
    import analytics.db as db
    from analytics.cli import main

    target = tmp_path / "data" / "labelqa.duckdb"
    monkeypatch.delenv("LABELQA_DB_URL", raising=False)
    monkeypatch.setattr(db, "_secrets_url", lambda cwd=None: None)
    monkeypatch.setattr(db, "DEFAULT_DB_PATH", target)
    monkeypatch.setattr(cmd, "DEFAULT_DB_PATH", target)
    assert main(["demo", "--if-missing", "--annotations", "3000"]) == 0
    assert target.exists() and not list(target.parent.glob("*.building*"))
    assert len(_frame(f"duckdb:///{target}", "annotations")) == 3_000
    capsys.readouterr()
    mtime = target.stat().st_mtime_ns
    assert main(["demo", "--if-missing"]) == 0
    assert "nothing to do" in capsys.readouterr().out and target.stat().st_mtime_ns == mtime
    assert main(["demo"]) == 2
    assert "--force" in capsys.readouterr().err
