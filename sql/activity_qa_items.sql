-- Overall QA reach of the filtered scope (analytics.activity.qa_rate_from_db): distinct items with a filtered
-- annotation, how many have a gold label, how many have at least one reviewed filtered annotation, and how many
-- have either. One row. Columns: items, items_with_gold, items_reviewed, items_qa.
WITH
-- @include filtered_annotations
, fi AS (
    SELECT DISTINCT fa.item_id
    FROM fa
)
, reviewed AS (
    SELECT DISTINCT fa.item_id
    FROM fa
    JOIN reviews r ON r.annotation_id = fa.annotation_id
)
SELECT CAST(COUNT(*) AS BIGINT) AS items,
       CAST(COALESCE(SUM(CASE WHEN g.item_id IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS items_with_gold,
       CAST(COALESCE(SUM(CASE WHEN rv.item_id IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS items_reviewed,
       CAST(COALESCE(SUM(CASE WHEN g.item_id IS NULL AND rv.item_id IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT)
           AS items_qa
FROM fi
LEFT JOIN gold_labels g ON g.item_id = fi.item_id
LEFT JOIN reviewed rv ON rv.item_id = fi.item_id
