"""Confident learning on the database (analytics.sources.label_errors_db, sql/label_errors_*.sql) equals the frame
path (analytics.metrics.label_errors, itself equal to cleanlab) on data loaded through ``labelqa load``:
random top-k inputs and the CIFAR-10 test set (284 / 284 / 226 / 706 issues per filter)."""
import json
import pathlib
import time

import numpy as np
import pandas as pd
import pytest

from analytics.db import make_engine
from analytics.filters import Filters
from analytics.io.ingest import load_files
from analytics.metrics import label_errors as le
from analytics.metrics.results import NoData
from analytics.sources.label_errors_db import label_errors_from_db, model_score_runs_from_db

DATA = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "cifar10_label_errors"
F = Filters(project_id="p")


def _load(tmp_path, url, given, probs, classes, wide=True, drop_below=None):
    """Project p, its classes, one annotation per item (the given label), run r1 and its scores via load_files."""
    n = len(given)
    ids = np.array([f"it{i:05d}" for i in range(n)], dtype=object)
    d = tmp_path
    pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]}).to_csv(d / "projects.csv", index=False)
    pd.DataFrame({"project_id": "p", "label": classes}).to_csv(d / "label_classes.csv", index=False)
    pd.DataFrame({"item_id": ids, "project_id": "p"}).to_parquet(d / "items.parquet", index=False)
    pd.DataFrame({"annotation_id": "a" + pd.Series(ids), "item_id": ids, "annotator_id": "ann",
                  "label": np.asarray(classes, dtype=object)[given],
                  "created_at": pd.Timestamp("2026-06-01")}).to_parquet(d / "annotations.parquet", index=False)
    pd.DataFrame({"run_id": ["r1"], "project_id": ["p"], "model_name": ["m"]}).to_csv(d / "model_runs.csv", index=False)
    if wide:
        sc = pd.DataFrame(probs, columns=[f"prob_{c}" for c in classes])
        sc.insert(0, "item_id", ids)
        sc.insert(0, "run_id", "r1")
        path = d / "scores.parquet"
    else:
        r, c = np.nonzero(probs >= drop_below)
        sc = pd.DataFrame({"run_id": "r1", "item_id": ids[r], "label": np.asarray(classes, dtype=object)[c],
                           "score": probs[r, c]})
        path = d / "model_scores.parquet"
    sc.to_parquet(path, index=False)
    files = [d / f for f in ("projects.csv", "label_classes.csv", "items.parquet", "annotations.parquet",
                             "model_runs.csv")] + [path]
    counts = load_files(url, files)
    return ids, counts


def _frame_result(ids, given, probs, classes, f, rank_by="self_confidence"):
    labels = pd.DataFrame({"item_id": ids, "label": np.asarray(classes, dtype=object)[given]})
    wide = pd.DataFrame(probs, columns=[f"prob_{c}" for c in classes])
    wide.insert(0, "item_id", ids)
    return le.label_errors_from_frames(labels, wide, f, rank_by)


def _same(db, ref):
    assert db.n_items == ref.n_items
    assert set(db.issues.item_id) == set(ref.issues.item_id)
    a = db.issues.set_index("item_id").sort_index()
    b = ref.issues.set_index("item_id").sort_index()
    assert (a.given_label == b.given_label).all() and (a.suggested_label == b.suggested_label).all()
    for col in ("score", "self_confidence", "suggested_score"):
        np.testing.assert_allclose(a[col], b[col], rtol=0, atol=1e-12)
    assert np.all(np.diff(db.issues.score.to_numpy()) >= 0)  # ranked, lowest label quality first
    pd.testing.assert_frame_equal(db.per_class, ref.per_class.loc[db.per_class.index], check_dtype=False)


