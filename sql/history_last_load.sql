-- The newest ingest_log entry (load_id, digest): the link the next load chains to. No row before the first load.
SELECT load_id, digest FROM ingest_log ORDER BY load_id DESC LIMIT 1
