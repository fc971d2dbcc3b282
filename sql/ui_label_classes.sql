-- Dashboard: the project's taxonomy with each class's tier ('critical' | 'standard') and the schema
-- versions it appears in. One row per label.
SELECT lc.label,
-- @include class_tier
       MIN(lc.schema_version) AS first_schema_version,
       MAX(lc.schema_version) AS last_schema_version
FROM label_classes lc
WHERE lc.project_id = :project_id
GROUP BY lc.label
ORDER BY lc.label
