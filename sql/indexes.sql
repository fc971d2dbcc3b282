-- Indexes for the dashboard's access paths; created after bulk loads (faster loads, same result).
-- Statements separated by a line holding only ';'.
CREATE INDEX IF NOT EXISTS ix_items_project ON items (project_id)
;
CREATE INDEX IF NOT EXISTS ix_annotations_item ON annotations (item_id)
;
CREATE INDEX IF NOT EXISTS ix_annotations_annotator ON annotations (annotator_id)
;
CREATE INDEX IF NOT EXISTS ix_annotations_created ON annotations (created_at)
;
CREATE INDEX IF NOT EXISTS ix_annotations_batch ON annotations (batch_id)
;
CREATE INDEX IF NOT EXISTS ix_reviews_annotation ON reviews (annotation_id)
;
CREATE INDEX IF NOT EXISTS ix_model_metrics_run ON model_metrics (run_id)
;
CREATE INDEX IF NOT EXISTS ix_predictions_item ON predictions (item_id)
