-- Counts per group of preference judgments (one row a group; :by as in _preference_judgments.sql):
-- n_judgments, n_pairs (distinct pairs), ties; position: pos_n (non-tie judgments with shown_first), pos_first
-- (of those, chose the response shown first); length: len_n (non-tie judgments of pairs whose two lengths are
-- known and differ), len_longer (of those, chose the longer response). Shares and intervals finish in Python.
WITH
-- @include preference_judgments
SELECT grp,
       CAST(COUNT(*) AS BIGINT) AS n_judgments,
       CAST(COUNT(DISTINCT pair_id) AS BIGINT) AS n_pairs,
       CAST(SUM(CASE WHEN choice = 'tie' THEN 1 ELSE 0 END) AS BIGINT) AS ties,
       CAST(SUM(CASE WHEN choice <> 'tie' AND shown_first IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS pos_n,
       CAST(SUM(CASE WHEN choice <> 'tie' AND choice = shown_first THEN 1 ELSE 0 END) AS BIGINT) AS pos_first,
       CAST(SUM(CASE WHEN choice <> 'tie' AND len_a IS NOT NULL AND len_b IS NOT NULL AND len_a <> len_b
                     THEN 1 ELSE 0 END) AS BIGINT) AS len_n,
       CAST(SUM(CASE WHEN choice <> 'tie' AND len_a IS NOT NULL AND len_b IS NOT NULL AND len_a <> len_b
                      AND choice = CASE WHEN len_b > len_a THEN 'b' ELSE 'a' END
                     THEN 1 ELSE 0 END) AS BIGINT) AS len_longer
FROM pj
GROUP BY grp
ORDER BY grp
