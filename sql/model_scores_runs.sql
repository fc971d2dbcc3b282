-- Model runs of project :project_id that have class scores (model_scores): one row per run with the number of
-- scored items, score rows and classes. Newest evaluation first.
SELECT r.run_id, r.model_name, r.model_version, r.trained_on_batch, r.evaluated_at,
       CAST(COUNT(DISTINCT s.item_id) AS BIGINT) AS n_items, CAST(COUNT(*) AS BIGINT) AS n_scores,
       CAST(COUNT(DISTINCT s.label) AS BIGINT) AS n_labels
FROM model_runs r
JOIN model_scores s ON s.run_id = r.run_id
WHERE r.project_id = :project_id
GROUP BY r.run_id, r.model_name, r.model_version, r.trained_on_batch, r.evaluated_at
ORDER BY r.evaluated_at DESC, r.run_id
