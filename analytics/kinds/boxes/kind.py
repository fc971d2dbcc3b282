"""Declaration of the ``boxes`` kind: axis-aligned bounding boxes per image (issue 13).

Canonical frames (:mod:`.frames`): boxes ``item_id, annotator_id, label, x, y, width, height`` (top-left corner
and size in one unit per project; optional ``image_width, image_height``; a row with an empty label = the
annotator saw the image and drew nothing), gold boxes the same without ``annotator_id``. Database tables (``tables``
below = ``sql/boxes_schema.sql``, created by ``ensure_schema``): ``box_annotations``, ``box_images`` (image size per
item), ``gold_boxes``, filled by ``labelqa load`` (:mod:`.ingest`). The file CLI is
``labelqa agreement FILE --kind boxes --iou 0.5`` and ``labelqa accuracy FILE --gold GOLD --kind boxes``.
"""
from analytics.kinds.spec import KindSpec

_M = "analytics.kinds.boxes."
_V, _D, _T = "VARCHAR", "DOUBLE PRECISION", "TIMESTAMP"
_GEOM = {"x": _D, "y": _D, "width": _D, "height": _D, "unit": _V}

KIND = KindSpec(
    name="boxes",
    title="Bounding boxes",
    description="labelled axis-aligned boxes on images (object detection), matched by IoU",
    tables={
        "box_annotations": {"annotation_id": _V, "item_id": _V, "annotator_id": _V, "label": _V, **_GEOM,
                            "created_at": _T, "batch_id": _V},
        "box_images": {"item_id": _V, "image_width": _D, "image_height": _D},
        "gold_boxes": {"item_id": _V, "label": _V, **_GEOM, "source": _V, "created_at": _T},
        # a reviewer's verdict on one box: accepted, rejected, or corrected (label and / or geometry; NULL = kept)
        "box_reviews": {"review_id": _V, "annotation_id": _V, "reviewer_id": _V, "verdict": _V,
                        "corrected_label": _V, "x": _D, "y": _D, "width": _D, "height": _D, "created_at": _T},
    },
    required={  # the file CLI's frames (what labelqa load requires of the tables: ingest.RULES.required)
        "boxes": ("item_id", "annotator_id", "label", "x", "y", "width", "height"),
        "gold_boxes": ("item_id", "label", "x", "y", "width", "height"),
    },
    # dashboard: the "Regions & label sets" page (pages/regions.py), declared once by the spans kind
    schema="boxes_schema",  # sql/boxes_schema.sql, run by analytics.db.ensure_schema
    queries="",             # sql/boxes_*.sql
    rules="analytics.kinds.region_rules:evaluate_boxes",  # labelqa gate / overview: region_f1, size bias, miss rate, MASI alpha
    validate=_M + "ingest:RULES",  # labelqa load: keys, references, sizes, boxes inside the image, labels
    demo=_M + "demo:write_demo",  # the roadcam project of labelqa demo (planted truths in its docstring)
    readers={
        "file": _M + "readers:read_input",  # what the file CLI reads (by shape)
        "labelstudio": _M + "readers:read_label_studio_boxes",
        "coco": _M + "readers:read_coco",
        "csv": _M + "readers:read_box_file",
        "gold_csv": _M + "readers:read_gold_box_file",
    },
    # the shared Agreement, Stratified accuracy and Annotators pages of a project of this kind (ui/region_views.py)
    views={"agreement": "ui.region_views:agreement", "accuracy": "ui.region_views:accuracy",
           "annotators": "ui.region_views:annotators"},
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
