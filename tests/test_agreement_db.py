"""Agreement from the database: the SQL sufficient statistics (sql/agreement_*.sql) equal the pandas ones, and
DataFrame path == DuckDB path == PostgreSQL path, point values and intervals (same seed), on a small known
database built here and on the seeded demo data (injected truth 4: agreement on 'van' jumps with schema v2).
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from analytics import agreement as ag
from analytics.db import ensure_schema, make_engine, query_df
from analytics.filters import Filters

NOMINAL = ["krippendorff", "fleiss", "gwet_ac1", "percent", "scott_pi"]

# The filtered annotations of one project as a long frame (what the frame path receives); a plain SELECT in the
# test, mirroring sql/_filtered_annotations.sql without filters.
FRAME_SQL = """
SELECT a.item_id, a.annotator_id, a.label, CAST(date_trunc('week', a.created_at) AS DATE) AS week,
       an.team, a.schema_version, a.batch_id, i.split, a.created_at
FROM annotations a
JOIN items i ON i.item_id = a.item_id
LEFT JOIN annotators an ON an.annotator_id = a.annotator_id
WHERE i.project_id = :project_id
"""


def _synthetic(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Three projects: 'p1' (text labels, 4 weeks, 2 teams + one annotator without team, schema v1/v2, three
    batches, items with 1-4 ratings, a few repeated ratings), 'p2' (numeric labels '1'..'5'), 'other' (noise
    that the project filter must drop)."""
    rng = np.random.default_rng(seed)
    anns = [f"a{i}" for i in range(7)]
    team = {a: ("t1" if i < 3 else "t2" if i < 6 else None) for i, a in enumerate(anns)}
    base = dt.datetime(2026, 5, 25, 9)  # a Monday
    labels = np.array(["car", "van", "truck", "bus", "bike"])
    ann_rows, item_rows = [], []
    for project, n_items, kind in (("p1", 360, "text"), ("p2", 150, "num"), ("other", 80, "text")):
        for i in range(n_items):
            item = f"{project}-item-{i}"
            item_rows.append((item, project, "train" if rng.random() < 0.7 else "val"))
            k = int(rng.integers(1, 5))
            who = rng.choice(len(anns), k, replace=False)
            y = int(rng.integers(0, 5))
            t = base + dt.timedelta(days=int(rng.integers(0, 28)), hours=int(rng.integers(0, 8)))
            for j, a in enumerate(who):
                lab = y if rng.random() < (0.75 if project != "other" else 0.3) else int(rng.integers(0, 5))
                when = t + dt.timedelta(hours=20 * j)  # some ratings of an item fall into the next week
                version = 2 if when >= base + dt.timedelta(days=14) else 1
                value = str(labels[lab]) if kind == "text" else str(lab + 1)
                ann_rows.append((f"{item}-{j}", item, anns[a], value, when, version, f"{project}-b{i % 3}"))
            if project == "p1" and i % 40 == 0:  # an annotator rating the same item twice
                ann_rows.append((f"{item}-dup", item, anns[who[0]], str(labels[(y + 1) % 5]), t, 1,
                                 f"{project}-b{i % 3}"))
    return {
        "projects": pd.DataFrame({"project_id": ["p1", "p2", "other"], "name": ["P1", "P2", "O"],
                                  "client": ["c", "c", "c"], "task_type": "classification"}),
        "annotators": pd.DataFrame({"annotator_id": anns, "team": [team[a] for a in anns]}),
        "items": pd.DataFrame(item_rows, columns=["item_id", "project_id", "split"]),
        "annotations": pd.DataFrame(ann_rows, columns=["annotation_id", "item_id", "annotator_id", "label",
                                                       "created_at", "schema_version", "batch_id"]),
    }


def _load_duckdb(url: str, tables: dict[str, pd.DataFrame]) -> None:
    import duckdb

    eng = make_engine(url)
    ensure_schema(eng)
    eng.dispose()
    con = duckdb.connect(url.split(":///", 1)[1])
    try:
        for name, df in tables.items():
            con.register("src", df)
            con.execute(f"INSERT INTO {name} ({', '.join(df.columns)}) SELECT {', '.join(df.columns)} FROM src")
            con.unregister("src")
    finally:
        con.close()


