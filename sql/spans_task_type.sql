-- The task type of one project (the Regions & label sets page shows spans, boxes and multilabel projects). One row
-- (none for an unknown project).
SELECT p.task_type
FROM projects p
WHERE p.project_id = :project_id
