-- The project's taxonomy: one row per (label, schema_version) with its tier ('critical' | 'standard').
SELECT label, schema_version, tier, description
FROM label_classes
WHERE project_id = :project_id
ORDER BY label, schema_version
