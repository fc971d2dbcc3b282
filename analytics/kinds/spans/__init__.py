"""Span (NER) annotations: ``item_id, annotator_id, start, end, label``."""
from analytics.kinds.spans.accuracy import SPAN_ERRORS, span_errors
from analytics.kinds.spans.agreement import span_agreement, span_agreement_json, span_pair_stats
from analytics.kinds.spans.frames import SPAN_COLUMNS, TEXT_COLUMNS, check_spans, check_texts

__all__ = ["SPAN_COLUMNS", "TEXT_COLUMNS", "check_spans", "check_texts", "span_pair_stats", "span_agreement",
           "span_agreement_json", "SPAN_ERRORS", "span_errors"]
