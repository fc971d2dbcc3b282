-- Store the staged row fingerprints of one load (analytics.io.history.append_load).
INSERT INTO ingest_rows (load_id, table_name, row_key, row_hash)
SELECT load_id, table_name, row_key, row_hash FROM _lqa_history_rows
