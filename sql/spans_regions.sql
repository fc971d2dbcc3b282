-- Spans of the scope (project + dashboard filters, sql/_spans_scope.sql), one row per span; a row with a NULL label
-- records an annotator who saw the item and marked nothing. Python (analytics.kinds.spans.db) matches them with the
-- kind's metrics: span matching needs the regions themselves, not counts.
WITH
-- @include spans_scope
SELECT item_id, annotator_id, span_start, span_end, label
FROM rs
ORDER BY item_id, annotator_id, span_start, span_end, label