def _load_sqlalchemy(url: str, tables: dict[str, pd.DataFrame]) -> None:
    eng = make_engine(url)
    ensure_schema(eng)
    with eng.begin() as c:
        for name, df in tables.items():
            df.to_sql(name, c, if_exists="append", index=False, method="multi", chunksize=500)
    eng.dispose()


@pytest.fixture(scope="module")
def tables():
    return _synthetic()


@pytest.fixture(scope="module")
def small_duck(tmp_path_factory, tables):
    url = f"duckdb:///{tmp_path_factory.mktemp('agr') / 'small.duckdb'}"
    _load_duckdb(url, tables)
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def small_pg(pg_server, tables):
    import uuid

    from sqlalchemy import create_engine

    name = "agr_" + uuid.uuid4().hex[:10]
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server.rsplit("/", 1)[0] + "/" + name
    _load_sqlalchemy(url, tables)
    eng = make_engine(url, read_only=True)
    yield eng
    eng.dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_FRAMES: dict[tuple[str, str], pd.DataFrame] = {}


def _frame(engine, project: str = "p1") -> pd.DataFrame:
    """The project's annotations as a frame (read once per database; callers never modify it in place)."""
    key = (str(engine.url), project)
    if key not in _FRAMES:
        _FRAMES[key] = _read_frame(engine, project)
    return _FRAMES[key]


def _read_frame(engine, project: str) -> pd.DataFrame:
    with engine.connect() as c:
        df = pd.read_sql(text(FRAME_SQL), c, params={"project_id": project})
    df["week"] = pd.to_datetime(df["week"]).dt.date
    df["team"] = df["team"].astype(object).where(df["team"].notna(), None)
    return df


def _txt(s: pd.Series) -> pd.Series:
    """Group/label keys as text, every kind of missing value (None, NaN, NA) as '<NA>'."""
    return s.astype(object).map(lambda v: "<NA>" if v is None or v is pd.NA or (isinstance(v, float) and
                                                                              math.isnan(v)) else str(v))


def _keys(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = _txt(df[cols[0]])
    for c in cols[1:]:
        out = out + "|" + _txt(df[c])
    return out


def _same(a, b, by: str | None, cols=("value", "ci_low", "ci_high")) -> None:
    """Two results (Estimate or grouped frame) agree: numbers to 1e-12 (NaN == NaN), counts and reasons exactly."""
    if by is None:
        for f in cols:
            x, y = getattr(a, f), getattr(b, f)
            assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-12), f
        assert (a.n_items, a.n_annotations, a.reason) == (b.n_items, b.n_annotations, b.reason)
        return
    a = a.assign(_k=_txt(a[by])).sort_values("_k").reset_index(drop=True)
    b = b.assign(_k=_txt(b[by])).sort_values("_k").reset_index(drop=True)
    assert list(a["_k"]) == list(b["_k"])
    for f in cols:
        np.testing.assert_allclose(a[f].to_numpy(float), b[f].to_numpy(float), rtol=0, atol=1e-12, equal_nan=True)
    for f in ("n_items", "n_annotations"):
        assert list(a[f]) == list(b[f])
    assert list(a["reason"]) == list(b["reason"])


# ------------------------------------------------------------------------------------------ SQL == pandas, DuckDB

def test_item_bucket_equals_sql(small_duck):
    with small_duck.connect() as c:
        sql = pd.read_sql(text("SELECT item_id, ascii(substr(md5(item_id), 1, 1)) * 4 "
                               "+ ascii(substr(md5(item_id), 2, 1)) % 4 AS bucket FROM items"), c)
    assert (ag.item_bucket(sql["item_id"]).to_numpy() == sql["bucket"].to_numpy()).all()
    assert set(sql["bucket"]) <= set(ag.BUCKET_IDS)


