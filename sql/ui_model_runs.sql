-- Dashboard (label vs model): the project's model runs, oldest first, with how many per-class metric rows
-- and predictions each has. Columns: run_id, model_name, model_version, trained_on_batch, evaluated_at,
-- n_class_metrics, n_predictions.
SELECT r.run_id, r.model_name, r.model_version, r.trained_on_batch, r.evaluated_at,
       (SELECT COUNT(*) FROM model_metrics m WHERE m.run_id = r.run_id AND m.label IS NOT NULL) AS n_class_metrics,
       (SELECT COUNT(*) FROM predictions p WHERE p.run_id = r.run_id) AS n_predictions
FROM model_runs r
WHERE r.project_id = :project_id
ORDER BY r.evaluated_at, r.run_id
