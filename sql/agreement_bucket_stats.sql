-- Nominal agreement sufficient statistics per (group, item bucket, label) for analytics/agreement.py
-- (Krippendorff's alpha, Fleiss' kappa, Gwet's AC1, Scott's pi, percent agreement, per-category agreement).
-- The unit is an item within a group: with :by = 'team' an item's annotations from different teams are
-- different units (agreement within a team, by the annotation's annotator's team).
-- :by is NULL (one group) or one of 'week', 'team', 'schema_version', 'batch_id', 'split'; grp is its text value.
-- The group is carried as typed columns (g_date, g_text, g_int: all NULL but the chosen one) so the two big
-- aggregations never build strings; it becomes text only on the final (small) result.
-- bucket = ascii(substr(md5(item_id), 1, 1)) * 4 + ascii(substr(md5(item_id), 2, 1)) % 4 (docs/ARCHITECTURE.md).
-- Per unit u: n_uc ratings of the label, n_u ratings in all. Sums over the units of the bucket:
--   n_pairable = n_uc (units with n_u >= 2), o_cc = n_uc (n_uc - 1) / (n_u - 1),
--   fleiss_sum = n_uc (n_uc - 1) / (n_u (n_u - 1)), prop_sum = n_uc / n_u, items_with_label = units
--   (all over units with n_u >= 2); n_single = units rated once (with this label).
-- Rows: groups x 64 buckets x labels.
WITH
-- @include filtered_annotations
, unit_label AS (
    SELECT CASE WHEN CAST(:by AS VARCHAR) = 'week' THEN week END AS g_date,
           CASE CAST(:by AS VARCHAR) WHEN 'team' THEN team WHEN 'batch_id' THEN batch_id
                                     WHEN 'split' THEN split END AS g_text,
           CASE WHEN CAST(:by AS VARCHAR) = 'schema_version' THEN schema_version END AS g_int,
           item_id, label, COUNT(*) AS n_uc
    FROM fa
    GROUP BY 1, 2, 3, 4, 5
), unit_label_n AS (
    SELECT g_date, g_text, g_int, label, n_uc,
           CAST(SUM(n_uc) OVER (PARTITION BY g_date, g_text, g_int, item_id) AS BIGINT) AS n_u,
           md5(item_id) AS h
    FROM unit_label
)
SELECT COALESCE(CAST(g_date AS VARCHAR), g_text, CAST(g_int AS VARCHAR)) AS grp,
       ascii(substr(h, 1, 1)) * 4 + ascii(substr(h, 2, 1)) % 4 AS bucket,
       label,
       CAST(SUM(CASE WHEN n_u > 1 THEN n_uc ELSE 0 END) AS BIGINT) AS n_pairable,
       SUM(CASE WHEN n_u > 1 THEN CAST(n_uc * (n_uc - 1) AS DOUBLE PRECISION) / (n_u - 1) ELSE 0 END) AS o_cc,
       SUM(CASE WHEN n_u > 1 THEN CAST(n_uc * (n_uc - 1) AS DOUBLE PRECISION) / (n_u * (n_u - 1)) ELSE 0 END)
           AS fleiss_sum,
       SUM(CASE WHEN n_u > 1 THEN CAST(n_uc AS DOUBLE PRECISION) / n_u ELSE 0 END) AS prop_sum,
       CAST(SUM(CASE WHEN n_u > 1 THEN 1 ELSE 0 END) AS BIGINT) AS items_with_label,
       CAST(SUM(CASE WHEN n_u = 1 THEN 1 ELSE 0 END) AS BIGINT) AS n_single
FROM unit_label_n
GROUP BY g_date, g_text, g_int, 2, 3
