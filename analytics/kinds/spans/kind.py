"""Declaration of the ``spans`` kind: entity spans (NER) over an item's text (issue 13).

Canonical frames (:mod:`.frames`): spans ``item_id, annotator_id, start, end, label`` (character offsets, end
exclusive; a row with an empty label = the annotator saw the item and marked nothing), texts ``item_id, text``,
gold spans ``item_id, start, end, label``. No database tables yet (``tables`` is empty, so ``labelqa load`` and
``ensure_schema`` are unchanged); the file CLI is ``labelqa agreement FILE --kind spans`` and
``labelqa accuracy FILE --gold GOLD --kind spans`` (:mod:`analytics.commands.agreement` / ``accuracy``), which
call the metrics declared here.
"""
from analytics.kinds.spec import KindSpec

_M = "analytics.kinds.spans."

KIND = KindSpec(
    name="spans",
    title="Spans",
    description="entity spans (start, end, label) over each item's text: NER, span classification",
    required={
        "spans": ("item_id", "annotator_id", "start", "end", "label"),
        "texts": ("item_id", "text"),
        "gold_spans": ("item_id", "start", "end", "label"),
    },
    readers={
        "file": _M + "readers:read_input",  # what the file CLI reads (by shape)
        "brat": _M + "readers:read_brat",
        "labelstudio": _M + "readers:read_label_studio_spans",
        "csv": _M + "readers:read_span_file",
        "gold_csv": _M + "readers:read_gold_span_file",
        "texts_csv": _M + "readers:read_text_file",
    },
    metrics={
        "agreement": _M + "agreement:span_agreement",
        "agreement_json": _M + "agreement:span_agreement_json",
        "pair_stats": _M + "agreement:span_pair_stats",
        "errors": _M + "accuracy:span_errors",
        "accuracy_json": _M + "accuracy:span_accuracy_json",
    },
)
