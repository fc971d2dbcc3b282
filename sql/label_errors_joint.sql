-- Confident learning sufficient statistics (Northcutt, Jiang & Chuang 2021, eq. 1-2) for model run :run_id:
-- one row per (given_label, true_label) with n items; true_label NULL = no class is confident for the item.
-- threshold = t_k of the given label = mean self-confidence of the items given k, floored at :t_min;
-- a class is confident for an item when score >= t_class - :eps; the item's confident class is the only
-- confident one, or (several) its highest-scored class (ties -> lowest label): cleanlab compute_confident_joint.
-- The sum of n over a given_label is the number of items given it. Returns at most K x (K + 1) rows.
WITH
-- @include label_errors_scope
, self_conf AS (
    SELECT g.given_label AS label, COUNT(*) AS n, SUM(COALESCE(s.score, 0)) AS sc_sum
    FROM scored g
    LEFT JOIN sc s ON s.item_id = g.item_id AND s.label = g.given_label
    GROUP BY g.given_label
)
, t AS (
    SELECT label, n, sc_sum, GREATEST(sc_sum / CAST(n AS DOUBLE PRECISION), :t_min) AS threshold FROM self_conf
)
, n_conf AS (
    SELECT s.item_id, COUNT(*) AS n_conf, MIN(s.label) AS only_label
    FROM sc s
    JOIN t ON t.label = s.label
    WHERE s.score >= t.threshold - :eps
    GROUP BY s.item_id
)
, top1 AS (
    SELECT item_id, label
    FROM (SELECT item_id, label, ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY score DESC, label) AS rk FROM sc) r
    WHERE rk = 1
)
, guess AS (
    SELECT c.item_id, CASE WHEN c.n_conf > 1 THEN top1.label ELSE c.only_label END AS true_label
    FROM n_conf c
    JOIN top1 ON top1.item_id = c.item_id
)
SELECT g.given_label, gu.true_label, CAST(COUNT(*) AS BIGINT) AS n,
       MIN(t.threshold) AS threshold, MIN(t.sc_sum) AS sc_sum
FROM scored g
JOIN t ON t.label = g.given_label
LEFT JOIN guess gu ON gu.item_id = g.item_id
GROUP BY g.given_label, gu.true_label
ORDER BY g.given_label, gu.true_label
