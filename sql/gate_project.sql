-- The project row (0 or 1 rows): project_id, name, client, task_type.
SELECT project_id, name, client, task_type
FROM projects
WHERE project_id = :project_id
