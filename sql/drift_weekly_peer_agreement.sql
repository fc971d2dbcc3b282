-- Per (week, annotator): agreement of each annotation with the other annotations of the same item, over items
-- with at least two annotations in the filtered scope. For an annotation with label l on item i,
-- agreement = (annotations of i with label l - 1) / (annotations of i - 1): the share of the item's other
-- annotations that agree with it (pairwise agreement). `agree` sums that share; n counts the annotations.
-- Both counts are windows over one partition (item_id, sorted by label; RANGE CURRENT ROW = the rows with the
-- same label): one pass over fa, no self-join (PostgreSQL plans self-joins of the filtered CTE badly).
WITH
-- @include filtered_annotations
, per_annotation AS (
    SELECT fa.week, fa.annotator_id, fa.team,
           COUNT(*) OVER (PARTITION BY fa.item_id) AS n_i,
           COUNT(*) OVER (PARTITION BY fa.item_id ORDER BY fa.label
                          RANGE BETWEEN CURRENT ROW AND CURRENT ROW) AS c
    FROM fa
)
SELECT week,
       annotator_id,
       MAX(team) AS team,
       SUM(CAST(c - 1 AS DOUBLE PRECISION) / CAST(n_i - 1 AS DOUBLE PRECISION)) AS agree,
       COUNT(*) AS n
FROM per_annotation
WHERE n_i >= 2
GROUP BY week, annotator_id
ORDER BY week, annotator_id
