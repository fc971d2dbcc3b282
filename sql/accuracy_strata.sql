-- Post-stratification inputs per gold class (one row per stratum), in one pass over the filtered annotations.
-- stratum = class; population = items of the filtered project whose class is the stratum, an item's class being
-- its gold label when it has one and otherwise the majority label of its filtered annotations (ties -> lowest
-- label); using gold where known keeps every sampled item inside its own stratum's population.
-- correct / n / n_items = gold-scored annotations equal to gold / gold-scored annotations / gold items.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
, ranked AS (
    SELECT v.item_id, v.label, g.label AS gold_label,
           ROW_NUMBER() OVER (PARTITION BY v.item_id ORDER BY v.votes DESC, v.label) AS rk,
           SUM(v.votes) OVER (PARTITION BY v.item_id) AS item_n,
           SUM(CASE WHEN v.label = g.label THEN v.votes ELSE 0 END) OVER (PARTITION BY v.item_id) AS item_correct
    FROM item_votes v
    LEFT JOIN gold_labels g ON g.item_id = v.item_id
)
SELECT COALESCE(gold_label, label) AS stratum,
       CAST(SUM(CASE WHEN gold_label IS NULL THEN 0 ELSE item_correct END) AS BIGINT) AS correct,
       CAST(SUM(CASE WHEN gold_label IS NULL THEN 0 ELSE item_n END) AS BIGINT) AS n,
       CAST(SUM(CASE WHEN gold_label IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS n_items,
       CAST(COUNT(*) AS BIGINT) AS population
FROM ranked
WHERE rk = 1
GROUP BY COALESCE(gold_label, label)
ORDER BY COALESCE(gold_label, label)
