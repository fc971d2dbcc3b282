-- The ingest log's state: changes with every labelqa load (one row per load), so the dashboard's shared result
-- cache can be keyed by it (analytics.sources.version.data_version).
SELECT COUNT(*) AS n_loads, MAX(load_id) AS last_load_id, MAX(digest) AS last_digest
FROM ingest_log
