-- Append one load to the ingest log (analytics.io.history.append_load, inside labelqa load's transaction).
INSERT INTO ingest_log (load_id, loaded_at, loaded_by, record, digest) VALUES (:load_id, :loaded_at, :loaded_by, :record, :digest)
