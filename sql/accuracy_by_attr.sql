-- Accuracy against gold per value of one item attribute (:attr_key, e.g. 'lighting').
-- Items without that attribute form the group attr_value = NULL.
-- Units: annotations whose item has a gold label. Columns: attr_value, correct, n, n_items.
WITH
-- @include filtered_annotations
SELECT ia.value AS attr_value,
       CAST(SUM(CASE WHEN fa.label = g.label THEN 1 ELSE 0 END) AS BIGINT) AS correct,
       CAST(COUNT(*) AS BIGINT) AS n,
       CAST(COUNT(DISTINCT fa.item_id) AS BIGINT) AS n_items
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
LEFT JOIN item_attributes ia ON ia.item_id = fa.item_id AND ia.key = CAST(:attr_key AS VARCHAR)
GROUP BY ia.value
ORDER BY ia.value
