-- Dashboard empty states (issue 9 item 12): per combination of the sidebar's team, schema version and split,
-- the first and last annotation date and the number of annotations of one project, over all dates. The page
-- reads from it why a filter combination shows nothing ("schema v1 ends 2026-07-26"). A few dozen rows.
SELECT CAST(an.team AS VARCHAR) AS team, a.schema_version, CAST(i.split AS VARCHAR) AS split,
       CAST(MIN(a.created_at) AS DATE) AS first_date,
       CAST(MAX(a.created_at) AS DATE) AS last_date,
       COUNT(*) AS n
FROM annotations a
JOIN items i ON i.item_id = a.item_id
LEFT JOIN annotators an ON an.annotator_id = a.annotator_id
WHERE i.project_id = :project_id
GROUP BY an.team, a.schema_version, i.split
