-- Dashboard: values the sidebar and page pickers offer for one project, as (kind, value, n) rows:
-- kind = team | schema_version | split | batch | attr_key | attr_value ('key=value') | annotator | week.
-- n counts annotations (items for split, attr_key and attr_value). A few hundred rows at most.
-- The leakage fingerprints (keys content_hash, near_dup_key, group_id: analytics.metrics.leakage.KEYS) are
-- identities, not item conditions: they are not offered as attributes.
-- The annotations are scanned once (CTE pa, a few thousand groups); every kind is read from that.
WITH pa AS (
    SELECT an.team, a.schema_version, a.annotator_id, a.batch_id,
           CAST(date_trunc('week', a.created_at) AS DATE) AS week, COUNT(*) AS n
    FROM annotations a
    JOIN items i ON i.item_id = a.item_id
    LEFT JOIN annotators an ON an.annotator_id = a.annotator_id
    WHERE i.project_id = :project_id
    GROUP BY an.team, a.schema_version, a.annotator_id, a.batch_id, CAST(date_trunc('week', a.created_at) AS DATE)
)
SELECT 'team' AS kind, CAST(team AS VARCHAR) AS value, CAST(SUM(n) AS BIGINT) AS n
FROM pa
WHERE team IS NOT NULL
GROUP BY team
UNION ALL
SELECT 'schema_version' AS kind, CAST(schema_version AS VARCHAR) AS value, CAST(SUM(n) AS BIGINT) AS n
FROM pa
GROUP BY schema_version
UNION ALL
SELECT 'annotator' AS kind, CAST(annotator_id AS VARCHAR) AS value, CAST(SUM(n) AS BIGINT) AS n
FROM pa
GROUP BY annotator_id
UNION ALL
SELECT 'week' AS kind, CAST(week AS VARCHAR) AS value, CAST(SUM(n) AS BIGINT) AS n
FROM pa
GROUP BY week
UNION ALL
SELECT 'batch' AS kind, CAST(b.batch_id AS VARCHAR) AS value, CAST(COALESCE(SUM(pa.n), 0) AS BIGINT) AS n
FROM batches b
LEFT JOIN pa ON pa.batch_id = b.batch_id
WHERE b.project_id = :project_id
GROUP BY b.batch_id
UNION ALL
SELECT 'split' AS kind, CAST(i.split AS VARCHAR) AS value, COUNT(*) AS n
FROM items i
WHERE i.project_id = :project_id AND i.split IS NOT NULL
GROUP BY i.split
UNION ALL
SELECT 'attr_key' AS kind, CAST(ia.key AS VARCHAR) AS value, COUNT(*) AS n
FROM item_attributes ia
JOIN items i ON i.item_id = ia.item_id
WHERE i.project_id = :project_id AND ia.key NOT IN ('content_hash', 'near_dup_key', 'group_id')
GROUP BY ia.key
UNION ALL
SELECT 'attr_value' AS kind, CAST(ia.key || '=' || ia.value AS VARCHAR) AS value, COUNT(*) AS n
FROM item_attributes ia
JOIN items i ON i.item_id = ia.item_id
WHERE i.project_id = :project_id AND ia.value IS NOT NULL AND ia.key NOT IN ('content_hash', 'near_dup_key', 'group_id')
GROUP BY ia.key, ia.value
