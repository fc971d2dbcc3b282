-- Totals of the spans scope (sql/_spans_scope.sql): regions, items and annotators (the weekly report's headline).
WITH
-- @include spans_scope
-- @include region_totals
