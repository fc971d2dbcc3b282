-- Per annotator, over filtered annotations that showed a model pre-label (model_suggestion) to a person
-- (source 'model_auto' rows had no human decision and are left out):
-- how many were accepted (label = suggestion), and among suggestions that disagree with gold, how many survived.
WITH
-- @include filtered_annotations
SELECT fa.annotator_id,
       MAX(fa.team) AS team,
       COUNT(*) AS n_prelabelled,
       SUM(CASE WHEN fa.label = fa.model_suggestion THEN 1 ELSE 0 END) AS n_accepted,
       SUM(CASE WHEN g.label IS NOT NULL AND fa.model_suggestion <> g.label THEN 1 ELSE 0 END) AS n_wrong_suggestions,
       SUM(CASE WHEN g.label IS NOT NULL AND fa.model_suggestion <> g.label AND fa.label = fa.model_suggestion
                THEN 1 ELSE 0 END) AS n_wrong_accepted,
       SUM(CASE WHEN g.label IS NOT NULL THEN 1 ELSE 0 END) AS n_with_gold
FROM fa
LEFT JOIN gold_labels g ON g.item_id = fa.item_id
WHERE fa.model_suggestion IS NOT NULL
  AND COALESCE(fa.source, '') <> 'model_auto'
GROUP BY fa.annotator_id
ORDER BY fa.annotator_id
