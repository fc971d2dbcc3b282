"""Declaration of the ``multilabel`` kind: a set of labels per (item, annotator) (issue 13).

Canonical frames: annotations ``item_id, annotator_id, label``, one row per chosen label (an annotator who chose
nothing: one row with an empty label; :mod:`.agreement`), gold sets ``item_id, label`` (:mod:`.readers`). Database
tables (``tables`` below = ``sql/multilabel_schema.sql``, created by ``ensure_schema``): ``multilabel_annotations``
(one row per chosen label, ``annotation_id`` = the set) and ``gold_label_sets``, filled by ``labelqa load``
(:mod:`.ingest`). The file CLI is
``labelqa agreement FILE --kind multilabel`` and ``labelqa accuracy FILE --gold GOLD --kind multilabel``.
"""
from analytics.kinds.spec import KindSpec

_M = "analytics.kinds.multilabel."
_V, _T = "VARCHAR", "TIMESTAMP"

KIND = KindSpec(
    name="multilabel",
    title="Multi-label",
    description="several labels per item from a closed taxonomy (tagging), compared as sets",
    tables={
        "multilabel_annotations": {"annotation_id": _V, "item_id": _V, "annotator_id": _V, "label": _V,
                                   "created_at": _T, "batch_id": _V},
        "gold_label_sets": {"item_id": _V, "label": _V, "source": _V, "created_at": _T},
    },
    # the file CLI's frames (what labelqa load requires of the tables: ingest.RULES.required)
    required={"annotations": ("item_id", "annotator_id", "label"), "gold_sets": ("item_id", "label")},
    # dashboard: the "Regions & label sets" page (pages/regions.py), declared once by the spans kind
    schema="multilabel_schema",  # sql/multilabel_schema.sql, run by analytics.db.ensure_schema
    queries="",                  # sql/multilabel_*.sql
    rules="analytics.kinds.region_rules:evaluate_multilabel",  # labelqa gate / overview: region_f1, size bias, miss rate, MASI alpha
    validate=_M + "ingest:RULES",  # labelqa load: references, labels
    readers={
        "file": _M + "readers:read_input",  # what the file CLI reads (by shape)
        "csv": _M + "readers:read_multilabel_file",
        "gold_csv": _M + "readers:read_gold_set_file",
    },
    # the shared Agreement, Stratified accuracy and Annotators pages of a project of this kind (ui/region_views.py)
    views={"agreement": "ui.region_views:agreement", "accuracy": "ui.region_views:accuracy",
           "annotators": "ui.region_views:annotators"},
    metrics={
        "agreement_json": _M + "agreement:multilabel_agreement_json",
        "accuracy": _M + "accuracy:multilabel_accuracy",
        "cooccurrence": _M + "accuracy:cooccurrence",
        "accuracy_json": _M + "accuracy:multilabel_accuracy_json",
    },
)
