"""Issue 14 signals the demo plants (analytics.io.demo.extras): leakage found exactly where it was planted, model
scores that agree with the stored predictions, and confident learning that flags mostly real label errors
(checked against gold, which holds the true class)."""
from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from analytics.filters import Filters
from analytics.io.demo.extras import LEAKY_GROUP, LEAKY_GROUP_ID, N_CLEAN_GROUPS, N_DUPLICATES, N_SAME_SPLIT

MAIN = "streetscene"


def _df(engine, sql: str) -> pd.DataFrame:
    with engine.connect() as c:
        return pd.read_sql(text(sql), c)


def test_leakage_finds_exactly_the_planted_duplicates_and_group(demo_engine):
    from analytics.sources.leakage_db import leakage_from_db

    fp = _df(demo_engine, "SELECT ia.item_id, ia.key, ia.value, i.split FROM item_attributes ia "
                          "JOIN items i USING (item_id) WHERE ia.key IN ('content_hash', 'group_id')")
    h, g = fp[fp.key == "content_hash"], fp[fp.key == "group_id"]
    # what was planted: pairs of items per hash, N_DUPLICATES train x test plus N_SAME_SPLIT inside train
    pairs = h.groupby("value").split.agg(lambda s: "+".join(sorted(s)))
    assert (h.groupby("value").size() == 2).all()
    assert pairs.value_counts().to_dict() == {"test+train": N_DUPLICATES, "train+train": N_SAME_SPLIT}
    assert g.groupby("value").size().to_dict() == {LEAKY_GROUP_ID: sum(LEAKY_GROUP),
                                                   **{f"src-{k:04d}": 4 for k in range(1, N_CLEAN_GROUPS + 1)}}
    leaky = g[g.value == LEAKY_GROUP_ID].split.value_counts().to_dict()
    assert leaky == dict(zip(("train", "val", "test"), LEAKY_GROUP))
    assert set(g[g.value != LEAKY_GROUP_ID].split) == {"train"}

    lk = leakage_from_db(demo_engine, Filters(MAIN))
    found = lk.items
    expected_dup = set(h[h.value.isin(pairs[pairs == "test+train"].index)].item_id)
    assert set(found[found.key == "content_hash"].item_id) == expected_dup and len(expected_dup) == 2 * N_DUPLICATES
    assert set(found[found.key == "group_id"].item_id) == set(g[g.value == LEAKY_GROUP_ID].item_id)
    assert lk.n_leaked == {"content_hash": 2 * N_DUPLICATES, "group_id": sum(LEAKY_GROUP)}
    # duplicates carry the same true class (gold, where both have it): exact copies of one image
    gold = _df(demo_engine, "SELECT item_id, label FROM gold_labels").set_index("item_id").label
    both = h[h.item_id.isin(gold.index)].assign(gold=lambda d: d.item_id.map(gold)).groupby("value").gold.nunique()
    assert (both <= 1).all()
    # other projects have no fingerprints: nothing to check there (not a pass)
    from analytics.metrics.results import NoData
    with pytest.raises(NoData):
        leakage_from_db(demo_engine, Filters("retail"))


def test_model_scores_agree_with_the_predictions(demo_engine):
    sc = _df(demo_engine, "SELECT s.* FROM model_scores s")
    assert set(sc.run_id) == {f"{MAIN}-r6"}
    n_items = _df(demo_engine, f"SELECT COUNT(*) AS n FROM items WHERE project_id = '{MAIN}'").n[0]
    assert sc.item_id.nunique() == n_items and (sc.groupby("item_id").size() == 3).all()
    assert sc.score.between(0, 1).all() and (sc.groupby("item_id").score.sum() <= 1 + 1e-9).all()
    assert (sc.groupby("item_id").label.nunique() == 3).all()
    ranked = sc.sort_values(["item_id", "score"], ascending=[True, False])
    top = ranked.drop_duplicates("item_id")
    second = ranked[~ranked.index.isin(top.index)].drop_duplicates("item_id")
    assert (top.score.to_numpy() > second.score.to_numpy()).all()  # strictly the arg-max
    pred = _df(demo_engine, f"SELECT item_id, predicted_label, confidence FROM predictions WHERE run_id = '{MAIN}-r6'")
    m = pred.merge(top, on="item_id")
    assert len(m) == len(pred) > 0
    assert (m.predicted_label == m.label).all() and (abs(m.confidence - m.score) < 1e-9).all()


def test_label_errors_on_the_demo_are_mostly_real_errors(demo_engine):
    from analytics.sources.label_errors_db import label_errors_from_db

    res = label_errors_from_db(demo_engine, Filters(MAIN), f"{MAIN}-r6")
    assert res.n_items > 10_000 and 0.02 < len(res.issues) / res.n_items < 0.2
    gold = _df(demo_engine, "SELECT item_id, label AS gold FROM gold_labels")
    flagged = res.issues.merge(gold, on="item_id")
    assert len(flagged) >= 50
    precision = (flagged.given_label != flagged.gold).mean()
    assert precision > 0.7, precision  # gold says most flags are real label errors
    # and the suggested label is the true class for most of the real ones
    real = flagged[flagged.given_label != flagged.gold]
    assert (real.suggested_label == real.gold).mean() > 0.8
