-- Shared CTE bodies of the confident-learning queries (issue 14): the given label of every item in scope and
-- its class scores under model run :run_id. Use it with a line `-- @include label_errors_scope` right after
-- `WITH`. Given label = the item's majority label over the filtered annotations (ties -> lowest label).
-- Columns: scored(item_id, given_label): labelled items with at least one model_scores row in the run;
-- sc(item_id, label, score, given_label): their score rows (a class without a row has score 0, top-k).
-- @include filtered_annotations
, item_votes AS (
    SELECT item_id, label, COUNT(*) AS votes FROM fa GROUP BY item_id, label
)
-- @include item_majority
, scored AS (
    SELECT m.item_id, m.label AS given_label
    FROM item_majority m
    WHERE EXISTS (SELECT 1 FROM model_scores s WHERE s.run_id = :run_id AND s.item_id = m.item_id)
)
, sc AS (
    SELECT s.item_id, s.label, s.score, g.given_label
    FROM model_scores s
    JOIN scored g ON g.item_id = s.item_id
    WHERE s.run_id = :run_id
)
