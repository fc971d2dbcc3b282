-- Confusion counts per value of item attribute :attr_key for the gold classes in :true_labels
-- (items without the attribute: grp NULL). Columns: gold_label, label, grp, n.
WITH
-- @include filtered_annotations
SELECT g.label AS gold_label, fa.label AS label, ia.value AS grp, CAST(COUNT(*) AS BIGINT) AS n
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
LEFT JOIN item_attributes ia ON ia.item_id = fa.item_id AND ia.key = CAST(:attr_key AS VARCHAR)
WHERE g.label IN :true_labels
GROUP BY g.label, fa.label, ia.value
ORDER BY g.label, fa.label, ia.value
