-- Spans of the scope (project + dashboard filters, sql/_spans_scope.sql), one row per span; a row with a NULL label
-- records an annotator who saw the item and marked nothing. Python (analytics.kinds.spans.db) matches them with the
-- kind's metrics: span matching needs the regions themselves, not counts. week (Monday), team and schema_version
-- let the analytics group them (per week, team, guideline version).
WITH
-- @include spans_scope
SELECT annotation_id, item_id, annotator_id, span_start, span_end, label, week, team, schema_version
FROM rs
ORDER BY item_id, annotator_id, span_start, span_end, label
