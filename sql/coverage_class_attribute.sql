-- Class x attribute cross-tab: items per (majority label, value of attribute :attr_key). Items without the
-- attribute have attr_value NULL. Only non-empty cells are returned (the caller completes the grid).
-- Columns: label, attr_value, items.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
-- @include item_majority
SELECT m.label, ia.value AS attr_value, CAST(COUNT(*) AS BIGINT) AS items
FROM item_majority m
LEFT JOIN item_attributes ia ON ia.item_id = m.item_id AND ia.key = CAST(:attr_key AS VARCHAR)
GROUP BY m.label, ia.value
ORDER BY m.label, ia.value
