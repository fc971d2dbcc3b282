-- Shared CTE body: annotations of one project with the dashboard's filters applied.
-- Optional filters are NULL when unused; CAST keeps PostgreSQL able to type the parameter.
-- Columns: the annotations columns + week (Monday DATE), split, project_id, team.
fa AS (
    SELECT a.annotation_id, a.item_id, a.annotator_id, a.label, a.created_at, a.duration_s,
           a.schema_version, a.batch_id, a.source, a.model_suggestion, a.model_confidence,
           CAST(date_trunc('week', a.created_at) AS DATE) AS week,
           i.split, i.project_id, an.team
    FROM annotations a
    JOIN items i ON i.item_id = a.item_id
    LEFT JOIN annotators an ON an.annotator_id = a.annotator_id
    WHERE i.project_id = :project_id
      AND (CAST(:date_from AS DATE) IS NULL OR a.created_at >= CAST(:date_from AS DATE))
      AND (CAST(:date_to AS DATE) IS NULL OR a.created_at < CAST(:date_to AS DATE) + 1)
      AND (CAST(:team AS VARCHAR) IS NULL OR an.team = CAST(:team AS VARCHAR))
      AND (CAST(:schema_version AS INTEGER) IS NULL OR a.schema_version = CAST(:schema_version AS INTEGER))
      AND (CAST(:split AS VARCHAR) IS NULL OR i.split = CAST(:split AS VARCHAR))
      AND (CAST(:batch_id AS VARCHAR) IS NULL OR a.batch_id = CAST(:batch_id AS VARCHAR))
)
