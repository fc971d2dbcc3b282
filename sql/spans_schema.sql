-- Tables of the spans kind (issue 13), created by analytics.db.ensure_schema after sql/schema.sql because
-- analytics/kinds/spans/kind.py declares schema="spans_schema". Columns and types are the kind's declared
-- `tables` (tests/test_kinds_db.py keeps them equal). Portable DuckDB + PostgreSQL.
-- Offsets are span_start / span_end (character offsets into the item's text, end exclusive): END is a reserved
-- word in SQL, so the file columns start / end are renamed on load.
-- Statements are separated by a line holding only ';'.

CREATE TABLE IF NOT EXISTS span_annotations (
    annotation_id  VARCHAR PRIMARY KEY,   -- one span (or one "marked nothing" row with a NULL label)
    item_id        VARCHAR NOT NULL,      -- an item of a project with task_type = 'spans'
    annotator_id   VARCHAR NOT NULL,
    span_start     INTEGER,
    span_end       INTEGER,
    label          VARCHAR,               -- NULL: the annotator saw the item and marked nothing
    text           VARCHAR,               -- the covered text as the tool stored it (checked against the offsets)
    created_at     TIMESTAMP,
    batch_id       VARCHAR,
    schema_version INTEGER                -- guideline (taxonomy) version the span was drawn under, when known
)
;
-- databases built before the column existed (issue 13 demo) gain it
ALTER TABLE span_annotations ADD COLUMN IF NOT EXISTS schema_version INTEGER
;
CREATE TABLE IF NOT EXISTS span_texts (
    item_id  VARCHAR NOT NULL,           -- one text per item; rows repeated by several exports must agree
    text     VARCHAR NOT NULL            -- the item's text the offsets index
)
;
CREATE TABLE IF NOT EXISTS gold_spans (
    item_id     VARCHAR NOT NULL,
    span_start  INTEGER,
    span_end    INTEGER,
    label       VARCHAR,                 -- NULL: the item has no gold span
    source      VARCHAR,                 -- expert | adjudicated | ground_truth
    created_at  TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS span_reviews (
    review_id        VARCHAR PRIMARY KEY,
    annotation_id    VARCHAR NOT NULL,    -- a span_annotations row
    reviewer_id      VARCHAR,
    verdict          VARCHAR NOT NULL,    -- accepted | rejected | corrected
    corrected_label  VARCHAR,             -- corrected: the label the span should carry (NULL: label kept)
    span_start       INTEGER,             -- corrected: the offsets the span should have (NULL: kept)
    span_end         INTEGER,
    created_at       TIMESTAMP
)
