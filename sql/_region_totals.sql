-- Shared tail of the region kinds' scope totals (box_scope_totals, span_scope_totals, region_multilabel_totals):
-- over the scope CTE `rs`, the regions / chosen labels (rows with a label), the items and the annotators (an
-- annotator who saw an item and marked nothing counts). One row.
SELECT CAST(COALESCE(SUM(CASE WHEN rs.label IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS n_regions,
       CAST(COUNT(DISTINCT rs.item_id) AS BIGINT) AS n_items,
       CAST(COUNT(DISTINCT rs.annotator_id) AS BIGINT) AS n_annotators
FROM rs
