-- Per annotator in the filtered scope (every annotator, gold or not): team, annotations on gold items (n) and how
-- many of those match gold (correct).
WITH
-- @include filtered_annotations
SELECT fa.annotator_id,
       MAX(fa.team) AS team,
       SUM(CASE WHEN g.label IS NOT NULL AND fa.label = g.label THEN 1 ELSE 0 END) AS correct,
       SUM(CASE WHEN g.label IS NOT NULL THEN 1 ELSE 0 END) AS n
FROM fa
LEFT JOIN gold_labels g ON g.item_id = fa.item_id
GROUP BY fa.annotator_id
ORDER BY fa.annotator_id
