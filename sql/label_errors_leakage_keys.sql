-- Fingerprint keys (item_attributes key in :keys) present on items of project :project_id, with item counts.
SELECT ia.key, CAST(COUNT(*) AS BIGINT) AS n_items
FROM item_attributes ia
JOIN items i ON i.item_id = ia.item_id
WHERE i.project_id = :project_id AND ia.key IN :keys AND ia.value IS NOT NULL
GROUP BY ia.key
ORDER BY ia.key
