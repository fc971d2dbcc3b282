-- Label sets of the scope (project + dashboard filters, sql/_multilabel_scope.sql): one row per chosen label; a
-- NULL label is an empty set. Python (analytics.kinds.multilabel.db) finishes MASI alpha and accuracy; week (Monday)
-- and team let the analytics group them (analytics.kinds.multilabel.quality).
WITH
-- @include multilabel_scope
SELECT item_id, annotator_id, label, week, team
FROM rs
ORDER BY item_id, annotator_id, label
