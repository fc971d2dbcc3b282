-- QA coverage per class (class = majority label of the item's filtered annotations, ties -> lowest label):
-- items, items with a gold label, items with at least one reviewed annotation, items with either, and the
-- class tier from label_classes ('critical' if any schema version marks it so, else 'standard').
-- One pass over the filtered annotations. Columns: label, tier, items, items_with_gold, items_reviewed, items_qa.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes,
           MAX(CASE WHEN r.annotation_id IS NULL THEN 0 ELSE 1 END) AS reviewed
    FROM fa
    LEFT JOIN (SELECT DISTINCT annotation_id FROM reviews) r ON r.annotation_id = fa.annotation_id
    GROUP BY fa.item_id, fa.label
)
, ranked AS (
    SELECT item_id, label,
           ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY votes DESC, label) AS rk,
           MAX(reviewed) OVER (PARTITION BY item_id) AS item_reviewed
    FROM item_votes
)
, tiers AS (
    SELECT label, MAX(CASE WHEN tier = 'critical' THEN 1 ELSE 0 END) AS critical
    FROM label_classes
    WHERE project_id = :project_id
    GROUP BY label
)
SELECT m.label,
       CASE WHEN MAX(COALESCE(t.critical, 0)) = 1 THEN 'critical' ELSE 'standard' END AS tier,
       CAST(COUNT(*) AS BIGINT) AS items,
       CAST(SUM(CASE WHEN g.item_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS items_with_gold,
       CAST(SUM(m.item_reviewed) AS BIGINT) AS items_reviewed,
       CAST(SUM(CASE WHEN g.item_id IS NULL AND m.item_reviewed = 0 THEN 0 ELSE 1 END) AS BIGINT) AS items_qa
FROM ranked m
LEFT JOIN gold_labels g ON g.item_id = m.item_id
LEFT JOIN tiers t ON t.label = m.label
WHERE m.rk = 1
GROUP BY m.label
ORDER BY m.label
