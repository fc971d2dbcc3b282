-- Gold spans of the items in the scope (sql/_spans_scope.sql); a NULL label: the item has no gold span.
WITH
-- @include spans_scope
SELECT g.item_id, g.span_start, g.span_end, g.label
FROM gold_spans g
WHERE g.item_id IN (SELECT item_id FROM rs)
ORDER BY g.item_id, g.span_start, g.span_end, g.label
