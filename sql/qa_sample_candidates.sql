-- Seeded QA sample candidates: for each class in :labels, its items (class = majority label, ties -> lowest)
-- in a pseudo-random order fixed by md5(item_id || :seed_text); rows with rank <= :max_n only.
-- The caller keeps, per class, the first n of the plan. Columns: item_id, label, rk.
WITH
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
-- @include item_majority
, ordered AS (
    SELECT item_id, label,
           ROW_NUMBER() OVER (PARTITION BY label
                              ORDER BY md5(item_id || CAST(:seed_text AS VARCHAR)), item_id) AS rk
    FROM item_majority
    WHERE label IN :labels
)
SELECT item_id, label, CAST(rk AS BIGINT) AS rk
FROM ordered
WHERE rk <= CAST(:max_n AS BIGINT)
ORDER BY label, rk
