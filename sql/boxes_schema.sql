-- Tables of the boxes kind (issue 13), created by analytics.db.ensure_schema after sql/schema.sql because
-- analytics/kinds/boxes/kind.py declares schema="boxes_schema". Columns and types are the kind's declared
-- `tables` (tests/test_kinds_db.py keeps them equal). Portable DuckDB + PostgreSQL.
-- Statements are separated by a line holding only ';'.

CREATE TABLE IF NOT EXISTS box_annotations (
    annotation_id  VARCHAR PRIMARY KEY,   -- one box (or one "drew nothing" row with a NULL label)
    item_id        VARCHAR NOT NULL,      -- an image of a project with task_type = 'boxes'
    annotator_id   VARCHAR NOT NULL,
    label          VARCHAR,               -- NULL: the annotator saw the image and drew nothing
    x              DOUBLE PRECISION,      -- top-left corner and size
    y              DOUBLE PRECISION,
    width          DOUBLE PRECISION,
    height         DOUBLE PRECISION,
    unit           VARCHAR NOT NULL DEFAULT 'px',  -- px | percent (Label Studio: percent of the image size)
    created_at     TIMESTAMP,
    batch_id       VARCHAR
)
;
CREATE TABLE IF NOT EXISTS box_images (
    item_id       VARCHAR NOT NULL,      -- one row per image; rows repeated by several exports must agree
    image_width   DOUBLE PRECISION,      -- pixels
    image_height  DOUBLE PRECISION
)
;
CREATE TABLE IF NOT EXISTS gold_boxes (
    item_id     VARCHAR NOT NULL,
    label       VARCHAR,                 -- NULL: the image has no gold box
    x           DOUBLE PRECISION,
    y           DOUBLE PRECISION,
    width       DOUBLE PRECISION,
    height      DOUBLE PRECISION,
    unit        VARCHAR NOT NULL DEFAULT 'px',
    source      VARCHAR,
    created_at  TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS box_reviews (
    review_id        VARCHAR PRIMARY KEY,
    annotation_id    VARCHAR NOT NULL,    -- a box_annotations row
    reviewer_id      VARCHAR,
    verdict          VARCHAR NOT NULL,    -- accepted | rejected | corrected
    corrected_label  VARCHAR,             -- corrected: the label the box should carry (NULL: label kept)
    x                DOUBLE PRECISION,    -- corrected: the geometry the box should have (NULL: kept), box's unit
    y                DOUBLE PRECISION,
    width            DOUBLE PRECISION,
    height           DOUBLE PRECISION,
    created_at       TIMESTAMP
)
