-- Annotations whose label is not a class of the project's taxonomy for the annotation's schema_version.
-- Columns: label, schema_version, n (no rows when every label is in the taxonomy).
WITH
-- @include filtered_annotations
SELECT fa.label, fa.schema_version, COUNT(*) AS n
FROM fa
LEFT JOIN label_classes lc
       ON lc.project_id = fa.project_id AND lc.schema_version = fa.schema_version AND lc.label = fa.label
WHERE lc.label IS NULL
GROUP BY fa.label, fa.schema_version
ORDER BY n DESC, fa.label
