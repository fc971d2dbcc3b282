-- Dashboard (annotator detail): the annotator's most recent annotations that differ from the item's gold
-- label, to review. At most :limit_rows rows, newest first.
-- Columns: annotation_id, item_id, created_at, label, gold_label, batch_id, schema_version, source,
-- model_suggestion, duration_s.
WITH
-- @include filtered_annotations
SELECT fa.annotation_id, fa.item_id, fa.created_at, fa.label, g.label AS gold_label, fa.batch_id,
       fa.schema_version, fa.source, fa.model_suggestion, fa.duration_s
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
WHERE fa.annotator_id = CAST(:annotator_id AS VARCHAR)
  AND fa.label <> g.label
ORDER BY fa.created_at DESC, fa.annotation_id
LIMIT :limit_rows
