-- Shared FROM tail of the kinds' scope CTEs (_boxes_scope, _spans_scope, _multilabel_scope): the annotation rows
-- `s` of one project joined to their item `i` and annotator `an`, with the dashboard's filters applied
-- (date_from/date_to: inclusive days of created_at; team: the annotator's; split: the item's; batch_id). Optional
-- filters are NULL when unused; CAST keeps PostgreSQL able to type the parameter.
    JOIN items i ON i.item_id = s.item_id
    LEFT JOIN annotators an ON an.annotator_id = s.annotator_id
    WHERE i.project_id = :project_id
      AND (CAST(:date_from AS DATE) IS NULL OR s.created_at >= CAST(:date_from AS DATE))
      AND (CAST(:date_to AS DATE) IS NULL OR s.created_at < CAST(:date_to AS DATE) + 1)
      AND (CAST(:team AS VARCHAR) IS NULL OR an.team = CAST(:team AS VARCHAR))
      AND (CAST(:split AS VARCHAR) IS NULL OR i.split = CAST(:split AS VARCHAR))
      AND (CAST(:batch_id AS VARCHAR) IS NULL OR s.batch_id = CAST(:batch_id AS VARCHAR))
