-- Gold verdicts (expert-adjudicated) on the pairs of one preference project: pair_id, dimension, choice.
SELECT g.pair_id, g.dimension, g.choice
FROM preference_gold g
JOIN preference_pairs p ON p.pair_id = g.pair_id
WHERE p.project_id = :project_id
ORDER BY g.pair_id, g.dimension
