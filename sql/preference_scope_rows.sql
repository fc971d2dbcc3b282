-- The scope's judgments, one row each (the preference kind's per-verdict analyses: clean set, judge vs human,
-- per-judge drift), with the judge's team and the pair's objects, category and lengths. :by as in
-- _preference_judgments.sql (pass 'none'). Rows: the scope's judgments (thousands in a campaign; 1M in a minute).
WITH
-- @include preference_judgments
SELECT pj.pair_id, pj.annotator_id, pj.choice, pj.dimension, pj.shown_first, pj.created_at, pj.batch_id,
       pj.strength, an.team, pj.response_a, pj.response_b, pj.category, pj.len_a, pj.len_b
FROM pj
LEFT JOIN annotators an ON an.annotator_id = pj.annotator_id
ORDER BY pj.pair_id, pj.dimension, pj.annotator_id, pj.created_at
