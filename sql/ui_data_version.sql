-- The ingest log's state: changes with every labelqa load (one row per load), so the dashboard's shared result
-- cache can be keyed by it (analytics.sources.version.data_version). An empty log gives 0, 0, '' (typed, no NULLs).
SELECT COUNT(*) AS n_loads, COALESCE(MAX(load_id), 0) AS last_load_id, COALESCE(MAX(digest), '') AS last_digest
FROM ingest_log
