-- Swap consistency units (analytics.kinds.preference.swap): per (group, judge, v_a, v_b) the number of units
-- (one judge, pair and dimension judged with shown_first = 'a' and with shown_first = 'b'). v_a / v_b: the verdict
-- of the earliest judgment in that order (undated last; equal times broken by the choice, a < b < tie). A unit's
-- group is the larger group value of its two verdicts (:by as in _preference_judgments.sql; 'week': the later week).
WITH
-- @include preference_judgments
, ranked AS (
    SELECT annotator_id, pair_id, dimension, shown_first, choice, grp,
           ROW_NUMBER() OVER (PARTITION BY annotator_id, pair_id, dimension, shown_first
                              ORDER BY created_at NULLS LAST, choice) AS rn
    FROM pj
    WHERE shown_first IN ('a', 'b')
),
units AS (
    SELECT annotator_id, pair_id, dimension,
           MAX(CASE WHEN shown_first = 'a' THEN choice END) AS v_a,
           MAX(CASE WHEN shown_first = 'b' THEN choice END) AS v_b,
           MAX(grp) AS grp
    FROM ranked
    WHERE rn = 1
    GROUP BY annotator_id, pair_id, dimension
    HAVING COUNT(*) = 2
)
SELECT grp, annotator_id, v_a, v_b, CAST(COUNT(*) AS BIGINT) AS units
FROM units
GROUP BY grp, annotator_id, v_a, v_b
ORDER BY grp, annotator_id, v_a, v_b
