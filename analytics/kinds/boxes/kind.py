"""Declaration of the ``boxes`` kind: axis-aligned bounding boxes per image (issue 13).

Canonical frames (:mod:`.frames`): boxes ``item_id, annotator_id, label, x, y, width, height`` (top-left corner
and size in one unit per project; optional ``image_width, image_height``; a row with an empty label = the
annotator saw the image and drew nothing), gold boxes the same without ``annotator_id``. No database tables yet
(``tables`` is empty, so ``labelqa load`` and ``ensure_schema`` are unchanged); the file CLI is
``labelqa agreement FILE --kind boxes --iou 0.5`` and ``labelqa accuracy FILE --gold GOLD --kind boxes``.
"""
from analytics.kinds.spec import KindSpec

_M = "analytics.kinds.boxes."

KIND = KindSpec(
    name="boxes",
    title="Bounding boxes",
    description="labelled axis-aligned boxes on images (object detection), matched by IoU",
    required={
        "boxes": ("item_id", "annotator_id", "label", "x", "y", "width", "height"),
        "gold_boxes": ("item_id", "label", "x", "y", "width", "height"),
    },
    readers={
        "file": _M + "readers:read_input",  # what the file CLI reads (by shape)
        "labelstudio": _M + "readers:read_label_studio_boxes",
        "coco": _M + "readers:read_coco",
        "csv": _M + "readers:read_box_file",
        "gold_csv": _M + "readers:read_gold_box_file",
    },
    metrics={
        "agreement": _M + "agreement:box_agreement",
        "agreement_json": _M + "agreement:box_agreement_json",
        "matches": _M + "agreement:box_matches",
        "detection_accuracy": _M + "accuracy:detection_accuracy",
        "label_confusions": _M + "accuracy:label_confusions",
        "localisation_bias": _M + "accuracy:localisation_bias",
        "completeness": _M + "accuracy:completeness",
        "accuracy_json": _M + "accuracy:box_accuracy_json",
    },
)
