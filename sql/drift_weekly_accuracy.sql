-- Per (week, annotator): annotations on gold items in the filtered scope and how many match gold.
-- Week = Monday (date_trunc('week')). At most weeks x annotators rows; team is a property of the annotator.
WITH
-- @include filtered_annotations
SELECT fa.week,
       fa.annotator_id,
       MAX(fa.team) AS team,
       SUM(CASE WHEN fa.label = g.label THEN 1 ELSE 0 END) AS correct,
       COUNT(*) AS n
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
GROUP BY fa.week, fa.annotator_id
ORDER BY fa.week, fa.annotator_id
