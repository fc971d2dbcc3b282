-- Gold label sets of the items in the scope (sql/_multilabel_scope.sql); a NULL label: the gold set is empty.
WITH
-- @include multilabel_scope
SELECT g.item_id, g.label
FROM gold_label_sets g
WHERE g.item_id IN (SELECT item_id FROM rs)
ORDER BY g.item_id, g.label
