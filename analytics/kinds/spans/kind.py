"""Declaration of the ``spans`` kind: entity spans (NER) over an item's text (issue 13).

Canonical frames (:mod:`.frames`): spans ``item_id, annotator_id, start, end, label`` (character offsets, end
exclusive; a row with an empty label = the annotator saw the item and marked nothing), texts ``item_id, text``,
gold spans ``item_id, start, end, label``. Database tables (``tables`` below = ``sql/spans_schema.sql``, created by
``ensure_schema``; offsets are ``span_start``/``span_end`` there because END is reserved in SQL): ``span_annotations``,
``span_texts``, ``gold_spans``, filled by ``labelqa load`` (:mod:`.ingest`). The file CLI is ``labelqa agreement FILE --kind spans`` and
``labelqa accuracy FILE --gold GOLD --kind spans`` (:mod:`analytics.commands.agreement` / ``accuracy``), which
call the metrics declared here.
"""
from analytics.kinds.spec import KindSpec, PageSpec

_M = "analytics.kinds.spans."
_V, _I, _T = "VARCHAR", "INTEGER", "TIMESTAMP"

KIND = KindSpec(
    name="spans",
    title="Spans",
    description="entity spans (start, end, label) over each item's text: NER, span classification",
    tables={
        "span_annotations": {"annotation_id": _V, "item_id": _V, "annotator_id": _V, "span_start": _I,
                             "span_end": _I, "label": _V, "text": _V, "created_at": _T, "batch_id": _V,
                             "schema_version": _I},
        "span_texts": {"item_id": _V, "text": _V},
        "gold_spans": {"item_id": _V, "span_start": _I, "span_end": _I, "label": _V, "source": _V,
                       "created_at": _T},
        # a reviewer's verdict on one span: accepted, rejected, or corrected (label and / or offsets; NULL = kept)
        "span_reviews": {"review_id": _V, "annotation_id": _V, "reviewer_id": _V, "verdict": _V,
                         "corrected_label": _V, "span_start": _I, "span_end": _I, "created_at": _T},
    },
    required={  # the file CLI's frames (what labelqa load requires of the tables: ingest.RULES.required)
        "spans": ("item_id", "annotator_id", "start", "end", "label"),
        "texts": ("item_id", "text"),
        "gold_spans": ("item_id", "start", "end", "label"),
    },
    schema="spans_schema",  # sql/spans_schema.sql, run by analytics.db.ensure_schema
    queries="",             # sql/spans_*.sql (top level, so tests/test_dialects.py transpiles them)
    rules="analytics.kinds.region_rules:evaluate_spans",  # labelqa gate / overview: region_f1, size bias, miss rate, MASI alpha
    validate=_M + "ingest:RULES",  # labelqa load: keys, references, offsets inside the text, labels
    readers={
        "file": _M + "readers:read_input",  # what the file CLI reads (by shape)
        "brat": _M + "readers:read_brat",
        "labelstudio": _M + "readers:read_label_studio_spans",
        "csv": _M + "readers:read_span_file",
        "gold_csv": _M + "readers:read_gold_span_file",
        "texts_csv": _M + "readers:read_text_file",
    },
    # one page for the three region kinds (spans, boxes, multilabel: it draws for projects of those task types and
    # says why it is empty for any other); declared here once, as ui.common.PAGES keys are unique
    pages=(PageSpec("regions", "pages/regions.py", "Regions & label sets", ":material/select_all:", "regions"),),
    demo=_M + "demo:write_demo",  # the newswire project of labelqa demo (planted truths in its docstring)
    # the shared Agreement, Stratified accuracy and Annotators pages of a project of this kind (ui/region_views.py)
    views={"agreement": "ui.region_views:agreement", "accuracy": "ui.region_views:accuracy",
           "annotators": "ui.region_views:annotators"},
    metrics={
        "agreement": _M + "agreement:span_agreement",
        "agreement_json": _M + "agreement:span_agreement_json",
        "pair_stats": _M + "agreement:span_pair_stats",
        "errors": _M + "accuracy:span_errors",
        "accuracy_json": _M + "accuracy:span_accuracy_json",
    },
)
