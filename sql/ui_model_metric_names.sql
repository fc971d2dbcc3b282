-- Dashboard (label vs model): metric names recorded per class for the project's runs, with the number of
-- runs that have each. Columns: metric, n_runs.
SELECT m.metric, COUNT(DISTINCT m.run_id) AS n_runs
FROM model_metrics m
JOIN model_runs r ON r.run_id = m.run_id
WHERE r.project_id = :project_id AND m.label IS NOT NULL
GROUP BY m.metric
ORDER BY m.metric
