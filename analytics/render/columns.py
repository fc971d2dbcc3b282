"""Words for column names: the one map from the frames' column names to what a reader sees (dashboard tables,
chart hovers, reports). A column missing here is shown as its name with underscores as spaces.

``COLUMNS[name] = (words, kind)``; ``kind`` says how to format the values: ``'pct'`` (a fraction shown as a
percentage), ``'int'`` (a count), ``'num'`` (a number), ``'p'`` (a p-value), ``'text'``, ``'bool'``, ``'date'``.
"""
from __future__ import annotations

__all__ = ["COLUMNS", "TERMS", "words", "kind", "fmt_p"]

COLUMNS: dict[str, tuple[str, str]] = {
    # identifiers and groups
    "label": ("class", "text"), "gold_label": ("gold class", "text"), "true_label": ("gold class", "text"),
    "annotator_id": ("annotator", "text"), "annotator_a": ("annotator A", "text"),
    "annotator_b": ("annotator B", "text"), "team": ("team", "text"), "week": ("week (Monday)", "date"),
    "batch_id": ("batch", "text"), "run_id": ("model run", "text"), "tier": ("tier", "text"),
    "status": ("status", "text"), "reason": ("why not estimated", "text"), "method": ("method", "text"),
    "dimension": ("tested across", "text"), "concentrated_in": ("concentrated in", "text"),
    "group": ("group", "text"), "test": ("test", "text"), "attr_value": ("condition", "text"),
    "stratum": ("stratum", "text"), "flag": ("flag", "text"), "why": ("why sampled more", "text"),
    "trained_on_batch": ("trained on batch", "text"), "trained_until": ("trained until", "date"),
    # proportions and their intervals
    "accuracy": ("accuracy", "pct"), "value": ("estimate", "num"), "ci_low": ("95% CI low", "pct"),
    "ci_high": ("95% CI high", "pct"), "share": ("share", "pct"), "rate": ("share of the class", "pct"),
    "specific_agreement": ("agreement on this class", "pct"), "kappa": ("Cohen's kappa", "num"),
    "qa_rate": ("QA rate", "pct"), "required_rate": ("required QA rate", "pct"),
    "item_share": ("item share", "pct"), "annotation_share": ("annotation share", "pct"),
    "share_of_class": ("share of the class", "pct"), "group_rate": ("rate in the group", "pct"),
    "rest_rate": ("rate elsewhere", "pct"), "label_accuracy": ("label accuracy", "pct"),
    "acc_ci_low": ("accuracy 95% CI low", "pct"), "acc_ci_high": ("accuracy 95% CI high", "pct"),
    "model_metric": ("model metric", "num"), "precision": ("precision", "pct"), "recall": ("recall", "pct"),
    "f1": ("F1", "pct"), "precision_ci_low": ("precision CI low", "pct"),
    "precision_ci_high": ("precision CI high", "pct"), "recall_ci_low": ("recall CI low", "pct"),
    "recall_ci_high": ("recall CI high", "pct"), "acceptance_rate": ("pre-labels accepted", "pct"),
    "wrong_acceptance_rate": ("wrong pre-labels accepted", "pct"), "peer_rate": ("peers' rate", "pct"),
    "inclusion_probability": ("inclusion probability", "pct"), "expected_half_width": ("expected ± (95%)", "pct"),
    "baseline_acc": ("baseline accuracy", "pct"), "recent_acc": ("recent accuracy", "pct"),
    "delta": ("change", "pct"), "delta_ci_low": ("change CI low", "pct"), "delta_ci_high": ("change CI high", "pct"),
    "mean_confidence": ("mean confidence", "pct"), "weight": ("weight (1 / probability)", "num"),
    # counts
    "n": ("n", "int"), "n_items": ("items", "int"), "n_annotations": ("annotations", "int"),
    "correct": ("correct", "int"), "items": ("items", "int"), "annotations": ("annotations", "int"),
    "n_shared": ("shared items", "int"), "n_gold": ("gold-scored annotations", "int"),
    "support": ("model support", "int"), "population": ("items", "int"), "n_rate": ("items for the rate", "int"),
    "n_precision": ("items for the precision", "int"), "n_min": ("minimum items", "int"),
    "items_with_gold": ("items with gold", "int"), "items_reviewed": ("items reviewed", "int"),
    "items_qa": ("items checked", "int"), "items_checked": ("items already checked", "int"),
    "group_n": ("annotations in the group", "int"), "groups_tested": ("groups tested", "int"),
    "tp": ("correct (true positives)", "int"), "predicted": ("times used as label", "int"),
    "n_prelabelled": ("pre-labelled", "int"), "n_accepted": ("accepted", "int"),
    "n_wrong_suggestions": ("wrong pre-labels", "int"), "n_wrong_accepted": ("wrong pre-labels accepted", "int"),
    "n_baseline": ("n baseline", "int"), "n_recent": ("n recent", "int"),
    # tests
    "p_value": ("p (adjusted)", "p"), "p_raw": ("p (unadjusted)", "p"), "p_adjusted": ("p (adjusted)", "p"),
    "statistic": ("test statistic", "num"), "min_expected": ("smallest expected count", "num"),
    "coef": ("coefficient", "num"), "se": ("standard error", "num"), "p": ("p", "p"),
    # flags
    "small_sample": ("too few to judge", "bool"), "systematic": ("systematic", "bool"),
    "capped": ("all items", "bool"), "meets": ("meets the minimum", "bool"), "drift": ("drift", "bool"),
    "automation_bias": ("automation bias", "bool"), "estimable": ("estimated", "bool"),
}

# Model terms and other internal names shown as row labels.
TERMS = {"Intercept": "intercept", "label_quality": "label accuracy (per +1.0)",
         "np.log(support)": "log class frequency (log support)"}


def words(name: str) -> str:
    """What a reader sees for column ``name``."""
    if name in COLUMNS:
        return COLUMNS[name][0]
    if name.startswith("attr_"):
        return name[len("attr_"):].replace("_", " ")
    return str(name).replace("_", " ")


def kind(name: str) -> str:
    return COLUMNS.get(name, ("", "text"))[1]


def fmt_p(p: float) -> str:
    """``'p < 0.001'`` or ``'p = 0.012'`` (never ``'p = < 0.001'``); ``'p: n/a'`` when undefined."""
    if p is None or p != p:
        return "p: n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
