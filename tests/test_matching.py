import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy.optimize import linear_sum_assignment

from analytics.kinds.boxes import box_agreement, detection_accuracy, localisation_bias, label_confusions
from analytics.kinds.multilabel import multilabel_agreement_json
from analytics.metrics.matching import box_iou, interval_iou, one_to_one


def test_iou_hand_cases():
    # [0,10]x[0,10] vs [5,15]x[0,10]: intersection 50, union 150 -> 1/3 (hand-computed)
    assert box_iou(0, 0, 10, 10, 5, 0, 10, 10) == pytest.approx(1 / 3)
    # nested 2x2 in 4x4: 4 / 16
    assert box_iou(0, 0, 4, 4, 1, 1, 2, 2) == pytest.approx(0.25)
    assert box_iou(0, 0, 1, 1, 2, 2, 1, 1) == 0.0
    assert interval_iou(0, 10, 5, 15) == pytest.approx(5 / 15)


@given(st.lists(st.floats(0, 100), min_size=8, max_size=8), st.floats(-50, 50), st.floats(-50, 50))
def test_iou_translation_invariant(v, dx, dy):
    x1, y1, x2, y2 = v[:4]
    w1, h1, w2, h2 = (abs(a) + 1 for a in v[4:])
    a = box_iou(x1, y1, w1, h1, x2, y2, w2, h2)
    assert box_iou(x1 + dx, y1 + dy, w1, h1, x2 + dx, y2 + dy, w2, h2) == pytest.approx(a, abs=1e-9)


@settings(max_examples=50)
@given(st.integers(0, 10_000))
def test_one_to_one_equals_scipy(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(1, 6, 2)
    S = np.where(rng.random((n, m)) < 0.6, rng.random((n, m)) + 0.01, 0.0)
    i, j = np.nonzero(S)
    ok = one_to_one(i, j, S[i, j], np.zeros(len(i), int))
    r, c = linear_sum_assignment(S, maximize=True)
    assert S[i[ok], j[ok]].sum() == pytest.approx(S[r, c].sum())
    assert len(np.unique(i[ok])) == ok.sum() and len(np.unique(j[ok])) == ok.sum()


def _boxes(seed, shrink=False, swap=False, n_items=80):
    rng = np.random.default_rng(seed)
    rows, gold = [], []
    labels = np.array(["car", "bicycle", "motorcycle"])
    for it in range(n_items):
        for _ in range(rng.integers(1, 5)):
            x, y, w, h, lab = rng.uniform(10, 500), rng.uniform(10, 500), *rng.uniform(20, 80, 2), labels[rng.integers(3)]
            gold.append((f"i{it}", lab, x, y, w, h))
            for a in range(3):
                f = np.sqrt(0.85) if shrink and a == 0 else 1.0
                lab2 = "bicycle" if swap and a == 1 and lab == "motorcycle" else lab
                rows.append((f"i{it}", f"a{a}", lab2, x + w * (1 - f) / 2, y + h * (1 - f) / 2, w * f, h * f))
    cols = ["item_id", "annotator_id", "label", "x", "y", "width", "height"]
    return pd.DataFrame(rows, columns=cols), pd.DataFrame(gold, columns=[c for c in cols if c != "annotator_id"])


def test_perfect_box_agreement_and_order_invariance():
    b, _ = _boxes(0)
    r = box_agreement(b, n_boot=0)["overall"]
    assert r["mean"] == 1.0 and r["mean_iou"] == pytest.approx(1.0)
    shuffled = b.sample(frac=1, random_state=3).replace({"annotator_id": {"a0": "z9"}})
    r2 = box_agreement(shuffled, n_boot=0)["overall"]
    assert r2["mean"] == r["mean"] and r2["n_pairs"] == 3


def test_planted_undersized_boxes_and_confusion():
    b, g = _boxes(1, shrink=True, swap=True)
    lb = localisation_bias(b, g).set_index("annotator_id")
    # area factor 0.85 planted for a0: log(0.85) = -0.1625
    assert lb.loc["a0", "log_area_ratio"] == pytest.approx(np.log(0.85), abs=1e-9)
    assert abs(lb.loc["a2", "log_area_ratio"]) < 1e-9
    conf = label_confusions(b, g, by=["annotator_id"]).set_index(["annotator_id", "gold_label", "label"])
    assert conf.loc[("a1", "motorcycle", "bicycle"), "share"] == 1.0
    acc = detection_accuracy(b, g, by=["annotator_id", "label"]).set_index(["annotator_id", "label"])
    assert acc.loc[("a1", "motorcycle"), "recall"] == 0.0 and acc.loc[("a2", "motorcycle"), "recall"] == 1.0


def test_box_errors():
    b, _ = _boxes(2, n_items=2)
    with pytest.raises(ValueError, match="column 'width': box size must be positive"):
        box_agreement(b.assign(width=-1.0))
    with pytest.raises(ValueError, match="box extends outside the image"):
        box_agreement(b.assign(image_width=5.0))


def test_multilabel_masi_alpha_equals_nltk():
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import masi_distance
    rng = np.random.default_rng(4)
    rows, L = [], list("abcde")
    for it in range(40):
        base = set(rng.choice(L, rng.integers(1, 3), replace=False))
        for a in range(3):
            s = set(base) ^ ({L[rng.integers(5)]} if rng.random() < .4 else set()) or {"a"}
            rows += [(f"i{it}", f"a{a}", lab) for lab in s]
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    sets = df.groupby(["annotator_id", "item_id"])["label"].agg(frozenset)
    ref = AnnotationTask(data=[(a, i, s) for (a, i), s in sets.items()], distance=masi_distance).alpha()
    assert multilabel_agreement_json(df)["overall"]["masi_alpha"] == pytest.approx(ref, abs=1e-12)
    perfect = df[df["annotator_id"] == "a0"]
    perfect = pd.concat([perfect, perfect.assign(annotator_id="a1")])
    out = multilabel_agreement_json(perfect)["overall"]
    assert out["masi_alpha"] == 1.0 and out["exact_set_agreement"] == 1.0
