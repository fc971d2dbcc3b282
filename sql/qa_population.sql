-- QA planning population: items per class, an item's class being the majority label of its filtered
-- annotations (ties -> lowest label). Columns: label, population, items_with_gold.
WITH
-- @include filtered_annotations
-- Item class: the majority label of the item's filtered annotations (ties -> lowest label).
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
, item_majority AS (
    SELECT item_id, label, votes
    FROM (
        SELECT item_id, label, votes,
               ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY votes DESC, label) AS rk
        FROM item_votes
    ) ranked
    WHERE rk = 1
)
SELECT m.label,
       CAST(COUNT(*) AS BIGINT) AS population,
       CAST(SUM(CASE WHEN g.item_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS items_with_gold
FROM item_majority m
LEFT JOIN gold_labels g ON g.item_id = m.item_id
GROUP BY m.label
ORDER BY m.label
