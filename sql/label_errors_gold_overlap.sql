-- Overlap of the confident-learning flags with gold-known label errors (issue 14 sec. 1), model run :run_id:
-- scored items of the filtered scope that have a gold label, counted by flagged (item in the bound array
-- :flagged_items) x wrong (given label, the majority of the filtered annotations, differs from gold). Four rows at
-- most: flagged, wrong, n.
WITH
-- @include label_errors_scope
, flagged AS (
    SELECT DISTINCT unnest(CAST(:flagged_items AS VARCHAR[])) AS item_id
)
SELECT CASE WHEN fl.item_id IS NULL THEN 0 ELSE 1 END AS flagged,
       CASE WHEN g.given_label <> gl.label THEN 1 ELSE 0 END AS wrong,
       CAST(COUNT(*) AS BIGINT) AS n
FROM scored g
JOIN gold_labels gl ON gl.item_id = g.item_id
LEFT JOIN flagged fl ON fl.item_id = g.item_id
GROUP BY 1, 2
ORDER BY 1, 2
