"""Regions page additions (issue 13 dashboard): per-label agreement per week, the localisation-bias forest per
annotator, miss rates by team / attribute / object size, an annotator's worst items drawn (boxes on a canvas of the
image size, spans highlighted in escaped text). AppTest on the session demo (seed 7): figures equal the metrics."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.kinds.boxes import db as bdb
from analytics.kinds.boxes.accuracy import localisation_bias
from analytics.kinds.boxes.quality import item_boxes, worst_items
from analytics.kinds.spans import db as sdb
from analytics.kinds.spans.quality import worst_items as span_worst
from dbutil import open_dashboard_page
from ui.regions import esc, span_html


def _plots(at) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def _arr(v) -> list:
    """A plotly JSON array: a list, or typed-array ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist()
    return list(v)


def _title(spec: dict) -> str:
    t = spec["layout"].get("title", {})
    return t.get("text", "") if isinstance(t, dict) else str(t)


def test_boxes_page_bias_forest_misses_and_worst_items(demo_url, demo_engine, monkeypatch):
    at = open_dashboard_page(demo_url, "roadcam", "regions", monkeypatch)
    heads = [h.value for h in at.subheader]
    for h in ("Agreement per label over time", "Localisation bias per annotator",
              "Miss rate by team, attribute and object size", "Worst items of an annotator"):
        assert h in heads
    plots = _plots(at)
    weekly = next(p for p in plots if _title(p).startswith("Mean pairwise F1 per week"))
    names = {t.get("name") for t in weekly["data"]}
    assert {"all labels", "car", "motorcycle"} <= names
    forest = next(p for p in plots if _title(p).startswith("Box area vs gold"))
    tr = forest["data"][0]
    x = dict(zip(_arr(tr["y"]), _arr(tr["x"])))
    boxes, gold = bdb.boxes_from_db(demo_engine, "roadcam"), bdb.gold_boxes_from_db(demo_engine, "roadcam")
    lb = localisation_bias(boxes, gold, by=("annotator_id",)).set_index("annotator_id")
    assert x["bx_02"] == pytest.approx(100 * (np.exp(lb.loc["bx_02", "log_area_ratio"]) - 1))
    assert x["bx_02"] < -12 and all(abs(v) < 3 for k, v in x.items() if k != "bx_02")
    # the miss table: one row per team x lighting x size; vision_c's night small objects stand out
    miss = next(d.value for d in at.dataframe if "miss rate" in d.value.columns)
    row = miss[(miss["team"] == "vision_c") & (miss["lighting"] == "night") & (miss["size"] == "small")]
    assert len(miss) == 18 and len(row) == 1
    assert float(row["miss rate"].iloc[0].split()[0]) > 0.45
    # worst items of bx_07 (vision_c): drawn on a 1280 x 720 canvas, one rectangle per gold and drawn box
    at.selectbox(key="regions_who").set_value("bx_07").run()
    assert not at.exception
    worst = worst_items(boxes, gold, "bx_07")
    canv = [p for p in _plots(at) if "gold dashed" in _title(p)]
    assert len(canv) == len(worst) == 3
    for p, item in zip(canv, worst["item_id"]):
        parts = item_boxes(boxes, gold, item, "bx_07")
        assert item in _title(p) and len(p["layout"]["shapes"]) == len(parts)
        assert p["layout"]["xaxis"]["range"] == [0, 1280] and p["layout"]["yaxis"]["range"] == [720, 0]
        dashed = sum(s["line"].get("dash") == "dash" for s in p["layout"]["shapes"])
        assert dashed == int((parts["source"] == "gold").sum())
    shown = [m.value for m in at.markdown if m.value.startswith("item ")]
    assert len(shown) == 3 and all(f"item {i}" in s.replace("\\", "") for i, s in zip(worst["item_id"], shown))


def test_item_boxes_statuses():
    gold = pd.DataFrame({"item_id": ["i"] * 3, "label": ["car", "motorcycle", "car"], "x": [0, 100, 300.0],
                         "y": [0, 0, 0.0], "width": [50, 40, 20.0], "height": [50, 40, 20.0]})
    boxes = pd.DataFrame({"item_id": ["i"] * 3, "annotator_id": ["a"] * 3, "label": ["car", "bicycle", "car"],
                          "x": [2, 100, 600.0], "y": [0, 0, 0.0], "width": [50, 40, 30.0], "height": [50, 40, 30.0]})
    d = item_boxes(boxes, gold, "i", "a")
    st = dict(zip(zip(d["source"], d["label"], d["x"]), d["status"]))
    assert st == {("gold", "car", 0.0): "matched", ("gold", "motorcycle", 100.0): "wrong label",
                  ("gold", "car", 300.0): "missed", ("annotator", "car", 2.0): "matched",
                  ("annotator", "bicycle", 100.0): "wrong label", ("annotator", "car", 600.0): "spurious"}
    # IoU of the matched car: intersection 48 x 50 over union 2 x 2500 - 2400
    assert d.loc[(d["source"] == "gold") & (d["x"] == 0), "iou"].iloc[0] == pytest.approx(2400 / 2600)


def test_span_html_escapes_data():
    text = "<script>x</script> *Dr* [a](b)\n\nend"
    h = span_html(text, pd.DataFrame({"start": [0], "end": [8], "label": ["<img src=x>"]}),
                  pd.DataFrame({"start": [20], "end": [24], "label": ["PER"]}))
    assert "<script>" not in h and "<img" not in h and "*Dr*" not in h and "](" not in h and "\n" not in h
    assert "&#60;script&#62;" in h and "<mark>" in h and "<u " in h and "gold PER" in h
    assert esc("a_b") == "a&#95;b"


def test_spans_page_f1_table_and_highlighted_worst_items(demo_url, demo_engine, monkeypatch):
    at = open_dashboard_page(demo_url, "newswire", "regions", monkeypatch)
    assert "Per annotator against gold: instance and token F1" in [h.value for h in at.subheader]
    f1 = next(d.value for d in at.dataframe if "F1" in d.value.columns and "annotator" in d.value.columns)
    f1 = f1.set_index("annotator")
    inst = f1["F1"].map(lambda s: float(s.split()[0]))
    tok = f1[[c for c in f1.columns if "token" in c.lower()][0]].map(lambda s: float(s.split()[0]))
    assert inst.idxmin() == "sp_03" and inst["sp_03"] < 0.75 and tok["sp_03"] > 0.85
    at.selectbox(key="regions_who").set_value("sp_03").run()
    assert not at.exception
    spans, gold = sdb.spans_from_db(demo_engine, "newswire"), sdb.gold_spans_from_db(demo_engine, "newswire")
    worst = span_worst(spans, gold, "sp_03")
    html_blocks = [m.value for m in at.markdown if "lqa-span-text" in m.value]
    assert len(html_blocks) == len(worst) == 3
    texts = sdb.texts_from_db(demo_engine, "newswire").set_index("item_id")["text"]
    for block, item in zip(html_blocks, worst["item_id"]):
        words = [w for w in texts[item].split() if w.isalpha()]
        assert all(w in block for w in words[:3]) and "<mark>" in block
