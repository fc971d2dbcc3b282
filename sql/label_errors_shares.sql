-- Likely label errors per annotator, team, week (Monday of the annotation) and batch, for model run :run_id
-- (issue 14 sec. 1). The flagged items (confident learning, computed from label_errors_joint/candidates) are bound
-- as the array :flagged_items. Unit = an annotation of a scored item in the filtered scope; it is a flagged label
-- when its item is flagged and the annotation gave the item's given (majority) label, the label confident
-- learning says is likely wrong. One row per (dim, grp): n annotations, k flagged labels. A few hundred rows.
WITH
-- @include label_errors_scope
, flagged AS (
    SELECT DISTINCT unnest(CAST(:flagged_items AS VARCHAR[])) AS item_id
)
, ann AS (
    SELECT fa.annotator_id, fa.team, fa.week, fa.batch_id,
           CASE WHEN fl.item_id IS NOT NULL AND fa.label = g.given_label THEN 1 ELSE 0 END AS flagged
    FROM fa
    JOIN scored g ON g.item_id = fa.item_id
    LEFT JOIN flagged fl ON fl.item_id = fa.item_id
)
SELECT 'annotator' AS dim, CAST(annotator_id AS VARCHAR) AS grp, CAST(COUNT(*) AS BIGINT) AS n,
       CAST(SUM(flagged) AS BIGINT) AS k
FROM ann GROUP BY annotator_id
UNION ALL
SELECT 'team' AS dim, CAST(team AS VARCHAR) AS grp, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(flagged) AS BIGINT) AS k
FROM ann GROUP BY team
UNION ALL
SELECT 'week' AS dim, CAST(week AS VARCHAR) AS grp, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(flagged) AS BIGINT) AS k
FROM ann GROUP BY week
UNION ALL
SELECT 'batch' AS dim, CAST(batch_id AS VARCHAR) AS grp, CAST(COUNT(*) AS BIGINT) AS n,
       CAST(SUM(flagged) AS BIGINT) AS k
FROM ann GROUP BY batch_id
ORDER BY dim, grp
