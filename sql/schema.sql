-- LabelQA canonical schema: the contract every query in sql/ reads.
-- Portable SQL: runs unchanged on DuckDB and PostgreSQL (no SERIAL, no engine-specific types).
-- Identifiers are text so that any upstream id (UUID, integer, path) maps onto them.
-- Statements are separated by a line holding only ';' so analytics.db can split them safely.

CREATE TABLE IF NOT EXISTS projects (
    project_id   VARCHAR PRIMARY KEY,
    name         VARCHAR NOT NULL,
    client       VARCHAR NOT NULL,
    task_type    VARCHAR NOT NULL DEFAULT 'classification',   -- 'classification' ('preference' later)
    created_at   TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS label_classes (
    project_id      VARCHAR NOT NULL,
    schema_version  INTEGER NOT NULL DEFAULT 1,
    label           VARCHAR NOT NULL,
    description     VARCHAR,
    tier            VARCHAR NOT NULL DEFAULT 'standard',     -- 'critical' | 'standard'
    PRIMARY KEY (project_id, schema_version, label)
)
;
CREATE TABLE IF NOT EXISTS annotators (
    annotator_id  VARCHAR PRIMARY KEY,
    display_name  VARCHAR,
    team          VARCHAR,
    vendor        VARCHAR,
    started_at    TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS items (
    item_id     VARCHAR PRIMARY KEY,
    project_id  VARCHAR NOT NULL,
    split       VARCHAR,                 -- 'train' | 'val' | 'test' | ...
    source      VARCHAR,
    created_at  TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS item_attributes (
    item_id  VARCHAR NOT NULL,
    key      VARCHAR NOT NULL,           -- e.g. 'lighting', 'sensor'
    value    VARCHAR,
    PRIMARY KEY (item_id, key)
)
;
CREATE TABLE IF NOT EXISTS batches (
    batch_id      VARCHAR PRIMARY KEY,
    project_id    VARCHAR NOT NULL,
    name          VARCHAR,
    delivered_at  TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS annotations (
    annotation_id     VARCHAR PRIMARY KEY,
    item_id           VARCHAR NOT NULL,
    annotator_id      VARCHAR NOT NULL,
    label             VARCHAR NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    duration_s        DOUBLE PRECISION,    -- seconds the annotator spent on the item
    schema_version    INTEGER NOT NULL DEFAULT 1,
    batch_id          VARCHAR,
    source            VARCHAR NOT NULL DEFAULT 'human',  -- human | prelabel_accepted | prelabel_edited | model_auto
    model_suggestion  VARCHAR,             -- the pre-label shown to the annotator, if any
    model_confidence  DOUBLE PRECISION
)
;
CREATE TABLE IF NOT EXISTS gold_labels (
    item_id     VARCHAR PRIMARY KEY,
    label       VARCHAR NOT NULL,
    source      VARCHAR,                 -- expert | adjudicated | honeypot
    created_at  TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS reviews (
    review_id        VARCHAR PRIMARY KEY,
    annotation_id    VARCHAR NOT NULL,
    reviewer_id      VARCHAR,
    verdict          VARCHAR NOT NULL,   -- accepted | rejected | corrected
    corrected_label  VARCHAR,
    created_at       TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS model_runs (
    run_id            VARCHAR PRIMARY KEY,
    project_id        VARCHAR NOT NULL,
    model_name        VARCHAR,
    model_version     VARCHAR,
    trained_on_batch  VARCHAR,           -- last batch included in the training data (dataset version)
    evaluated_at      TIMESTAMP
)
;
CREATE TABLE IF NOT EXISTS model_metrics (
    run_id   VARCHAR NOT NULL,
    label    VARCHAR,                    -- NULL = overall
    metric   VARCHAR NOT NULL,           -- f1 | precision | recall | accuracy | ...
    value    DOUBLE PRECISION NOT NULL,
    support  INTEGER
)
;
CREATE TABLE IF NOT EXISTS predictions (
    run_id           VARCHAR NOT NULL,
    item_id          VARCHAR NOT NULL,
    predicted_label  VARCHAR NOT NULL,
    confidence       DOUBLE PRECISION,
    PRIMARY KEY (run_id, item_id)
)
;
-- Class scores of a model run per item (issue 14): top-k allowed, a missing (run, item, label) has score 0.
-- predictions stays the top-1 view. Loaded by labelqa load (long, or wide prob_<label> columns).
CREATE TABLE IF NOT EXISTS model_scores (
    run_id   VARCHAR NOT NULL,
    item_id  VARCHAR NOT NULL,
    label    VARCHAR NOT NULL,
    score    DOUBLE PRECISION NOT NULL,   -- P(label | item) under the run's model, in [0, 1]
    PRIMARY KEY (run_id, item_id, label)
)
;
-- Ingest log (issue 14 sec. 4): one row per labelqa load; record = the load's canonical JSON (who, when, files'
-- SHA-256, rows per table, digests of the loaded annotations / gold / reviews, prev_digest); digest = SHA-256
-- over the previous load's digest and record (a hash chain). Written by labelqa load only (analytics.io.history).
CREATE TABLE IF NOT EXISTS ingest_log (
    load_id    INTEGER PRIMARY KEY,
    loaded_at  TIMESTAMP NOT NULL,
    loaded_by  VARCHAR,
    record     VARCHAR NOT NULL,
    digest     VARCHAR NOT NULL
)
;
-- Fingerprint of every annotation / gold label / review row as it was loaded (64-bit hash of its canonical text).
CREATE TABLE IF NOT EXISTS ingest_rows (
    load_id     INTEGER NOT NULL,
    table_name  VARCHAR NOT NULL,
    row_key     VARCHAR NOT NULL,
    row_hash    BIGINT NOT NULL
)
