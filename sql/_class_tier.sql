-- The tier of a class, aggregated over its label_classes rows (aliased lc, grouped by label): 'critical' if any
-- schema version marks it critical, else 'standard'. The one place this rule is written in SQL.
-- Use it as a line `-- @include class_tier` inside a SELECT list, followed by another item.
       CASE WHEN MAX(CASE WHEN lc.tier = 'critical' THEN 1 ELSE 0 END) = 1
            THEN 'critical' ELSE 'standard' END AS tier,
