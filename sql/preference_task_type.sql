-- Task type of one project (no row for an unknown project): the preference page's empty state says what it is.
SELECT task_type FROM projects WHERE project_id = :project_id
