-- Provenance of the labels in the filtered scope (a delivered batch): annotations per source (human |
-- prelabel_accepted | prelabel_edited | model_auto) and schema version, with their first and last time, for the
-- delivery report's method notes. A handful of rows.
WITH
-- @include filtered_annotations
SELECT source, schema_version, CAST(COUNT(*) AS BIGINT) AS n, MIN(created_at) AS first_at, MAX(created_at) AS last_at
FROM fa
GROUP BY source, schema_version
ORDER BY schema_version, source
