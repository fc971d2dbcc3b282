-- Dashboard: values the sidebar and page pickers offer for one project, as (kind, value, n) rows:
-- kind = team | schema_version | split | batch | attr_key | attr_value ('key=value') | annotator | week.
-- n counts annotations (items for split, attr_key and attr_value). A few hundred rows at most.
SELECT 'team' AS kind, CAST(an.team AS VARCHAR) AS value, COUNT(*) AS n
FROM annotations a
JOIN items i ON i.item_id = a.item_id
LEFT JOIN annotators an ON an.annotator_id = a.annotator_id
WHERE i.project_id = :project_id AND an.team IS NOT NULL
GROUP BY an.team
UNION ALL
SELECT 'schema_version' AS kind, CAST(a.schema_version AS VARCHAR) AS value, COUNT(*) AS n
FROM annotations a
JOIN items i ON i.item_id = a.item_id
WHERE i.project_id = :project_id
GROUP BY a.schema_version
UNION ALL
SELECT 'split' AS kind, CAST(i.split AS VARCHAR) AS value, COUNT(*) AS n
FROM items i
WHERE i.project_id = :project_id AND i.split IS NOT NULL
GROUP BY i.split
UNION ALL
SELECT 'batch' AS kind, CAST(b.batch_id AS VARCHAR) AS value, COUNT(a.annotation_id) AS n
FROM batches b
LEFT JOIN annotations a ON a.batch_id = b.batch_id
WHERE b.project_id = :project_id
GROUP BY b.batch_id
UNION ALL
SELECT 'attr_key' AS kind, CAST(ia.key AS VARCHAR) AS value, COUNT(*) AS n
FROM item_attributes ia
JOIN items i ON i.item_id = ia.item_id
WHERE i.project_id = :project_id
GROUP BY ia.key
UNION ALL
SELECT 'attr_value' AS kind, CAST(ia.key || '=' || ia.value AS VARCHAR) AS value, COUNT(*) AS n
FROM item_attributes ia
JOIN items i ON i.item_id = ia.item_id
WHERE i.project_id = :project_id AND ia.value IS NOT NULL
GROUP BY ia.key, ia.value
UNION ALL
SELECT 'annotator' AS kind, CAST(a.annotator_id AS VARCHAR) AS value, COUNT(*) AS n
FROM annotations a
JOIN items i ON i.item_id = a.item_id
WHERE i.project_id = :project_id
GROUP BY a.annotator_id
UNION ALL
SELECT 'week' AS kind, CAST(CAST(date_trunc('week', a.created_at) AS DATE) AS VARCHAR) AS value, COUNT(*) AS n
FROM annotations a
JOIN items i ON i.item_id = a.item_id
WHERE i.project_id = :project_id
GROUP BY CAST(date_trunc('week', a.created_at) AS DATE)
