-- Annotator-vs-gold confusion counts: one row per (gold_label, label) with n annotations.
-- Optional narrowing (NULL = all): :annotator_id, :only_team, and items having attribute :attr_key
-- (with value :attr_value when that is not NULL).
WITH
-- @include filtered_annotations
SELECT g.label AS gold_label, fa.label AS label, CAST(COUNT(*) AS BIGINT) AS n
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
WHERE (CAST(:annotator_id AS VARCHAR) IS NULL OR fa.annotator_id = CAST(:annotator_id AS VARCHAR))
  AND (CAST(:only_team AS VARCHAR) IS NULL OR fa.team = CAST(:only_team AS VARCHAR))
  AND (CAST(:attr_key AS VARCHAR) IS NULL OR EXISTS (
        SELECT 1 FROM item_attributes ia
        WHERE ia.item_id = fa.item_id
          AND ia.key = CAST(:attr_key AS VARCHAR)
          AND (CAST(:attr_value AS VARCHAR) IS NULL OR ia.value = CAST(:attr_value AS VARCHAR))))
GROUP BY g.label, fa.label
ORDER BY g.label, fa.label
