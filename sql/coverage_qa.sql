-- QA coverage per class (class = majority label of the item's filtered annotations, ties -> lowest label):
-- items, items with a gold label, items with at least one reviewed annotation, items with either,
-- and the class tier from label_classes ('critical' if any schema version marks it so, else 'standard').
-- Columns: label, tier, items, items_with_gold, items_reviewed, items_qa.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
-- @include item_majority
, reviewed AS (
    SELECT DISTINCT fa.item_id
    FROM fa
    JOIN reviews r ON r.annotation_id = fa.annotation_id
)
, tiers AS (
    SELECT
-- @include class_tier
           lc.label
    FROM label_classes lc
    WHERE lc.project_id = :project_id
    GROUP BY lc.label
)
SELECT m.label,
       COALESCE(t.tier, 'standard') AS tier,
       CAST(COUNT(*) AS BIGINT) AS items,
       CAST(SUM(CASE WHEN g.item_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS items_with_gold,
       CAST(SUM(CASE WHEN rv.item_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS items_reviewed,
       CAST(SUM(CASE WHEN g.item_id IS NULL AND rv.item_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS items_qa
FROM item_majority m
LEFT JOIN gold_labels g ON g.item_id = m.item_id
LEFT JOIN reviewed rv ON rv.item_id = m.item_id
LEFT JOIN tiers t ON t.label = m.label
GROUP BY m.label, t.tier
ORDER BY m.label
