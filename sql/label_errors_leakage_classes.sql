-- Items per majority label (over the filtered annotations) of project :project_id that carry at least one
-- fingerprint attribute (key in :keys): the denominators of the per-class leakage shares. One row per label.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT item_id, label, COUNT(*) AS votes FROM fa GROUP BY item_id, label
)
-- @include item_majority
SELECT m.label, CAST(COUNT(*) AS BIGINT) AS n_items
FROM item_majority m
WHERE EXISTS (SELECT 1 FROM item_attributes ia WHERE ia.item_id = m.item_id AND ia.key IN :keys AND ia.value IS NOT NULL)
GROUP BY m.label
ORDER BY m.label