@pytest.fixture(scope="module")
def cifar(tmp_path_factory):
    if not DATA.exists():
        pytest.skip("../shared/datasets/cifar10_label_errors is absent")
    p = np.load(DATA / "cifar10_test_set_pyx.npy")
    y = np.load(DATA / "cifar10_test_set_original_labels.npy").astype(np.int64)
    d = tmp_path_factory.mktemp("cifar")
    url = f"duckdb:///{d / 'c.duckdb'}"
    classes = [f"c{k}" for k in range(10)]
    t0 = time.perf_counter()
    ids, counts = _load(d, url, y, p, classes)
    print(f"\nCIFAR-10 loaded through load_files in {time.perf_counter() - t0:.1f} s: {counts}")
    return url, ids, y, p, classes


@pytest.mark.parametrize("filter_by,expected", list(zip(le.FILTERS, (284, 284, 226, 706))))
def test_cifar10_db_equals_frames_and_cleanlab_counts(cifar, filter_by, expected):
    url, ids, y, p, classes = cifar
    eng = make_engine(url, read_only=True)
    t0 = time.perf_counter()
    db = label_errors_from_db(eng, F, "r1", filter_by)
    took = time.perf_counter() - t0
    eng.dispose()
    print(f"\n{filter_by}: {len(db.issues)} issues from the database in {took:.2f} s")
    assert len(db.issues) == expected
    _same(db, _frame_result(ids, y, p, classes, filter_by))
    assert np.array_equal(np.sort(db.issues.item_id.to_numpy(str)), ids[le.find_label_issues(y, p, filter_by)].astype(str))


def test_cifar10_normalized_margin_and_runs(cifar):
    url, ids, y, p, classes = cifar
    eng = make_engine(url, read_only=True)
    db = label_errors_from_db(eng, F, "r1", rank_by="normalized_margin")
    runs = model_score_runs_from_db(eng, "p")
    eng.dispose()
    _same(db, _frame_result(ids, y, p, classes, "prune_by_noise_rate", "normalized_margin"))
    assert runs[["run_id", "n_items", "n_scores", "n_labels"]].values.tolist() == [["r1", 10_000, 100_000, 10]]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("filter_by", le.FILTERS)
def test_random_top_k_equals_frames(tmp_path, tmp_duckdb_url, seed, filter_by):
    """Noisy labels, long top-k scores (scores under 0.05 not stored: 0 for both paths)."""
    rng = np.random.default_rng(seed)
    k, n = int(rng.integers(3, 7)), int(rng.integers(40, 200))
    true = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.2, rng.integers(0, k, n), true)
    logits = rng.normal(size=(n, k)) + 2.5 * np.eye(k)[true]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probs = np.where(probs >= 0.05, probs, 0.0)
    classes = [f"k{i}" for i in range(k)]
    ids, _ = _load(tmp_path, tmp_duckdb_url, given, probs, classes, wide=False, drop_below=0.05)
    eng = make_engine(tmp_duckdb_url, read_only=True)
    db = label_errors_from_db(eng, F, "r1", filter_by)
    eng.dispose()
    _same(db, _frame_result(ids, given, probs, classes, filter_by))


def test_no_scores_is_nodata(tmp_path, tmp_duckdb_url):
    eng = make_engine(tmp_duckdb_url)
    from analytics.db import ensure_schema
    ensure_schema(eng)
    with pytest.raises(NoData, match="no labelled item of project p has scores in model run r1"):
        label_errors_from_db(eng, F, "r1")
    assert model_score_runs_from_db(eng, "p").empty
    eng.dispose()


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both", "predicted_neq_given"])
def test_postgres_runs_the_same_text(tmp_path, pg_url, filter_by):
    """The canonical SQL (array parameters, ROW_NUMBER, GREATEST) on a real PostgreSQL gives the frame result."""
    rng = np.random.default_rng(7)
    k, n = 4, 150
    true = rng.integers(0, k, n)
    given = np.where(rng.random(n) < 0.2, rng.integers(0, k, n), true)
    logits = rng.normal(size=(n, k)) + 2.5 * np.eye(k)[true]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = [f"k{i}" for i in range(k)]
    ids, _ = _load(tmp_path, pg_url, given, probs, classes)
    eng = make_engine(pg_url, read_only=True)
    db = label_errors_from_db(eng, F, "r1", filter_by)
    eng.dispose()
    _same(db, _frame_result(ids, given, probs, classes, filter_by))
