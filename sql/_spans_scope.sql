-- Shared CTE body (spans kind, issue 13): the span_annotations rows of one project with the dashboard's filters applied
-- (date_from/date_to: inclusive days of created_at; team: the annotator's; split: the item's; batch_id). Optional
-- filters are NULL when unused; CAST keeps PostgreSQL able to type the parameter. Columns: the table's + week
-- (Monday DATE), split, team.
rs AS (
    SELECT s.annotation_id, s.item_id, s.annotator_id, s.span_start, s.span_end, s.label, s.created_at, s.batch_id,
           s.schema_version,
           CAST(date_trunc('week', s.created_at) AS DATE) AS week, i.split, an.team
    FROM span_annotations s
    -- @include kind_scope_filter
)
