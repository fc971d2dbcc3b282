-- Per label of the scope (sql/_spans_scope.sql): annotated regions / chosen labels, items and annotators with the
-- label, and gold regions / gold labels on the scope's items. One row a label (labels of either side).
WITH
-- @include spans_scope
, gsrc AS (SELECT item_id, label FROM gold_spans)
-- @include region_label_counts
