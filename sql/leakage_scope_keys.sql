-- Per fingerprint key (item_attributes key in :keys): items of the filtered scope (at least one filtered
-- annotation of project :project_id) that carry it - the n of the max_split_leakage gate check. One row per key.
WITH
-- @include filtered_annotations
, scope_items AS (
    SELECT DISTINCT item_id FROM fa
)
SELECT ia.key, CAST(COUNT(*) AS BIGINT) AS n_items
FROM item_attributes ia
JOIN scope_items s ON s.item_id = ia.item_id
WHERE ia.key IN :keys AND ia.value IS NOT NULL
GROUP BY ia.key
ORDER BY ia.key