@pytest.mark.parametrize("by", ag.DB_GROUPS)
def test_bucket_stats_sql_equals_pandas(small_duck, by):
    sql = ag._db_stats(small_duck, Filters("p1"), "agreement_bucket_stats", by)
    pan = ag.bucket_stats(_frame(small_duck), by)
    keys = ([by] if by else []) + ["bucket", "label"]
    sql = sql.assign(_k=_keys(sql, keys)).sort_values("_k").reset_index(drop=True)
    pan = pan.assign(_k=_keys(pan, keys)).sort_values("_k").reset_index(drop=True)
    assert list(sql["_k"]) == list(pan["_k"])
    for col in ("n_pairable", "items_with_label", "n_single"):
        assert (sql[col].to_numpy(np.int64) == pan[col].to_numpy(np.int64)).all(), col
    for col in ("o_cc", "fleiss_sum", "prop_sum"):
        np.testing.assert_allclose(sql[col].to_numpy(float), pan[col].to_numpy(float), rtol=1e-13, atol=1e-12)


def test_coincidence_stats_sql_equals_pandas(small_duck):
    sql = query_df(small_duck, "agreement_coincidences", **Filters("p2").params(), by="week")
    pan = ag.coincidence_stats(_frame(small_duck, "p2"), "week")
    sql["week"] = pd.to_datetime(sql.pop("grp")).dt.date
    keys = ["week", "bucket", "label_c", "label_k"]
    merged = sql.merge(pan, on=[k for k in keys], how="outer", suffixes=("_sql", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all()
    np.testing.assert_allclose(merged["o_sql"], merged["o_pd"], atol=1e-12)
    np.testing.assert_allclose(merged["prop_sum_sql"], merged["prop_sum_pd"], atol=1e-12)
    assert (merged["n_single_sql"] == merged["n_single_pd"]).all()


@pytest.mark.parametrize("by", ag.DB_GROUPS)
@pytest.mark.parametrize("metric", NOMINAL)
def test_frame_equals_duckdb(small_duck, metric, by):
    frame = _frame(small_duck)
    _same(ag.agreement(frame, metric, by=by, n_boot=200, seed=9),
          ag.agreement_from_db(small_duck, Filters("p1"), metric, by=by, n_boot=200, seed=9), by)


@pytest.mark.parametrize("level", ["ordinal", "interval", "ratio", "nominal"])
def test_numeric_levels_frame_equals_duckdb(small_duck, level):
    frame = _frame(small_duck, "p2").assign(label=lambda d: d["label"].astype(float))
    for by in (None, "week"):
        _same(ag.krippendorff_alpha(frame, level=level, n_boot=150, seed=2) if by is None else
              ag.agreement(frame, "krippendorff", by=by, level=level, n_boot=150, seed=2),
              ag.agreement_from_db(small_duck, Filters("p2"), "krippendorff", by=by, level=level, n_boot=150,
                                   seed=2), by)


def test_nominal_alpha_same_from_both_queries(small_duck):
    # the coincidence query restricted to nominal distances gives the bucket-stats nominal alpha
    via_coinc = ag._finish_coincidences(ag._db_stats(small_duck, Filters("p1"), "agreement_coincidences", None),
                                        [], "nominal", None, 100, 1, 0.95)
    via_stats = ag.agreement_from_db(small_duck, Filters("p1"), "krippendorff", n_boot=100, seed=1)
    assert via_coinc.iloc[0]["value"] == pytest.approx(via_stats.value, abs=1e-12)
    assert via_coinc.iloc[0]["ci_low"] == pytest.approx(via_stats.ci_low, abs=1e-12)


def test_non_numeric_labels_refused_for_interval(small_duck):
    with pytest.raises(ValueError, match=r"labels must be numeric for level='interval': '\w+'"):
        ag.agreement_from_db(small_duck, Filters("p1"), "krippendorff", level="interval")


def test_per_category_and_pairwise_frame_equals_duckdb(small_duck):
    frame = _frame(small_duck)
    for by in (None, "week", "schema_version"):
        a = ag.per_category_agreement(frame, by=by, n_boot=150, seed=4)
        b = ag.per_category_agreement_from_db(small_duck, Filters("p1"), by=by, n_boot=150, seed=4)
        assert list(a.columns) == list(b.columns)
        keys = ([by] if by else []) + ["label"]
        a = a.sort_values(keys).reset_index(drop=True)
        b = b.sort_values(keys).reset_index(drop=True)
        assert list(_keys(a, keys)) == list(_keys(b, keys))
        num = ["specific_agreement", "ci_low", "ci_high", "fleiss_kappa", "kappa_ci_low", "kappa_ci_high"]
        np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), atol=1e-12, equal_nan=True)
        assert a[["n_annotations", "n_items"]].equals(b[["n_annotations", "n_items"]])
    pa = ag.pairwise_cohen(frame, min_shared=10)
    pb = ag.pairwise_cohen_from_db(small_duck, Filters("p1"), min_shared=10)
    assert len(pa) > 5 and pa[["annotator_a", "annotator_b", "n_shared"]].equals(
        pb[["annotator_a", "annotator_b", "n_shared"]])
    np.testing.assert_allclose(pa[["kappa", "ci_low", "ci_high"]].to_numpy(float),
                               pb[["kappa", "ci_low", "ci_high"]].to_numpy(float), atol=1e-12)


