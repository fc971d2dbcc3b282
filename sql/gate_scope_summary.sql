-- Size of the filtered scope: n_annotations, n_items, n_annotators, n_batches, first_at, last_at (one row).
WITH
-- @include filtered_annotations
SELECT COUNT(*) AS n_annotations,
       COUNT(DISTINCT item_id) AS n_items,
       COUNT(DISTINCT annotator_id) AS n_annotators,
       COUNT(DISTINCT batch_id) AS n_batches,
       MIN(created_at) AS first_at,
       MAX(created_at) AS last_at
FROM fa
