-- Votes on the queued items (bound as the array :queue_items) among the filtered annotations of project
-- :project_id: item_id, annotator_id, label, n (annotations). The review queue's disagreement signals (vote
-- entropy) and its flagged-annotator signal read these rows; a few per queued item.
WITH
-- @include filtered_annotations
, queued AS (
    SELECT DISTINCT unnest(CAST(:queue_items AS VARCHAR[])) AS item_id
)
SELECT fa.item_id, fa.annotator_id, fa.label, CAST(COUNT(*) AS BIGINT) AS n
FROM fa
JOIN queued q ON q.item_id = fa.item_id
GROUP BY fa.item_id, fa.annotator_id, fa.label
ORDER BY fa.item_id, fa.annotator_id, fa.label
