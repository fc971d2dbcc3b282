-- Dashboard (overview throughput tiles and sparklines): per week of the filtered scope, the number of
-- annotations, distinct items, distinct active annotators and summed annotation seconds.
-- Columns: week (Monday DATE), annotations, items, annotators, seconds.
WITH
-- @include filtered_annotations
SELECT week,
       COUNT(*) AS annotations,
       COUNT(DISTINCT item_id) AS items,
       COUNT(DISTINCT annotator_id) AS annotators,
       SUM(duration_s) AS seconds
FROM fa
GROUP BY week
ORDER BY week
