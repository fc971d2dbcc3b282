-- Accuracy against gold per annotator_id: correct and scored counts per group (one row per group).
-- Units: annotations whose item has a gold label. Columns: annotator_id, correct, n, n_items.
WITH
-- @include filtered_annotations
SELECT fa.annotator_id,
       CAST(SUM(CASE WHEN fa.label = g.label THEN 1 ELSE 0 END) AS BIGINT) AS correct,
       CAST(COUNT(*) AS BIGINT) AS n,
       CAST(COUNT(DISTINCT fa.item_id) AS BIGINT) AS n_items
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
GROUP BY fa.annotator_id
ORDER BY fa.annotator_id
