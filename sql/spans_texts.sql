-- The text of each item in the scope (sql/_spans_scope.sql) that has one (for token-level agreement).
WITH
-- @include spans_scope
SELECT t.item_id, MAX(t.text) AS text
FROM span_texts t
WHERE t.item_id IN (SELECT item_id FROM rs)
GROUP BY t.item_id
ORDER BY t.item_id
