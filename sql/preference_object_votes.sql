-- Votes per group, pair bucket and ordered pair of compared objects (response_a, response_b of the pairs):
-- n_a (judgments a: a win of response_a), n_b, n_tie. Pairs without both object ids are left out.
-- Rows: groups x <= 64 buckets x object pairs (tens of models: a few thousand rows). :by as in _preference_judgments.sql.
WITH
-- @include preference_judgments
SELECT grp,
       ascii(substr(md5(pair_id), 1, 1)) * 4 + ascii(substr(md5(pair_id), 2, 1)) % 4 AS bucket,
       response_a, response_b,
       CAST(SUM(CASE WHEN choice = 'a' THEN 1 ELSE 0 END) AS BIGINT) AS n_a,
       CAST(SUM(CASE WHEN choice = 'b' THEN 1 ELSE 0 END) AS BIGINT) AS n_b,
       CAST(SUM(CASE WHEN choice = 'tie' THEN 1 ELSE 0 END) AS BIGINT) AS n_tie
FROM pj
WHERE response_a IS NOT NULL AND response_b IS NOT NULL
GROUP BY grp, bucket, response_a, response_b
ORDER BY grp, bucket, response_a, response_b
