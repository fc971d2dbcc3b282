-- Annotator pair x label x label counts for the pairwise Cohen's kappa matrix (analytics/agreement.py):
-- every two annotations of the same item by different annotators (annotator_a < annotator_b), one self-join.
-- Rows: annotator pairs x label combinations (small: the label tables of all pairs at once).
WITH
-- @include filtered_annotations
SELECT a.annotator_id AS annotator_a, b.annotator_id AS annotator_b,
       a.label AS label_a, b.label AS label_b, COUNT(*) AS n
FROM fa a
JOIN fa b ON a.item_id = b.item_id AND a.annotator_id < b.annotator_id
GROUP BY a.annotator_id, b.annotator_id, a.label, b.label
