-- Confusion counts per (team, value of item attribute :attr_key) for the gold classes in :true_labels.
-- Columns: gold_label, label, grp (team), grp2 (attribute value, NULL when the item lacks it), n.
WITH
-- @include filtered_annotations
SELECT g.label AS gold_label, fa.label AS label, fa.team AS grp, ia.value AS grp2, CAST(COUNT(*) AS BIGINT) AS n
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
LEFT JOIN item_attributes ia ON ia.item_id = fa.item_id AND ia.key = CAST(:attr_key AS VARCHAR)
WHERE g.label IN :true_labels
GROUP BY g.label, fa.label, fa.team, ia.value
ORDER BY g.label, fa.label, fa.team, ia.value
