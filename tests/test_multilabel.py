import numpy as np
import pandas as pd
import pytest

from analytics.kinds.multilabel.accuracy import cooccurrence, multilabel_accuracy


def test_multilabel_accuracy_hand_example():
    gold = pd.DataFrame({"item_id": ["1", "1", "2"], "label": ["a", "b", "c"]})
    df = pd.DataFrame({"item_id": ["1", "1", "2", "1", "2"], "annotator_id": ["x", "x", "x", "y", "y"],
                       "label": ["a", "b", "c", "a", "a"]})
    r = multilabel_accuracy(df, gold)
    g = r["per_group"].set_index("annotator_id")
    assert g.loc["x", "subset_accuracy"] == 1.0 and g.loc["y", "subset_accuracy"] == 0.0
    # y on 3 labels x 2 items: item1 {a} vs {a,b} -> 2 of 3 right; item2 {a} vs {c} -> 1 of 3 right
    assert g.loc["y", "hamming_accuracy"] == pytest.approx(3 / 6)
    pl = r["per_label"].set_index("label")
    assert pl.loc["a", "precision"] == pytest.approx(2 / 3) and pl.loc["b", "recall"] == pytest.approx(1 / 2)
    co = cooccurrence(df)
    assert co.loc["a", "b"] == 1 and co.loc["a", "a"] == 3
