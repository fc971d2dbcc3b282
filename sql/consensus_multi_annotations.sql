-- Dawid-Skene input: one row per distinct (item, annotator, label) with its count, for items with at least two
-- annotations in the filtered scope. NOT a small aggregate: about one row per annotation of multiply-labelled
-- items (see analytics.consensus.annotator_skill_from_db for the cost); narrow the filters on large projects.
WITH
-- @include filtered_annotations
, grouped AS (
    SELECT fa.item_id, fa.annotator_id, fa.label, COUNT(*) AS n
    FROM fa
    GROUP BY fa.item_id, fa.annotator_id, fa.label
),
with_total AS (
    SELECT item_id, annotator_id, label, n, SUM(n) OVER (PARTITION BY item_id) AS n_item
    FROM grouped
)
SELECT item_id, annotator_id, label, n
FROM with_total
WHERE n_item >= 2
ORDER BY item_id, annotator_id, label
