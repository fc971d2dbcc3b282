-- Non-tie verdict counts per group and pair for the length-controlled preference (analytics.kinds.preference.
-- length_control): the pair's compared objects and lengths, n_a (verdicts for a) and n_b (verdicts for b).
-- :by as in _preference_judgments.sql. Rows: one a (group, pair) with a non-tie verdict.
WITH
-- @include preference_judgments
SELECT grp, pair_id, response_a, response_b, len_a, len_b,
       CAST(SUM(CASE WHEN choice = 'a' THEN 1 ELSE 0 END) AS BIGINT) AS n_a,
       CAST(SUM(CASE WHEN choice = 'b' THEN 1 ELSE 0 END) AS BIGINT) AS n_b
FROM pj
WHERE choice <> 'tie'
GROUP BY grp, pair_id, response_a, response_b, len_a, len_b
ORDER BY grp, pair_id
