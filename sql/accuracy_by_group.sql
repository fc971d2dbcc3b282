-- Accuracy against gold per group (:by and :attr_key: see _gold_scored.sql): one row per group.
-- Units: annotations whose item has a gold label; correct = annotation label equals the gold label.
-- Columns: grp, grp2, grp_week (the group; unused ones NULL), correct, n, n_items (distinct gold items).
WITH
-- @include filtered_annotations
-- @include gold_scored
SELECT grp, grp2, grp_week,
       CAST(SUM(CASE WHEN label = gold_label THEN 1 ELSE 0 END) AS BIGINT) AS correct,
       CAST(COUNT(*) AS BIGINT) AS n,
       CAST(COUNT(DISTINCT item_id) AS BIGINT) AS n_items
FROM scored
GROUP BY grp, grp2, grp_week
ORDER BY grp, grp2, grp_week
