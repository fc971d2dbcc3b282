-- Per (week, label): annotation count n, and the two item-level sums the Rao-Scott correction for items as
-- clusters needs (an item labelled by several annotators contributes correlated annotations):
-- sum_sq = sum over items of y^2 and sum_cross = sum over items of y * m, where y = the item's annotations with
-- this label in this week and m = all its annotations in this week. At most weeks x classes rows.
WITH
-- @include filtered_annotations
, item_label AS (
    SELECT fa.week, fa.item_id, fa.label, COUNT(*) AS y
    FROM fa
    GROUP BY fa.week, fa.item_id, fa.label
),
with_m AS (
    SELECT week, label, y, SUM(y) OVER (PARTITION BY week, item_id) AS m
    FROM item_label
)
SELECT week, label,
       SUM(y) AS n,
       SUM(y * y) AS sum_sq,
       SUM(y * m) AS sum_cross
FROM with_m
GROUP BY week, label
ORDER BY week, label
