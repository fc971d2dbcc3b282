-- Annotator-vs-gold confusion counts per group (:by and :attr_key: see _gold_scored.sql) for the gold classes
-- in :true_labels: one row per (gold_label, label, group). Used to test whether a confusion concentrates in
-- one group. Columns: gold_label, label, grp, grp2 (the group; grp2 NULL unless :by = 'team*attr'), n.
WITH
-- @include filtered_annotations
-- @include gold_scored
SELECT gold_label, label, grp, grp2, CAST(COUNT(*) AS BIGINT) AS n
FROM scored
WHERE gold_label IN :true_labels
GROUP BY gold_label, label, grp, grp2
ORDER BY gold_label, label, grp, grp2
