-- Per annotator, over filtered annotations on gold items that showed a model pre-label (model_suggestion) to a
-- person (source 'model_auto' rows had no human decision and are left out): right suggestions (equal to gold)
-- and wrong ones, and how many of each the annotator accepted (label = suggestion). The annotators page's
-- pre-label evidence (analytics.quality.evidence.prelabel_evidence).
WITH
-- @include filtered_annotations
SELECT fa.annotator_id,
       SUM(CASE WHEN fa.model_suggestion = g.label THEN 1 ELSE 0 END) AS n_right,
       SUM(CASE WHEN fa.model_suggestion = g.label AND fa.label = fa.model_suggestion THEN 1 ELSE 0 END) AS n_right_accepted,
       SUM(CASE WHEN fa.model_suggestion <> g.label THEN 1 ELSE 0 END) AS n_wrong,
       SUM(CASE WHEN fa.model_suggestion <> g.label AND fa.label = fa.model_suggestion THEN 1 ELSE 0 END) AS n_wrong_accepted
FROM fa
JOIN gold_labels g ON g.item_id = fa.item_id
WHERE fa.model_suggestion IS NOT NULL
  AND COALESCE(fa.source, '') <> 'model_auto'
GROUP BY fa.annotator_id
ORDER BY fa.annotator_id
