-- Confident learning: the items each pruning cell removes, for model run :run_id (only these come back as rows).
-- Cells are bound as three parallel arrays (:cut_given, :cut_true, :cut_n; computed in Python from the
-- calibrated confident joint of label_errors_joint.sql). Cell (c, j), j <> c (prune_by_noise_rate): the n items
-- given c with the largest margin score_j - score_c; cell (c, c) (prune_by_class): the n items given c with the
-- lowest self-confidence score_c. Ties -> item_id. With :all_conflicts = 1 every item whose best other class
-- scores above its given label also comes back (predicted_neq_given), cell true_label NULL.
-- Per returned row: the cell, the rank in it, self_confidence, suggested_label (best other class, ties ->
-- lowest label) and its score (0 when the item has no other score row).
WITH
-- @include label_errors_scope
, cuts AS (
    SELECT unnest(CAST(:cut_given AS VARCHAR[])) AS given_label,
           unnest(CAST(:cut_true AS VARCHAR[])) AS true_label,
           unnest(CAST(:cut_n AS INTEGER[])) AS n
)
, self_score AS (
    SELECT g.item_id, g.given_label, COALESCE(s.score, 0) AS self_confidence
    FROM scored g
    LEFT JOIN sc s ON s.item_id = g.item_id AND s.label = g.given_label
)
, best_other AS (
    SELECT item_id, label, score
    FROM (SELECT item_id, label, score,
                 ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY score DESC, label) AS rk
          FROM sc WHERE label <> given_label) r
    WHERE rk = 1
)
, ranked AS (
    SELECT g.item_id, cu.true_label, cu.n,
           ROW_NUMBER() OVER (PARTITION BY cu.given_label, cu.true_label ORDER BY
               CASE WHEN cu.true_label = g.given_label THEN -g.self_confidence
                    ELSE COALESCE(pt.score, 0) - g.self_confidence END DESC, g.item_id) AS rk
    FROM self_score g
    JOIN cuts cu ON cu.given_label = g.given_label
    LEFT JOIN sc pt ON pt.item_id = g.item_id AND pt.label = cu.true_label
)
, picked AS (
    SELECT item_id, true_label, rk FROM ranked WHERE rk <= n
    UNION ALL
    SELECT g.item_id, CAST(NULL AS VARCHAR) AS true_label, CAST(NULL AS BIGINT) AS rk
    FROM self_score g
    JOIN best_other o ON o.item_id = g.item_id
    WHERE CAST(:all_conflicts AS INTEGER) = 1 AND o.score > g.self_confidence
)
SELECT p.item_id, g.given_label, p.true_label AS cell_true_label, p.rk AS cell_rank, g.self_confidence,
       o.label AS suggested_label, COALESCE(o.score, 0) AS suggested_score
FROM picked p
JOIN self_score g ON g.item_id = p.item_id
LEFT JOIN best_other o ON o.item_id = p.item_id
ORDER BY p.item_id, p.true_label
