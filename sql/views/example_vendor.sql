-- Example: expose a vendor's differently-named tables under LabelQA's canonical names with views,
-- so the dashboard and every sql/*.sql query read them unchanged (portable: DuckDB and PostgreSQL).
--
-- The vendor database has:
--   vendor_projects(dataset, customer)
--   vendor_classes(dataset, class_name, taxonomy_rev, is_critical)
--   vendor_workers(worker_email, full_name, squad)
--   vendor_tasks(task_uid, dataset, split_name, uploaded)
--   vendor_labels(label_uid, task_uid, worker_email, answer, submitted_at, seconds_spent, taxonomy_rev)
--   vendor_truth(task_uid, answer, decided_at)
-- Every canonical table must exist: the ones the vendor has no data for are empty views with the right
-- column names and types. Copy this file, change the FROM clauses and column expressions, run it once:
--   duckdb my.duckdb < sql/views/my_views.sql      or      psql "$URL" -f sql/views/my_views.sql
-- Statements are separated by a line holding only ';' (like sql/schema.sql).

CREATE VIEW projects AS
SELECT CAST(dataset AS VARCHAR)       AS project_id,
       CAST(dataset AS VARCHAR)       AS name,
       CAST(customer AS VARCHAR)      AS client,
       CAST('classification' AS VARCHAR) AS task_type,
       CAST(NULL AS TIMESTAMP)        AS created_at
FROM vendor_projects
;
CREATE VIEW label_classes AS
SELECT CAST(dataset AS VARCHAR)       AS project_id,
       CAST(taxonomy_rev AS INTEGER)  AS schema_version,
       CAST(class_name AS VARCHAR)    AS label,
       CAST(NULL AS VARCHAR)          AS description,
       CAST(CASE WHEN is_critical THEN 'critical' ELSE 'standard' END AS VARCHAR) AS tier
FROM vendor_classes
;
CREATE VIEW annotators AS
SELECT CAST(worker_email AS VARCHAR)  AS annotator_id,
       CAST(full_name AS VARCHAR)     AS display_name,
       CAST(squad AS VARCHAR)         AS team,
       CAST(NULL AS VARCHAR)          AS vendor,
       CAST(NULL AS TIMESTAMP)        AS started_at
FROM vendor_workers
;
CREATE VIEW items AS
SELECT CAST(task_uid AS VARCHAR)      AS item_id,
       CAST(dataset AS VARCHAR)       AS project_id,
       CAST(split_name AS VARCHAR)    AS split,
       CAST(NULL AS VARCHAR)          AS source,
       CAST(uploaded AS TIMESTAMP)    AS created_at
FROM vendor_tasks
;
CREATE VIEW annotations AS
SELECT CAST(label_uid AS VARCHAR)     AS annotation_id,
       CAST(task_uid AS VARCHAR)      AS item_id,
       CAST(worker_email AS VARCHAR)  AS annotator_id,
       CAST(answer AS VARCHAR)        AS label,
       CAST(submitted_at AS TIMESTAMP) AS created_at,
       CAST(seconds_spent AS DOUBLE PRECISION) AS duration_s,
       CAST(COALESCE(taxonomy_rev, 1) AS INTEGER) AS schema_version,
       CAST(NULL AS VARCHAR)          AS batch_id,
       CAST('human' AS VARCHAR)       AS source,
       CAST(NULL AS VARCHAR)          AS model_suggestion,
       CAST(NULL AS DOUBLE PRECISION) AS model_confidence
FROM vendor_labels
;
CREATE VIEW gold_labels AS
SELECT CAST(task_uid AS VARCHAR)      AS item_id,
       CAST(answer AS VARCHAR)        AS label,
       CAST('adjudicated' AS VARCHAR) AS source,
       CAST(decided_at AS TIMESTAMP)  AS created_at
FROM vendor_truth
;
-- No data for these: empty views with the canonical columns.
CREATE VIEW item_attributes AS
SELECT CAST(NULL AS VARCHAR) AS item_id, CAST(NULL AS VARCHAR) AS key, CAST(NULL AS VARCHAR) AS value
FROM vendor_projects WHERE 1 = 0
;
CREATE VIEW batches AS
SELECT CAST(NULL AS VARCHAR) AS batch_id, CAST(NULL AS VARCHAR) AS project_id, CAST(NULL AS VARCHAR) AS name,
       CAST(NULL AS TIMESTAMP) AS delivered_at
FROM vendor_projects WHERE 1 = 0
;
CREATE VIEW reviews AS
SELECT CAST(NULL AS VARCHAR) AS review_id, CAST(NULL AS VARCHAR) AS annotation_id, CAST(NULL AS VARCHAR) AS reviewer_id,
       CAST(NULL AS VARCHAR) AS verdict, CAST(NULL AS VARCHAR) AS corrected_label, CAST(NULL AS TIMESTAMP) AS created_at
FROM vendor_projects WHERE 1 = 0
;
CREATE VIEW model_runs AS
SELECT CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS VARCHAR) AS project_id, CAST(NULL AS VARCHAR) AS model_name,
       CAST(NULL AS VARCHAR) AS model_version, CAST(NULL AS VARCHAR) AS trained_on_batch,
       CAST(NULL AS TIMESTAMP) AS evaluated_at
FROM vendor_projects WHERE 1 = 0
;
CREATE VIEW model_metrics AS
SELECT CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS VARCHAR) AS label, CAST(NULL AS VARCHAR) AS metric,
       CAST(NULL AS DOUBLE PRECISION) AS value, CAST(NULL AS INTEGER) AS support
FROM vendor_projects WHERE 1 = 0
;
CREATE VIEW predictions AS
SELECT CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS VARCHAR) AS item_id, CAST(NULL AS VARCHAR) AS predicted_label,
       CAST(NULL AS DOUBLE PRECISION) AS confidence
FROM vendor_projects WHERE 1 = 0
;
CREATE VIEW model_scores AS
SELECT CAST(NULL AS VARCHAR) AS run_id, CAST(NULL AS VARCHAR) AS item_id, CAST(NULL AS VARCHAR) AS label,
       CAST(NULL AS DOUBLE PRECISION) AS score
FROM vendor_projects WHERE 1 = 0
