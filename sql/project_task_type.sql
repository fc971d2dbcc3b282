-- Task type of one project (no row for an unknown project): the overview and the preference page say what it is.
SELECT task_type FROM projects WHERE project_id = :project_id
