-- Shared CTE chain for the QA sample planner: one row per item of the filtered scope (class = majority label of
-- its filtered annotations, ties -> lowest), whether it was already checked (gold label, or a review of one of
-- its annotations) and the flag that puts it in an over-sampled stratum, the first that applies:
--   'systematic': one of its annotations falls in a group where a systematic confusion of its class concentrates;
--                 :systematic_keys holds '<class>|<group>' keys, group written as the systematic-confusion test
--                 names it ('team=team_c', 'annotator_id=ann_07', 'lighting=night', 'team=team_c, lighting=night');
--   'drift':      annotated by one of :drift_annotators;
--   'none'        otherwise.
-- Use it with a line `-- @include qa_strata_items` right after WITH.
-- Columns of qa_items: item_id, label, has_gold, reviewed, flag.
-- @include filtered_annotations
, item_votes AS (
    SELECT fa.item_id, fa.label, COUNT(*) AS votes
    FROM fa
    GROUP BY fa.item_id, fa.label
)
-- @include item_majority
, qa_reviewed AS (
    SELECT DISTINCT fa.item_id
    FROM fa
    JOIN reviews r ON r.annotation_id = fa.annotation_id
)
, qa_systematic AS (
    SELECT DISTINCT m.item_id
    FROM item_majority m
    JOIN fa ON fa.item_id = m.item_id
    LEFT JOIN item_attributes ia ON ia.item_id = m.item_id
    WHERE (m.label || '|team=' || fa.team) IN :systematic_keys
       OR (m.label || '|annotator_id=' || fa.annotator_id) IN :systematic_keys
       OR (m.label || '|' || ia.key || '=' || ia.value) IN :systematic_keys
       OR (m.label || '|team=' || fa.team || ', ' || ia.key || '=' || ia.value) IN :systematic_keys
)
, qa_drift AS (
    SELECT DISTINCT fa.item_id
    FROM fa
    WHERE fa.annotator_id IN :drift_annotators
)
, qa_items AS (
    SELECT m.item_id, m.label,
           CASE WHEN g.item_id IS NULL THEN 0 ELSE 1 END AS has_gold,
           CASE WHEN rv.item_id IS NULL THEN 0 ELSE 1 END AS reviewed,
           CASE WHEN s.item_id IS NOT NULL THEN 'systematic'
                WHEN d.item_id IS NOT NULL THEN 'drift'
                ELSE 'none' END AS flag
    FROM item_majority m
    LEFT JOIN gold_labels g ON g.item_id = m.item_id
    LEFT JOIN qa_reviewed rv ON rv.item_id = m.item_id
    LEFT JOIN qa_systematic s ON s.item_id = m.item_id
    LEFT JOIN qa_drift d ON d.item_id = m.item_id
)
