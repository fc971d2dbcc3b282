import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from analytics.metrics.leakage import find_leakage


def _frame():
    return pd.DataFrame({
        "item_id": ["a", "b", "c", "d", "e", "f"],
        "split": ["train", "test", "train", "train", "val", "test"],
        "label": ["cat", "cat", "dog", "dog", "dog", "cat"],
        "content_hash": ["h1", "h1", "h2", "h2", None, "h3"],   # h1 leaks train/test; h2 only within train
        "group_id": ["g1", "g1", "g2", "g3", "g3", "g4"],       # g1 and g3 span splits
    })


def test_planted_duplicates_and_groups():
    r = find_leakage(_frame())
    assert r.n_leaked == {"content_hash": 2, "group_id": 4}
    ch = r.items[r.items.key == "content_hash"]
    assert sorted(ch.item_id) == ["a", "b"]
    assert sorted(r.items[r.items.key == "group_id"].item_id) == ["a", "b", "d", "e"]
    assert r.per_class.loc[("content_hash", "cat"), "n_leaked"] == 2
    assert r.per_class.loc[("content_hash", "dog"), "n_leaked"] == 0
    assert r.per_class.loc[("group_id", "dog"), "share"] == pytest.approx(2 / 3)
    assert list(r.examples("group_id", 1).item_id) == ["b", "a"]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000))
def test_reorder_invariant_and_single_split_never_leaks(seed):
    rng = np.random.default_rng(seed)
    n = 40
    f = pd.DataFrame({"item_id": [f"i{i}" for i in range(n)], "split": rng.choice(["train", "test"], n),
                      "label": rng.choice(["x", "y"], n), "content_hash": rng.choice(list("abcdefgh"), n)})
    r1, r2 = find_leakage(f), find_leakage(f.sample(frac=1, random_state=seed))
    assert r1.n_leaked == r2.n_leaked
    assert set(r1.items.item_id) == set(r2.items.item_id)
    # brute-force definition: a hash leaks iff it occurs in both splits
    both = {h for h, g in f.groupby("content_hash") if g.split.nunique() > 1}
    assert set(r1.items.item_id) == set(f[f.content_hash.isin(both)].item_id)
    assert find_leakage(f.assign(split="train")).n_leaked == {"content_hash": 0}


def test_errors():
    with pytest.raises(ValueError, match="missing"):
        find_leakage(pd.DataFrame({"item_id": [1]}))
    with pytest.raises(ValueError, match="at least one of"):
        find_leakage(pd.DataFrame({"item_id": [1], "split": ["t"], "label": ["x"]}))
    with pytest.raises(ValueError, match="more than one row"):
        find_leakage(pd.DataFrame({"item_id": [1, 1], "split": ["t", "u"], "label": ["x", "x"], "group_id": [1, 1]}))


def test_database_path_equals_frame_path(tmp_path, tmp_duckdb_url):
    """Fingerprints stored as item attributes, loaded with labelqa load: the SQL path gives find_leakage's result."""
    from analytics.db import make_engine
    from analytics.filters import Filters
    from analytics.io.ingest import load_files
    from analytics.sources.leakage_db import leakage_from_db

    fr = _frame()
    d = tmp_path
    pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]}).to_csv(d / "projects.csv", index=False)
    pd.DataFrame({"project_id": "p", "label": ["cat", "dog"]}).to_csv(d / "label_classes.csv", index=False)
    fr[["item_id", "split"]].assign(project_id="p").to_csv(d / "items.csv", index=False)
    attrs = fr.melt(id_vars="item_id", value_vars=["content_hash", "group_id"], var_name="key").dropna()
    attrs.to_csv(d / "item_attributes.csv", index=False)
    pd.DataFrame({"annotation_id": "a" + fr.item_id, "item_id": fr.item_id, "annotator_id": "x", "label": fr.label,
                  "created_at": "2026-06-01 10:00:00"}).to_csv(d / "annotations.csv", index=False)
    load_files(tmp_duckdb_url, [d / f for f in ("projects.csv", "label_classes.csv", "items.csv",
                                                 "item_attributes.csv", "annotations.csv")])
    eng = make_engine(tmp_duckdb_url, read_only=True)
    db = leakage_from_db(eng, Filters(project_id="p", split="train"))  # the split filter is ignored
    eng.dispose()
    ref = find_leakage(fr)
    assert db.n_leaked == ref.n_leaked == {"content_hash": 2, "group_id": 4}
    cols = ["key", "value", "item_id", "split", "label"]
    key = lambda f: f[cols].astype(str).sort_values(cols).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(key(db.items), key(ref.items))
    pd.testing.assert_frame_equal(db.per_class.sort_index(), ref.per_class.sort_index(), check_dtype=False)
