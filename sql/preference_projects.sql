-- The database's preference projects (the preference page points to them from any other project).
SELECT project_id FROM projects WHERE task_type = 'preference' ORDER BY project_id