@pytest.mark.parametrize("filt, keep", [
    (dict(team="t2"), lambda d: d["team"] == "t2"),
    (dict(schema_version=2), lambda d: d["schema_version"] == 2),
    (dict(split="val"), lambda d: d["split"] == "val"),
    (dict(batch_id="p1-b1"), lambda d: d["batch_id"] == "p1-b1"),
    (dict(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 10)),
     lambda d: (d["created_at"] >= pd.Timestamp("2026-06-01")) & (d["created_at"] < pd.Timestamp("2026-06-11"))),
])
def test_filters_match_frame_subsets(small_duck, filt, keep):
    frame = _frame(small_duck)
    sub = frame[keep(frame)]
    _same(ag.agreement(sub, "krippendorff", n_boot=100, seed=1),
          ag.agreement_from_db(small_duck, Filters("p1", **filt), "krippendorff", n_boot=100, seed=1), None)


def test_team_groups_are_within_team(small_duck):
    res = ag.agreement_from_db(small_duck, Filters("p1"), "percent", by="team", n_boot=0)
    assert list(res["team"]) == ["t1", "t2", None]  # the annotator without a team is its own group
    frame = _frame(small_duck)
    t1 = frame[frame["team"] == "t1"]
    assert res.iloc[0]["n_items"] == ag.percent_agreement(t1, n_boot=0).n_items
    # an item rated by both teams is a unit in each team, never a cross-team pair
    both = frame.groupby("item_id")["team"].nunique()
    assert (both >= 2).any()


def test_db_argument_errors(small_duck):
    with pytest.raises(ValueError, match="unknown by 'annotator_id'"):
        ag.agreement_from_db(small_duck, Filters("p1"), by="annotator_id")
    with pytest.raises(ValueError, match="pairwise_cohen_from_db"):
        ag.agreement_from_db(small_duck, Filters("p1"), "cohen")
    est = ag.agreement_from_db(small_duck, Filters("nope"), "krippendorff")
    assert not est.defined and est.reason == "no annotations"


def test_other_project_is_excluded(small_duck):
    frame = _frame(small_duck)
    est = ag.agreement_from_db(small_duck, Filters("p1"), "fleiss", n_boot=0)
    assert est.n_annotations == ag.fleiss_kappa(frame, n_boot=0).n_annotations
    assert est.value == pytest.approx(ag.fleiss_kappa(frame, n_boot=0).value, abs=1e-12)


# ------------------------------------------------------------------------------------------ PostgreSQL

