-- Dashboard (agreement timeline): when each schema version was in use in the filtered scope.
-- Columns: schema_version, first_week (Monday DATE of its first annotation), last_week, annotations.
WITH
-- @include filtered_annotations
SELECT schema_version, MIN(week) AS first_week, MAX(week) AS last_week, COUNT(*) AS annotations
FROM fa
GROUP BY schema_version
ORDER BY schema_version
