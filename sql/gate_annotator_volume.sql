-- Annotations per (batch, annotator) in the filtered scope (annotator share of a batch, report pseudonyms).
-- Columns: batch_id (NULL for annotations outside any batch), annotator_id, team, n_annotations, n_items.
WITH
-- @include filtered_annotations
SELECT batch_id, annotator_id, team, COUNT(*) AS n_annotations, COUNT(DISTINCT item_id) AS n_items
FROM fa
GROUP BY batch_id, annotator_id, team
