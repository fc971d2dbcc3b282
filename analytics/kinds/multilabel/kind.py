"""Declaration of the ``multilabel`` kind: a set of labels per (item, annotator) (issue 13).

Canonical frames: annotations ``item_id, annotator_id, label``, one row per chosen label (an annotator who chose
nothing: one row with an empty label; :mod:`.agreement`), gold sets ``item_id, label`` (:mod:`.readers`). No
database tables yet (``tables`` is empty, so ``labelqa load`` and ``ensure_schema`` are unchanged); the file CLI is
``labelqa agreement FILE --kind multilabel`` and ``labelqa accuracy FILE --gold GOLD --kind multilabel``.
"""
from analytics.kinds.spec import KindSpec

_M = "analytics.kinds.multilabel."

KIND = KindSpec(
    name="multilabel",
    title="Multi-label",
    description="several labels per item from a closed taxonomy (tagging), compared as sets",
    required={"annotations": ("item_id", "annotator_id", "label"), "gold_sets": ("item_id", "label")},
    readers={
        "file": _M + "readers:read_input",  # what the file CLI reads (by shape)
        "csv": _M + "readers:read_multilabel_file",
        "gold_csv": _M + "readers:read_gold_set_file",
    },
    metrics={
        "agreement_json": _M + "agreement:multilabel_agreement_json",
        "accuracy": _M + "accuracy:multilabel_accuracy",
        "cooccurrence": _M + "accuracy:cooccurrence",
        "accuracy_json": _M + "accuracy:multilabel_accuracy_json",
    },
)
