-- Leakage between splits (issue 14 sec. 3), for the label-errors page: items of project :project_id whose
-- fingerprint attribute (item_attributes key in :keys, e.g. content_hash, near_dup_key, group_id) has a value
-- that occurs in two or more distinct splits. One row per leaked (key, value, item): key, value, item_id, split,
-- label (the item's majority label over the filtered annotations; NULL if it has none), n_splits.
-- Only leaking keys come back. Items without a split are not compared. Pass split = NULL in the filters.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT item_id, label, COUNT(*) AS votes FROM fa GROUP BY item_id, label
)
-- @include item_majority
, fp AS (
    SELECT ia.key, ia.value, i.item_id, i.split
    FROM item_attributes ia
    JOIN items i ON i.item_id = ia.item_id
    WHERE i.project_id = :project_id AND ia.key IN :keys AND ia.value IS NOT NULL AND i.split IS NOT NULL
)
, leaking AS (
    SELECT key, value, COUNT(DISTINCT split) AS n_splits FROM fp GROUP BY key, value HAVING COUNT(DISTINCT split) > 1
)
SELECT fp.key, fp.value, fp.item_id, fp.split, m.label, CAST(l.n_splits AS BIGINT) AS n_splits
FROM fp
JOIN leaking l ON l.key = fp.key AND l.value = fp.value
LEFT JOIN item_majority m ON m.item_id = fp.item_id
ORDER BY fp.key, fp.value, fp.split, fp.item_id
