-- Dashboard (annotators leaderboard): volume and pace per annotator in the filtered scope.
-- Columns: annotator_id, team, annotations, items, weeks_active, seconds (sum of duration_s),
-- n_timed (annotations with a duration), items_per_hour (timed annotations per hour of recorded time),
-- median_seconds (median duration_s), first_at, last_at.
-- Descriptive aggregates only; accuracy and agreement come from analytics.
WITH
-- @include filtered_annotations
SELECT annotator_id,
       MAX(team) AS team,
       COUNT(*) AS annotations,
       COUNT(DISTINCT item_id) AS items,
       COUNT(DISTINCT week) AS weeks_active,
       SUM(duration_s) AS seconds,
       COUNT(duration_s) AS n_timed,
       CAST(COUNT(duration_s) AS DOUBLE PRECISION) * 3600.0
           / NULLIF(SUM(duration_s), 0) AS items_per_hour,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_s) AS median_seconds,
       MIN(created_at) AS first_at,
       MAX(created_at) AS last_at
FROM fa
GROUP BY annotator_id
ORDER BY annotator_id
