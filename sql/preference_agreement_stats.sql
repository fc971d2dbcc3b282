-- Sufficient statistics of agreement among preference judges per (group, pair bucket): the additive columns of
-- analytics.kinds.preference.agreement._STATS, finished (and bootstrapped over the 64 buckets) in Python.
-- Unit = a pair on one dimension within the group; a judge's repeated votes on a unit count once, as the sign of
-- their a-minus-b count (a, b, or tie when they tied or contradicted themselves).
-- Columns: grp, bucket (md5 item bucket id of pair_id), agree_t, pairs_t, agree_nt, pairs_nt, fleiss_sum,
-- n_pairable, prop_a, prop_b, prop_t, n_voted, o_a, o_b, o_t, v_a, v_b, v_t, n_judgments. At most 64 rows a group.
WITH
-- @include preference_judgments
, judge AS (
    SELECT grp, dimension, pair_id, annotator_id,
           SUM(CASE WHEN choice = 'a' THEN 1 WHEN choice = 'b' THEN -1 ELSE 0 END) AS net,
           COUNT(*) AS n_rows
    FROM pj
    GROUP BY grp, dimension, pair_id, annotator_id
), unit AS (
    SELECT grp, pair_id,
           CAST(SUM(CASE WHEN net > 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS a,
           CAST(SUM(CASE WHEN net < 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS b,
           CAST(SUM(CASE WHEN net = 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS t,
           CAST(SUM(n_rows) AS DOUBLE PRECISION) AS nj
    FROM judge
    GROUP BY grp, dimension, pair_id
), u AS (
    SELECT grp, ascii(substr(md5(pair_id), 1, 1)) * 4 + ascii(substr(md5(pair_id), 2, 1)) % 4 AS bucket,
           a, b, t, a + b + t AS n, nj
    FROM unit
)
SELECT grp, bucket,
       SUM(a * (a - 1) / 2 + b * (b - 1) / 2 + t * (t - 1) / 2) AS agree_t,
       SUM(n * (n - 1) / 2) AS pairs_t,
       SUM(a * (a - 1) / 2 + b * (b - 1) / 2) AS agree_nt,
       SUM((a + b) * (a + b - 1) / 2) AS pairs_nt,
       SUM(CASE WHEN n >= 2 THEN (a * (a - 1) + b * (b - 1) + t * (t - 1)) / (n * (n - 1)) ELSE 0 END) AS fleiss_sum,
       SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END) AS n_pairable,
       SUM(a / n) AS prop_a,
       SUM(b / n) AS prop_b,
       SUM(t / n) AS prop_t,
       COUNT(*) AS n_voted,
       SUM(CASE WHEN n >= 2 THEN a * (a - 1) / (n - 1) ELSE 0 END) AS o_a,
       SUM(CASE WHEN n >= 2 THEN b * (b - 1) / (n - 1) ELSE 0 END) AS o_b,
       SUM(CASE WHEN n >= 2 THEN t * (t - 1) / (n - 1) ELSE 0 END) AS o_t,
       SUM(CASE WHEN n >= 2 THEN a ELSE 0 END) AS v_a,
       SUM(CASE WHEN n >= 2 THEN b ELSE 0 END) AS v_b,
       SUM(CASE WHEN n >= 2 THEN t ELSE 0 END) AS v_t,
       SUM(nj) AS n_judgments
FROM u
GROUP BY grp, bucket
ORDER BY grp, bucket
