-- Shared CTEs of the agreement queries (after `-- @include filtered_annotations`): the unit of agreement is
-- an item within the group chosen by :by, with never-NULL group key columns (g_date, g_text, g_int) so
-- every join on the unit key is a plain equi-join. Defines keyed, unit_label (n_uc per unit and label),
-- unit (n_u per unit) and unit_b (unit + its md5 item bucket, docs/ARCHITECTURE.md).
, keyed AS (
    SELECT CASE WHEN CAST(:by AS VARCHAR) = 'week' THEN week ELSE DATE '1970-01-01' END AS g_date,
           COALESCE(CASE CAST(:by AS VARCHAR) WHEN 'team' THEN team WHEN 'batch_id' THEN batch_id
                                              WHEN 'split' THEN split END, '') AS g_text,
           CASE WHEN CAST(:by AS VARCHAR) = 'schema_version' THEN schema_version
                WHEN CASE CAST(:by AS VARCHAR) WHEN 'team' THEN team WHEN 'batch_id' THEN batch_id
                                               WHEN 'split' THEN split END IS NULL THEN 1
                ELSE 0 END AS g_int,
           item_id, label
    FROM fa
), unit_label AS (
    SELECT g_date, g_text, g_int, item_id, label, COUNT(*) AS n_uc
    FROM keyed
    GROUP BY g_date, g_text, g_int, item_id, label
), unit AS (
    SELECT g_date, g_text, g_int, item_id, CAST(SUM(n_uc) AS BIGINT) AS n_u
    FROM unit_label
    GROUP BY g_date, g_text, g_int, item_id
), unit_b AS (
    SELECT g_date, g_text, g_int, item_id, n_u,
           ascii(substr(md5(item_id), 1, 1)) * 4 + ascii(substr(md5(item_id), 2, 1)) % 4 AS bucket
    FROM unit
)