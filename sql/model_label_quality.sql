-- Per class of one model run: label accuracy of its training annotations against gold (by gold class) next to
-- the run's per-class metric and support. One row per class (either side may be missing: FULL OUTER JOIN).
-- Training annotations: the filtered annotations whose batch was delivered no later than the run's
-- trained_on_batch (all of them when the run names no batch; annotations without a batch are kept).
WITH
-- @include filtered_annotations
, run AS (
    SELECT r.run_id, b.delivered_at AS cutoff
    FROM model_runs r
    LEFT JOIN batches b ON b.batch_id = r.trained_on_batch
    WHERE r.run_id = :run_id
),
acc AS (
    SELECT g.label,
           SUM(CASE WHEN fa.label = g.label THEN 1 ELSE 0 END) AS correct,
           COUNT(*) AS n_gold,
           COUNT(DISTINCT fa.item_id) AS n_gold_items
    FROM fa
    JOIN gold_labels g ON g.item_id = fa.item_id
    LEFT JOIN batches b ON b.batch_id = fa.batch_id
    CROSS JOIN run
    WHERE run.cutoff IS NULL OR fa.batch_id IS NULL OR b.delivered_at <= run.cutoff
    GROUP BY g.label
),
mm AS (
    SELECT label, value, support
    FROM model_metrics
    WHERE run_id = :run_id AND metric = :metric AND label IS NOT NULL
)
SELECT COALESCE(acc.label, mm.label) AS label,
       COALESCE(acc.correct, 0) AS correct,
       COALESCE(acc.n_gold, 0) AS n_gold,
       COALESCE(acc.n_gold_items, 0) AS n_gold_items,
       mm.value AS model_metric,
       mm.support AS support
FROM acc
FULL OUTER JOIN mm ON mm.label = acc.label
ORDER BY 1
