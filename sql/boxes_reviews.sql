-- The latest review of each box of the scope (sql/_boxes_scope.sql): verdict accepted | rejected | corrected and,
-- for a correction, the label / geometry it should have (NULL: kept). analytics.kinds.region_reviews applies them.
WITH
-- @include boxes_scope
, rv AS (
    SELECT r.review_id, r.annotation_id, r.reviewer_id, r.verdict, r.corrected_label, r.x, r.y, r.width, r.height,
           ROW_NUMBER() OVER (PARTITION BY r.annotation_id
                              ORDER BY r.created_at DESC NULLS LAST, r.review_id DESC) AS rn
    FROM box_reviews r
    WHERE r.annotation_id IN (SELECT annotation_id FROM rs)
)
SELECT rv.annotation_id, rv.review_id, rv.reviewer_id, rv.verdict, rv.corrected_label, rv.x, rv.y, rv.width, rv.height
FROM rv
WHERE rv.rn = 1
ORDER BY rv.annotation_id
