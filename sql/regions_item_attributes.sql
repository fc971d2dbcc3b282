-- Item attributes (key, value) of the items of one project, for the region kinds (spans, boxes, multilabel) to
-- stratify their accuracy and completeness (lighting, topic, ...). One row per item and key; Python pivots them.
SELECT a.item_id, a.key, a.value
FROM item_attributes a
JOIN items i ON i.item_id = a.item_id
WHERE i.project_id = :project_id
ORDER BY a.item_id, a.key
