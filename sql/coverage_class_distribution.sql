-- Class distribution of the filtered annotations: per class the number of items whose majority label
-- (ties -> lowest label) it is, and the number of annotations with that label. Declared classes of the
-- project (label_classes, the filtered schema_version if any) with no data appear with zero counts.
-- One pass over the filtered annotations. Columns: label, items, annotations.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
, ranked AS (
    SELECT label, votes, ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY votes DESC, label) AS rk
    FROM item_votes
)
, by_label AS (
    SELECT label, SUM(CASE WHEN rk = 1 THEN 1 ELSE 0 END) AS items, SUM(votes) AS annotations
    FROM ranked
    GROUP BY label
)
, declared AS (
    SELECT DISTINCT label FROM label_classes
    WHERE project_id = :project_id
      AND (CAST(:schema_version AS INTEGER) IS NULL OR schema_version = CAST(:schema_version AS INTEGER))
)
SELECT COALESCE(b.label, d.label) AS label,
       CAST(COALESCE(b.items, 0) AS BIGINT) AS items,
       CAST(COALESCE(b.annotations, 0) AS BIGINT) AS annotations
FROM by_label b
FULL OUTER JOIN declared d ON d.label = b.label
ORDER BY COALESCE(b.label, d.label)
