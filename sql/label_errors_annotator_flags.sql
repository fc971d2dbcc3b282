-- The flagged labels of one annotator (:annotator_id) under model run :run_id: their annotations of the flagged
-- items (bound as :flagged_items) that gave the item's given (majority) label, the label confident learning says
-- is likely wrong (issue 14: the annotator drill-down). Columns: annotation_id, item_id, label, created_at,
-- batch_id. The suggested label and score are joined in Python from the issue list.
WITH
-- @include label_errors_scope
, flagged AS (
    SELECT DISTINCT unnest(CAST(:flagged_items AS VARCHAR[])) AS item_id
)
SELECT fa.annotation_id, fa.item_id, fa.label, fa.created_at, fa.batch_id
FROM fa
JOIN scored g ON g.item_id = fa.item_id
JOIN flagged fl ON fl.item_id = fa.item_id
WHERE fa.annotator_id = CAST(:annotator_id AS VARCHAR) AND fa.label = g.given_label
ORDER BY fa.created_at, fa.annotation_id
