-- QA planner strata: items per (class, flag) of the filtered scope and how many of them were already checked
-- (see _qa_strata_items.sql for the class, the flags and "checked").
-- Columns: label, flag, items, items_with_gold, items_reviewed, items_checked.
WITH
-- @include qa_strata_items
SELECT label, flag,
       CAST(COUNT(*) AS BIGINT) AS items,
       CAST(SUM(has_gold) AS BIGINT) AS items_with_gold,
       CAST(SUM(reviewed) AS BIGINT) AS items_reviewed,
       CAST(SUM(CASE WHEN has_gold = 1 OR reviewed = 1 THEN 1 ELSE 0 END) AS BIGINT) AS items_checked
FROM qa_items
GROUP BY label, flag
ORDER BY label, flag
