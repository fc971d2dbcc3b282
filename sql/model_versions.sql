-- One row per model run of the project: accuracy vs gold of the filtered annotations in every batch delivered up
-- to and including the run's trained_on_batch (cumulative training data), and the run's overall metric.
-- Per-batch counts first (one row per batch), then a cumulative join to the runs: small at any scale.
WITH
-- @include filtered_annotations
, per_batch AS (
    SELECT b.delivered_at,
           SUM(CASE WHEN fa.label = g.label THEN 1 ELSE 0 END) AS correct,
           COUNT(*) AS n
    FROM fa
    JOIN gold_labels g ON g.item_id = fa.item_id
    JOIN batches b ON b.batch_id = fa.batch_id
    GROUP BY b.delivered_at
),
runs AS (
    SELECT r.run_id, r.trained_on_batch, b.delivered_at AS cutoff
    FROM model_runs r
    LEFT JOIN batches b ON b.batch_id = r.trained_on_batch
    WHERE r.project_id = :project_id
),
overall AS (
    SELECT run_id, MAX(value) AS value
    FROM model_metrics
    WHERE metric = :metric AND label IS NULL
    GROUP BY run_id
),
cum AS (
    SELECT runs.run_id, SUM(pb.correct) AS correct, SUM(pb.n) AS n
    FROM runs
    JOIN per_batch pb ON pb.delivered_at <= runs.cutoff
    GROUP BY runs.run_id
)
SELECT runs.run_id, runs.trained_on_batch, runs.cutoff AS trained_until,
       COALESCE(cum.correct, 0) AS correct, COALESCE(cum.n, 0) AS n,
       o.value AS model_metric
FROM runs
LEFT JOIN cum ON cum.run_id = runs.run_id
LEFT JOIN overall o ON o.run_id = runs.run_id
ORDER BY runs.cutoff, runs.run_id
