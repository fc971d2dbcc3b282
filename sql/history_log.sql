-- Every ingest_log entry in load order: load_id, loaded_at, loaded_by, record (canonical JSON), digest.
SELECT load_id, loaded_at, loaded_by, record, digest FROM ingest_log ORDER BY load_id
