-- Krippendorff coincidence sums per (group, item bucket, label pair) for ordinal / interval / ratio alpha
-- (analytics/agreement.py; labels are read as numbers there). Same units, :by and bucket as
-- agreement_bucket_stats.sql (and the same never-NULL group key columns g_date, g_text, g_int, so both joins
-- below are plain equi-joins: PostgreSQL can hash them, unlike IS NOT DISTINCT FROM). Per unit u with
-- n_u >= 2 ratings, n_uc of label c:
--   o = n_uc (n_uk - [c = k]) / (n_u - 1) (Krippendorff 2011), prop_sum = n_uc / n_u on the diagonal rows;
--   n_single = units rated once (on their diagonal row).
-- Rows: groups x 64 buckets x label pairs that occur together in a unit.
WITH
-- @include filtered_annotations
-- @include agreement_units
, pairs AS (
    SELECT u.g_date, u.g_text, u.g_int, u.bucket, a.label AS label_c, b.label AS label_k, u.n_u,
           a.n_uc AS n_c, b.n_uc AS n_k
    FROM unit_b u
    JOIN unit_label a ON a.item_id = u.item_id AND a.g_date = u.g_date AND a.g_text = u.g_text
                     AND a.g_int = u.g_int
    JOIN unit_label b ON b.item_id = u.item_id AND b.g_date = u.g_date AND b.g_text = u.g_text
                     AND b.g_int = u.g_int
)
SELECT
-- @include agreement_grp
       bucket,
       label_c, label_k,
       SUM(CASE WHEN n_u < 2 THEN 0
                WHEN label_c = label_k THEN CAST(n_c * (n_c - 1) AS DOUBLE PRECISION) / (n_u - 1)
                ELSE CAST(n_c * n_k AS DOUBLE PRECISION) / (n_u - 1) END) AS o,
       SUM(CASE WHEN n_u > 1 AND label_c = label_k THEN CAST(n_c AS DOUBLE PRECISION) / n_u ELSE 0 END)
           AS prop_sum,
       CAST(SUM(CASE WHEN n_u = 1 THEN 1 ELSE 0 END) AS BIGINT) AS n_single
FROM pairs
GROUP BY g_date, g_text, g_int, bucket, label_c, label_k
