"""Declaration of the ``classification`` kind: one label per (item, annotator) from ``label_classes``.

Its tables are the canonical twelve of ``sql/schema.sql``; its queries are the top-level ``sql/*.sql``;
its judging is the quality layer's classification rules; its pages are the seven dashboard pages plus label errors & review queue.
"""
from analytics.kinds.spec import KindSpec, PageSpec

_P = "pages/"

KIND = KindSpec(
    name="classification",
    title="Classification",
    description="one label per item from a closed taxonomy, with gold labels, reviews and model runs",
    tables="analytics.io.ingest:TABLE_COLUMNS",
    required="analytics.io.ingest:REQUIRED_COLUMNS",
    schema="schema",
    queries="",
    readers={"labelstudio": "analytics.io.ingest:load_files", "csv": "analytics.io.ingest:load_files"},
    metrics={
        "percent": "analytics.agreement:percent_agreement",
        "cohen": "analytics.agreement:cohens_kappa",
        "fleiss": "analytics.agreement:fleiss_kappa",
        "krippendorff": "analytics.agreement:krippendorff_alpha",
        "gwet_ac1": "analytics.agreement:gwet_ac1",
        "accuracy": "analytics.accuracy:accuracy_by",
        "stratified_accuracy": "analytics.accuracy:stratified_accuracy",
    },
    commands={
        "agreement": "analytics.commands.agreement",
        "accuracy": "analytics.commands.accuracy",
        "consensus": "analytics.commands.consensus",
        "label-errors": "analytics.commands.label_errors",
    },
    rules=None,  # judged by the quality layer itself (analytics.quality.evaluation), the default kind
    pages=(
        PageSpec("overview", _P + "overview.py", "Weekly overview", ":material/dashboard:", "overview"),
        PageSpec("accuracy", _P + "accuracy.py", "Stratified accuracy", ":material/target:", "accuracy"),
        PageSpec("agreement", _P + "agreement.py", "Agreement trends", ":material/handshake:", "agreement"),
        PageSpec("coverage", _P + "coverage.py", "Class coverage", ":material/grid_on:", "coverage"),
        PageSpec("label_vs_model", _P + "label_vs_model.py", "Label vs model", ":material/model_training:",
                 "label_vs_model"),
        PageSpec("annotators", _P + "annotators.py", "Annotators", ":material/groups:", "annotators"),
        PageSpec("delivery", _P + "delivery.py", "Delivery report", ":material/local_shipping:", "delivery"),
        PageSpec("label_errors", _P + "label_errors.py", "Label errors & review queue", ":material/rule:",
                 "label_errors"),
    ),
)
