-- Batches of one project in delivery order with their annotation counts and time span.
-- Columns: batch_id, name, delivered_at, n_annotations, n_items, first_at, last_at.
SELECT b.batch_id, b.name, b.delivered_at,
       COUNT(a.annotation_id) AS n_annotations,
       COUNT(DISTINCT a.item_id) AS n_items,
       MIN(a.created_at) AS first_at,
       MAX(a.created_at) AS last_at
FROM batches b
LEFT JOIN annotations a ON a.batch_id = b.batch_id
WHERE b.project_id = :project_id
GROUP BY b.batch_id, b.name, b.delivered_at
ORDER BY b.delivered_at, b.batch_id
