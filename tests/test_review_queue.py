import json

import numpy as np
import pandas as pd
import pytest

from analytics.metrics import review_queue as rq


def _items():
    return pd.DataFrame({
        "item_id": ["a", "b", "c", "d", "e", "f"],
        "label": ["cat", "cat", "dog", "dog", "bird", "bird"],
        "label_error": [True, False, False, False, False, False],
        "vote_entropy": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        "model_label": ["dog", "cat", "cat", "dog", "bird", "bird"],
        "model_confidence": [0.95, 0.5, 0.6, 1.0, 1.0, 1.0],
        "critical": [False, False, False, False, True, True],
    })


def test_priority_values_and_reasons():
    q = rq.priority(_items())
    p = dict(zip(q.item_id, q.priority))
    # a: 3 (label error) + 2 (conflict at 0.95) + 0.05 (1 - confidence)
    assert p["a"] == pytest.approx(5.05)
    assert p["b"] == pytest.approx(1.5)     # entropy 1 + 0.5 uncertainty
    assert p["c"] == pytest.approx(0.4)     # conflict at 0.6 < 0.9 does not count; 0.4 uncertainty
    assert p["e"] == p["f"] == pytest.approx(1.0) and p["d"] == 0
    assert list(q.item_id[:2]) == ["a", "b"]
    assert q.set_index("item_id").loc["a", "reasons"] == "label_error, model_conflict"
    assert q.set_index("item_id").loc["d", "reasons"] == ""


def test_allocation_honours_minimums_and_is_seeded():
    q = rq.priority(_items())
    top = rq.allocate(q, 2)
    assert list(top.item_id) == ["a", "b"]
    withmin = rq.allocate(q, 2, {"bird": 1}, seed=3)
    assert "bird" in set(withmin.label) and "a" in set(withmin.item_id) and len(withmin) == 2
    # e and f tie: the seed picks one, the same one every time
    assert rq.allocate(q, 2, {"bird": 1}, seed=3).equals(withmin)
    picks = {rq.allocate(q, 2, {"bird": 1}, seed=s).item_id.iloc[0] for s in range(20)}
    assert picks == {"e", "f"}


def test_label_studio_export():
    tasks = rq.to_label_studio(rq.priority(_items()).head(1))
    assert tasks[0]["predictions"][0]["result"][0]["value"] == {"choices": ["cat"]}
    assert tasks[0]["data"]["item_id"] == "a"
    json.dumps(tasks)


def test_errors():
    with pytest.raises(ValueError, match="needs column 'label'"):
        rq.priority(pd.DataFrame({"item_id": [1]}))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        rq.priority(pd.DataFrame({"item_id": [1], "label": ["x"], "vote_entropy": [2.0]}))
    with pytest.raises(ValueError, match="exceed the budget"):
        rq.allocate(rq.priority(_items()), 1, {"cat": 1, "dog": 1})


def test_queue_from_label_errors_signals_and_order():
    from analytics.metrics.review_queue import priority, queue_from_label_errors

    issues = pd.DataFrame({"item_id": ["a", "b", "c"], "given_label": ["car", "van", "ambulance"],
                           "suggested_label": ["bus", "car", "car"], "score": [0.02, 0.3, 0.4],
                           "self_confidence": [0.02, 0.3, 0.4], "suggested_score": [0.95, 0.6, 0.35]})
    q = queue_from_label_errors(issues, critical=["ambulance"], gold_gap_labels=["van"])
    assert list(q.model_label) == ["bus", "car", "ambulance"]
    assert list(q.model_confidence) == [0.95, 0.6, 0.4]
    assert list(q.critical) == [0.0, 0.0, 1.0] and list(q.gold_gap) == [0.0, 1.0, 0.0]
    p = priority(q).set_index("item_id")
    # a: 3 (error) + 2 (conflict at 0.95) + 0.05; b: 3 + 0.4 + 0.5 (gold gap); c: 3 + 0.6 + 1 (critical)
    assert p.loc["a", "priority"] == pytest.approx(5.05)
    assert p.loc["b", "priority"] == pytest.approx(3.9)
    assert p.loc["c", "priority"] == pytest.approx(4.6)
    assert p.loc["a", "reasons"] == "label_error, model_conflict"
    assert p.loc["c", "reasons"] == "label_error, critical, model_confidence"
    assert list(priority(q).item_id) == ["a", "c", "b"]


def test_class_minimums_fit_the_budget():
    q = pd.DataFrame({"item_id": list("abcdefg"), "label": ["x", "x", "x", "y", "z", "z", "w"]})
    assert rq.class_minimums(q, ["x", "y", "z", "absent"], each=2, budget=10) == {"x": 2, "y": 1, "z": 2}
    assert rq.class_minimums(q, ["x", "y", "z"], each=2, budget=3) == {"x": 1, "y": 1, "z": 1}
    assert rq.class_minimums(q, ["x", "y", "z"], each=2, budget=0) == {}
