-- Totals of the boxes scope (sql/_boxes_scope.sql): regions, items and annotators (the weekly report's headline).
WITH
-- @include boxes_scope
-- @include region_totals
