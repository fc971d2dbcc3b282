-- Shared CTE (after `-- @include filtered_annotations`): the gold-scored annotations (items with a gold label)
-- with the group chosen by :by, from the fixed list that analytics/accuracy.py validates (an unknown :by
-- never reaches SQL). :attr_key is the item attribute of 'attr' and 'team*attr' (NULL otherwise); items
-- without that attribute have the group value NULL.
--   :by                 grp            grp2             grp_week
--   gold_label          gold label     NULL             NULL
--   annotator_id        annotator_id   NULL             NULL
--   team                team           NULL             NULL
--   batch_id            batch_id       NULL             NULL
--   week                NULL           NULL             week (Monday DATE)
--   annotator_id*week   annotator_id   NULL             week
--   attr                attribute      NULL             NULL
--   team*attr           team           attribute        NULL
-- Columns: item_id, label, gold_label, grp, grp2, grp_week.
, scored AS (
    SELECT fa.item_id, fa.label, g.label AS gold_label,
           CASE CAST(:by AS VARCHAR)
               WHEN 'gold_label' THEN g.label
               WHEN 'annotator_id' THEN fa.annotator_id
               WHEN 'annotator_id*week' THEN fa.annotator_id
               WHEN 'team' THEN fa.team
               WHEN 'team*attr' THEN fa.team
               WHEN 'batch_id' THEN fa.batch_id
               WHEN 'attr' THEN ia.value
           END AS grp,
           CASE WHEN CAST(:by AS VARCHAR) = 'team*attr' THEN ia.value END AS grp2,
           CASE WHEN CAST(:by AS VARCHAR) IN ('week', 'annotator_id*week') THEN fa.week END AS grp_week
    FROM fa
    JOIN gold_labels g ON g.item_id = fa.item_id
    LEFT JOIN item_attributes ia ON ia.item_id = fa.item_id AND ia.key = CAST(:attr_key AS VARCHAR)
)
