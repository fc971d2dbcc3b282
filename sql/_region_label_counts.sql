-- Shared tail of <kind>_label_counts.sql: per label of the scope CTE `rs`, annotated regions / chosen labels, items
-- and annotators with the label, and gold rows of `gsrc` (item_id, label: the kind's gold table) on the scope's
-- items. One row a label (labels of either side).
, ann AS (
    SELECT label, CAST(COUNT(*) AS BIGINT) AS n_annotated, CAST(COUNT(DISTINCT item_id) AS BIGINT) AS n_items,
           CAST(COUNT(DISTINCT annotator_id) AS BIGINT) AS n_annotators
    FROM rs WHERE label IS NOT NULL GROUP BY label
), gl AS (
    SELECT g.label, CAST(COUNT(*) AS BIGINT) AS n_gold
    FROM gsrc g WHERE g.label IS NOT NULL AND g.item_id IN (SELECT item_id FROM rs) GROUP BY g.label
)
SELECT COALESCE(ann.label, gl.label) AS label, COALESCE(ann.n_annotated, 0) AS n_annotated,
       COALESCE(ann.n_items, 0) AS n_items, COALESCE(ann.n_annotators, 0) AS n_annotators,
       COALESCE(gl.n_gold, 0) AS n_gold
FROM ann FULL OUTER JOIN gl ON gl.label = ann.label
ORDER BY 1
