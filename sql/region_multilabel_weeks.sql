-- The weeks (Monday DATE) of the multilabel scope (sql/_multilabel_scope.sql) that hold label sets, ascending (the
-- weekly report's MASI alpha trend is judged one week at a time).
WITH
-- @include multilabel_scope
SELECT DISTINCT rs.week
FROM rs
ORDER BY rs.week
