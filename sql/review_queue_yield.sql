-- The review loop (issue 14 sec. 2): reviews of the given labels of scored items under model run :run_id. A
-- review counts for an item when it judges one of the item's filtered annotations that gave the item's given
-- (majority) label; the item was corrected when any such review is 'corrected' or 'rejected'. Queued items (the
-- flagged ones, bound as :queue_items) come back one row each (item_id, queued = 1, corrected); every other
-- reviewed scored item is summed into one row (item_id NULL, queued = 0): the baseline of unqueued review.
-- Columns: item_id, queued, n_reviewed, n_corrected.
WITH
-- @include label_errors_scope
, queued AS (
    SELECT DISTINCT unnest(CAST(:queue_items AS VARCHAR[])) AS item_id
)
, reviewed AS (
    SELECT fa.item_id,
           MAX(CASE WHEN r.verdict IN ('corrected', 'rejected') THEN 1 ELSE 0 END) AS corrected
    FROM fa
    JOIN scored g ON g.item_id = fa.item_id AND fa.label = g.given_label
    JOIN reviews r ON r.annotation_id = fa.annotation_id
    GROUP BY fa.item_id
)
SELECT rv.item_id, 1 AS queued, CAST(1 AS BIGINT) AS n_reviewed, CAST(rv.corrected AS BIGINT) AS n_corrected
FROM reviewed rv JOIN queued q ON q.item_id = rv.item_id
UNION ALL
SELECT NULL AS item_id, 0 AS queued, CAST(COUNT(*) AS BIGINT) AS n_reviewed, CAST(COALESCE(SUM(rv.corrected), 0) AS BIGINT) AS n_corrected
FROM reviewed rv
WHERE NOT EXISTS (SELECT 1 FROM queued q WHERE q.item_id = rv.item_id)
