-- Dashboard: the values the sidebar and page pickers offer for one project within a date range (the values
-- present in the period, issue 9 item 12), as (kind, value, n) rows: kind = team | schema_version | split |
-- annotator | attr_key | attr_value ('key=value'). n counts the period's annotations (items for split,
-- attr_key and attr_value). ui_filter_options.sql holds the project-wide values; like it, the leakage
-- fingerprints (keys content_hash, near_dup_key, group_id) are identities, not item conditions: not offered.
-- The period's annotations are sql/_filtered_annotations.sql with only the project and dates set (team, schema_version,
-- split and batch_id bound as NULL by the caller).
WITH
-- @include filtered_annotations
, pa AS (
    SELECT team, schema_version, annotator_id, item_id, split FROM fa
),
pi AS (
    SELECT DISTINCT item_id, split FROM pa
)
SELECT 'team' AS kind, CAST(team AS VARCHAR) AS value, COUNT(*) AS n
FROM pa
WHERE team IS NOT NULL
GROUP BY team
UNION ALL
SELECT 'schema_version' AS kind, CAST(schema_version AS VARCHAR) AS value, COUNT(*) AS n
FROM pa
GROUP BY schema_version
UNION ALL
SELECT 'annotator' AS kind, CAST(annotator_id AS VARCHAR) AS value, COUNT(*) AS n
FROM pa
GROUP BY annotator_id
UNION ALL
SELECT 'split' AS kind, CAST(split AS VARCHAR) AS value, COUNT(*) AS n
FROM pi
WHERE split IS NOT NULL
GROUP BY split
UNION ALL
SELECT 'attr_key' AS kind, CAST(ia.key AS VARCHAR) AS value, COUNT(*) AS n
FROM item_attributes ia
JOIN pi ON pi.item_id = ia.item_id
WHERE ia.key NOT IN ('content_hash', 'near_dup_key', 'group_id')
GROUP BY ia.key
UNION ALL
SELECT 'attr_value' AS kind, CAST(ia.key || '=' || ia.value AS VARCHAR) AS value, COUNT(*) AS n
FROM item_attributes ia
JOIN pi ON pi.item_id = ia.item_id
WHERE ia.value IS NOT NULL AND ia.key NOT IN ('content_hash', 'near_dup_key', 'group_id')
GROUP BY ia.key, ia.value
