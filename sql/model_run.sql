-- One model run: its project and dataset version (0 or 1 row).
SELECT run_id, project_id, model_name, model_version, trained_on_batch, evaluated_at
FROM model_runs
WHERE run_id = :run_id
