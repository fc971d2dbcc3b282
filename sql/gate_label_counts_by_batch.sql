-- Annotations per (batch, label) in the filtered scope (label-distribution shift between batches).
-- Columns: batch_id, label, n.
WITH
-- @include filtered_annotations
SELECT batch_id, label, COUNT(*) AS n
FROM fa
GROUP BY batch_id, label
