-- Confusion counts per team for the gold classes in :true_labels: one row per (gold_label, label, grp).
-- Used to test whether a confusion concentrates in one team. Columns: gold_label, label, grp, n.
WITH
-- @include filtered_annotations
SELECT g.label AS gold_label, fa.label AS label, fa.team AS grp, CAST(COUNT(*) AS BIGINT) AS n
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
WHERE g.label IN :true_labels
GROUP BY g.label, fa.label, fa.team
ORDER BY g.label, fa.label, fa.team
