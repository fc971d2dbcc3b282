-- Seeded QA sample candidates per (class, flag) stratum (see _qa_strata_items.sql): the stratum's items in a
-- pseudo-random order fixed by md5(item_id || :seed_text), already-checked items left out unless
-- :include_checked = 1, ranks <= :max_n only, each with its item attributes (one row per attribute; NULL key
-- when the item has none; the leakage fingerprints content_hash, near_dup_key, group_id are not attributes). The caller keeps, per stratum, the first n of the plan.
-- Columns: item_id, label, flag, has_gold, reviewed, rk, attr_key, attr_value.
WITH
-- @include qa_strata_items
, ordered AS (
    SELECT item_id, label, flag, has_gold, reviewed,
           ROW_NUMBER() OVER (PARTITION BY label, flag
                              ORDER BY md5(item_id || CAST(:seed_text AS VARCHAR)), item_id) AS rk
    FROM qa_items
    WHERE label IN :labels
      AND (CAST(:include_checked AS INTEGER) = 1 OR (has_gold = 0 AND reviewed = 0))
)
SELECT o.item_id, o.label, o.flag, o.has_gold, o.reviewed, CAST(o.rk AS BIGINT) AS rk,
       ia.key AS attr_key, ia.value AS attr_value
FROM ordered o
LEFT JOIN item_attributes ia ON ia.item_id = o.item_id AND ia.key NOT IN ('content_hash', 'near_dup_key', 'group_id')
WHERE o.rk <= CAST(:max_n AS BIGINT)
ORDER BY o.label, o.flag, o.rk, ia.key
