-- Accuracy against gold over the filtered annotations (one row).
-- Units: annotations whose item has a gold label; correct = annotation label equals the gold label.
-- Columns: correct, n (gold-scored annotations), n_items (distinct gold items scored).
WITH
-- @include filtered_annotations
SELECT CAST(COALESCE(SUM(CASE WHEN fa.label = g.label THEN 1 ELSE 0 END), 0) AS BIGINT) AS correct,
       CAST(COUNT(*) AS BIGINT) AS n,
       CAST(COUNT(DISTINCT fa.item_id) AS BIGINT) AS n_items
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
