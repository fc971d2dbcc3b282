-- Tables of the preference kind (issue 12), created by analytics.db.ensure_schema after sql/schema.sql because
-- analytics/kinds/preference/kind.py declares schema="preference_schema". Columns and types are the kind's
-- declared `tables` (tests/test_preference_db.py keeps them equal). Portable DuckDB + PostgreSQL.
-- Statements are separated by a line holding only ';'.

CREATE TABLE IF NOT EXISTS preference_pairs (
    pair_id     VARCHAR PRIMARY KEY,     -- one prompt with two responses
    prompt_id   VARCHAR,
    prompt      VARCHAR,
    response_a  VARCHAR,                 -- id of the compared object shown as a (model, policy, response id)
    response_b  VARCHAR,
    len_a       DOUBLE PRECISION,        -- length of response a (characters of text_a when not given)
    len_b       DOUBLE PRECISION,
    text_a      VARCHAR,
    text_b      VARCHAR,
    category    VARCHAR,                 -- the prompt's category
    project_id  VARCHAR NOT NULL         -- a project with task_type = 'preference'
)
;
CREATE TABLE IF NOT EXISTS preference_judgments (
    pair_id       VARCHAR NOT NULL,
    annotator_id  VARCHAR NOT NULL,      -- human or model judge
    choice        VARCHAR NOT NULL,      -- a | b | tie
    dimension     VARCHAR NOT NULL DEFAULT 'overall',  -- helpfulness, safety, ...
    shown_first   VARCHAR,               -- a | b: the response shown first / on the left
    created_at    TIMESTAMP,
    strength      INTEGER,               -- graded verdict: negative favours a, positive b, 0 = tie
    duration_s    DOUBLE PRECISION,
    rationale     VARCHAR,
    batch_id      VARCHAR                -- the delivery batch (batches.batch_id of the project), optional
)
;
-- Gold pairs: the expert-adjudicated verdict on a pair on one dimension (the classification gold_labels' twin).
CREATE TABLE IF NOT EXISTS preference_gold (
    pair_id     VARCHAR NOT NULL,
    choice      VARCHAR NOT NULL,        -- a | b | tie
    dimension   VARCHAR NOT NULL DEFAULT 'overall',
    source      VARCHAR,                 -- who adjudicated (expert panel, ...)
    created_at  TIMESTAMP,
    PRIMARY KEY (pair_id, dimension)
)
