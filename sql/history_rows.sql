-- Stored row fingerprints of one table (:table_name): row_key, row_hash, load_id. A key loaded again after a
-- deletion appears once per load; the newest load wins (analytics.io.history.verify_db).
SELECT row_key, row_hash, load_id FROM ingest_rows WHERE table_name = :table_name ORDER BY row_key, load_id