@pytest.mark.postgres
def test_frame_equals_duckdb_equals_postgres(small_duck, small_pg):
    f = Filters("p1")
    frame = _frame(small_pg)
    for metric, by in [(m, b) for m in NOMINAL for b in (None, "week")] + [("krippendorff", b) for b in ag.DB_GROUPS]:
        duck = ag.agreement_from_db(small_duck, f, metric, by=by, n_boot=200, seed=9)
        pg = ag.agreement_from_db(small_pg, f, metric, by=by, n_boot=200, seed=9)
        _same(duck, pg, by)
        _same(ag.agreement(frame, metric, by=by, n_boot=200, seed=9), pg, by)
    for level in ("ordinal", "interval", "ratio"):
        _same(ag.agreement_from_db(small_duck, Filters("p2"), "krippendorff", by="week", level=level, n_boot=100),
              ag.agreement_from_db(small_pg, Filters("p2"), "krippendorff", by="week", level=level, n_boot=100),
              "week")
    a = ag.per_category_agreement_from_db(small_duck, f, by="schema_version", n_boot=100)
    b = ag.per_category_agreement_from_db(small_pg, f, by="schema_version", n_boot=100)
    np.testing.assert_allclose(a[["specific_agreement", "ci_low", "ci_high"]].to_numpy(float),
                               b[["specific_agreement", "ci_low", "ci_high"]].to_numpy(float), atol=1e-12)
    pa, pb = ag.pairwise_cohen_from_db(small_duck, f, 10), ag.pairwise_cohen_from_db(small_pg, f, 10)
    np.testing.assert_allclose(pa[["kappa", "ci_low", "ci_high"]].to_numpy(float),
                               pb[["kappa", "ci_low", "ci_high"]].to_numpy(float), atol=1e-12)


@pytest.mark.postgres
def test_item_bucket_equals_postgres_md5(small_pg):
    with small_pg.connect() as c:
        sql = pd.read_sql(text("SELECT item_id, ascii(substr(md5(item_id), 1, 1)) * 4 "
                               "+ ascii(substr(md5(item_id), 2, 1)) % 4 AS bucket FROM items"), c)
    assert (ag.item_bucket(sql["item_id"]).to_numpy() == sql["bucket"].to_numpy()).all()


# ------------------------------------------------------------------------------------------ demo data

@pytest.fixture(scope="module")
def demo(request):
    pytest.importorskip("analytics.demo")
    return request.getfixturevalue("demo_engine")


def test_demo_truth4_van_agreement_jumps_with_schema_v2(demo):
    from analytics.demo import MAIN_PROJECT

    per = ag.per_category_agreement_from_db(demo, Filters(MAIN_PROJECT), by="schema_version", n_boot=1000, seed=0)
    van = per[per["label"] == "van"].set_index("schema_version")
    v1, v2 = van.loc[1], van.loc[2]
    assert v2["specific_agreement"] > v1["specific_agreement"]
    assert v2["ci_low"] > v1["ci_high"]  # non-overlapping 95 % intervals
    assert v2["kappa_ci_low"] > v1["kappa_ci_high"]
    assert min(v1["n_items"], v2["n_items"]) >= 30


def test_demo_frame_equals_duckdb_weekly(demo):
    from analytics.demo import MAIN_PROJECT

    frame = _frame(demo, MAIN_PROJECT)
    for metric in ("krippendorff", "fleiss"):
        _same(ag.agreement(frame, metric, by="week", n_boot=200, seed=0),
              ag.agreement_from_db(demo, Filters(MAIN_PROJECT), metric, by="week", n_boot=200, seed=0), "week")


@pytest.mark.postgres
def test_demo_frame_equals_duckdb_equals_postgres(demo, demo_pg_url):
    from analytics.demo import MAIN_PROJECT

    pg = make_engine(demo_pg_url, read_only=True)
    try:
        f = Filters(MAIN_PROJECT)
        frame = _frame(pg, MAIN_PROJECT)
        for by in (None, "week", "team"):
            d = ag.agreement_from_db(demo, f, "krippendorff", by=by, n_boot=200, seed=0)
            p = ag.agreement_from_db(pg, f, "krippendorff", by=by, n_boot=200, seed=0)
            _same(d, p, by)
            _same(ag.agreement(frame, "krippendorff", by=by, n_boot=200, seed=0), p, by)
        a = ag.per_category_agreement_from_db(demo, f, by="schema_version", n_boot=200)
        b = ag.per_category_agreement_from_db(pg, f, by="schema_version", n_boot=200)
        np.testing.assert_allclose(a[["specific_agreement", "ci_low", "ci_high"]].to_numpy(float),
                                   b[["specific_agreement", "ci_low", "ci_high"]].to_numpy(float), atol=1e-12)
    finally:
        pg.dispose()
