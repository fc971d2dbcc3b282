-- Tables of the multilabel kind (issue 13), created by analytics.db.ensure_schema after sql/schema.sql because
-- analytics/kinds/multilabel/kind.py declares schema="multilabel_schema". Columns and types are the kind's
-- declared `tables` (tests/test_kinds_db.py keeps them equal). Portable DuckDB + PostgreSQL.
-- Statements are separated by a line holding only ';'.

CREATE TABLE IF NOT EXISTS multilabel_annotations (
    annotation_id  VARCHAR NOT NULL,      -- one annotator's label set on one item; one row per chosen label
    item_id        VARCHAR NOT NULL,      -- an item of a project with task_type = 'multilabel'
    annotator_id   VARCHAR NOT NULL,
    label          VARCHAR,               -- NULL: the annotator chose nothing (the empty set)
    created_at     TIMESTAMP,
    batch_id       VARCHAR
)
;
CREATE TABLE IF NOT EXISTS gold_label_sets (
    item_id     VARCHAR NOT NULL,         -- one row per gold label of the item
    label       VARCHAR,                  -- NULL: the gold set is empty
    source      VARCHAR,
    created_at  TIMESTAMP
)
