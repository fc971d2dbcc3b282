-- Dashboard: the projects to choose from, with the span of their annotation dates (the sidebar's
-- default date range ends at last_date, not at today) and its task_type (annotation kind; the dates count
-- classification annotations only). One row per project.
SELECT p.project_id, p.name, p.client, p.task_type,
       CAST(MIN(a.created_at) AS DATE) AS first_date,
       CAST(MAX(a.created_at) AS DATE) AS last_date,
       COUNT(a.annotation_id) AS n_annotations
FROM projects p
LEFT JOIN items i ON i.project_id = p.project_id
LEFT JOIN annotations a ON a.item_id = i.item_id
GROUP BY p.project_id, p.name, p.client, p.task_type
ORDER BY p.project_id
