-- Totals of the multilabel scope (sql/_multilabel_scope.sql): chosen labels, items and annotators (the weekly
-- report's headline).
WITH
-- @include multilabel_scope
-- @include region_totals
