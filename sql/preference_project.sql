-- Dashboard: a project's task type and its preference volume (zeros for a project without pairs). One row
-- (none for an unknown project).
SELECT p.task_type,
       (SELECT COUNT(*) FROM preference_pairs pp WHERE pp.project_id = p.project_id) AS n_pairs,
       (SELECT COUNT(*) FROM preference_judgments j JOIN preference_pairs pp ON pp.pair_id = j.pair_id
        WHERE pp.project_id = p.project_id) AS n_judgments,
       (SELECT COUNT(DISTINCT j.dimension) FROM preference_judgments j JOIN preference_pairs pp
        ON pp.pair_id = j.pair_id WHERE pp.project_id = p.project_id) AS n_dimensions
FROM projects p
WHERE p.project_id = :project_id
