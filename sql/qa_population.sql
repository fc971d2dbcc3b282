-- QA planning population: items per class, an item's class being the majority label of its filtered
-- annotations (ties -> lowest label). Columns: label, population, items_with_gold.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
-- @include item_majority
SELECT m.label,
       CAST(COUNT(*) AS BIGINT) AS population,
       CAST(SUM(CASE WHEN g.item_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS items_with_gold
FROM item_majority m
LEFT JOIN gold_labels g ON g.item_id = m.item_id
GROUP BY m.label
ORDER BY m.label
