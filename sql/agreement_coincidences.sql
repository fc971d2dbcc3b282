-- Krippendorff coincidence sums per (group, item bucket, label pair) for ordinal / interval / ratio alpha
-- (analytics/agreement.py; labels are read as numbers there). Same units, :by and bucket as
-- agreement_bucket_stats.sql. Per unit u with n_u >= 2 ratings, n_uc of label c:
--   o = n_uc (n_uk - [c = k]) / (n_u - 1) (Krippendorff 2011), prop_sum = n_uc / n_u on the diagonal rows;
--   n_single = units rated once (on their diagonal row).
-- Rows: groups x 64 buckets x label pairs that occur together in a unit.
WITH
-- @include filtered_annotations
, unit_label AS (
    SELECT CASE CAST(:by AS VARCHAR)
               WHEN 'week' THEN CAST(week AS VARCHAR)
               WHEN 'team' THEN team
               WHEN 'schema_version' THEN CAST(schema_version AS VARCHAR)
               WHEN 'batch_id' THEN batch_id
               WHEN 'split' THEN split
           END AS grp,
           item_id, label, COUNT(*) AS n_uc
    FROM fa
    GROUP BY 1, 2, 3
), unit_label_n AS (
    SELECT grp, item_id, label, n_uc,
           CAST(SUM(n_uc) OVER (PARTITION BY grp, item_id) AS BIGINT) AS n_u
    FROM unit_label
), pairs AS (
    SELECT a.grp, a.item_id, a.label AS label_c, b.label AS label_k, a.n_u,
           a.n_uc AS n_c, b.n_uc AS n_k, md5(a.item_id) AS h
    FROM unit_label_n a
    JOIN unit_label_n b ON a.item_id = b.item_id AND a.grp IS NOT DISTINCT FROM b.grp
)
SELECT grp,
       ascii(substr(h, 1, 1)) * 4 + ascii(substr(h, 2, 1)) % 4 AS bucket,
       label_c, label_k,
       SUM(CASE WHEN n_u < 2 THEN 0
                WHEN label_c = label_k THEN CAST(n_c * (n_c - 1) AS DOUBLE PRECISION) / (n_u - 1)
                ELSE CAST(n_c * n_k AS DOUBLE PRECISION) / (n_u - 1) END) AS o,
       SUM(CASE WHEN n_u > 1 AND label_c = label_k THEN CAST(n_c AS DOUBLE PRECISION) / n_u ELSE 0 END)
           AS prop_sum,
       CAST(SUM(CASE WHEN n_u = 1 THEN 1 ELSE 0 END) AS BIGINT) AS n_single
FROM pairs
GROUP BY 1, 2, 3, 4
