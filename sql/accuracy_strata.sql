-- Post-stratification inputs per gold class (one row per stratum).
-- stratum = class; correct/n/n_items = gold-scored annotations equal to gold / gold-scored annotations /
-- distinct gold items of that gold class; population = items of the filtered project whose class is the
-- stratum, an item's class being its gold label when it has one and otherwise the majority label of its
-- filtered annotations (ties -> lowest label). Using gold where known keeps every sampled item inside its own
-- stratum's population.
-- One pass over the filtered annotations: both parts read the per-(item, label) vote counts, so fa is not
-- scanned (and materialised) twice. (A one-pass variant with window sums measured slower on DuckDB.)
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
-- @include item_majority
, item_class AS (
    SELECT m.item_id, COALESCE(g.label, m.label) AS stratum
    FROM item_majority m
    LEFT JOIN gold_labels g ON g.item_id = m.item_id
)
, population AS (
    SELECT stratum, COUNT(*) AS population
    FROM item_class
    GROUP BY stratum
)
, sample AS (
    SELECT g.label AS stratum,
           SUM(CASE WHEN v.label = g.label THEN v.votes ELSE 0 END) AS correct,
           SUM(v.votes) AS n,
           COUNT(DISTINCT v.item_id) AS n_items
    FROM item_votes v
    JOIN gold_labels g ON g.item_id = v.item_id
    GROUP BY g.label
)
SELECT p.stratum,
       CAST(COALESCE(s.correct, 0) AS BIGINT) AS correct,
       CAST(COALESCE(s.n, 0) AS BIGINT) AS n,
       CAST(COALESCE(s.n_items, 0) AS BIGINT) AS n_items,
       CAST(p.population AS BIGINT) AS population
FROM population p
LEFT JOIN sample s ON s.stratum = p.stratum
ORDER BY p.stratum
