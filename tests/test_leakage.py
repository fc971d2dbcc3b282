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
