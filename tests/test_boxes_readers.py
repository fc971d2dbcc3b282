import pandas as pd
import pytest

from analytics.kinds.boxes.readers import read_coco, read_label_studio_boxes

LS = [{"id": 1, "annotations": [
    {"completed_by": 7, "result": [{"type": "rectanglelabels", "original_width": 800, "original_height": 600,
                                    "value": {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0,
                                              "rectanglelabels": ["car"]}}]},
    {"completed_by": 9, "ground_truth": True, "result": [
        {"type": "rectanglelabels", "original_width": 800, "original_height": 600,
         "value": {"x": 11, "y": 20, "width": 30, "height": 40, "rotation": 0, "rectanglelabels": ["car"]}}]}]}]


def test_label_studio_boxes_and_gold():
    b, g = read_label_studio_boxes(LS)
    assert b[["item_id", "annotator_id", "label", "x", "width"]].values.tolist() == [["1", "7", "car", 10.0, 30.0]]
    assert g[["item_id", "label", "x"]].values.tolist() == [["1", "car", 11.0]]
    bad = [{**LS[0], "annotations": [{**LS[0]["annotations"][0], "result": [
        {**LS[0]["annotations"][0]["result"][0], "value": {**LS[0]["annotations"][0]["result"][0]["value"], "x": 90}}]}]}]
    with pytest.raises(ValueError, match="box extends outside the image"):
        read_label_studio_boxes(bad)


def test_coco():
    coco = {"images": [{"id": 5, "width": 100, "height": 50}], "categories": [{"id": 1, "name": "bus"}],
            "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "bbox": [1, 2, 10, 20], "annotator_id": "u"}]}
    b = read_coco(coco)
    assert b[["item_id", "annotator_id", "label", "height"]].values.tolist() == [["5", "u", "bus", 20.0]]
    coco["annotations"][0]["category_id"] = 3
    with pytest.raises(ValueError, match="unknown category_id 3"):
        read_coco(coco)
