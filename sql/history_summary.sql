-- The ingest log in one row (analytics.io.history): loads recorded, the newest load's id, time, user and digest
-- (the digest pins the whole chained history; labelqa verify checks the tables against it). No row without loads.
SELECT l.load_id, l.loaded_at, l.loaded_by, l.digest, CAST(c.n_loads AS BIGINT) AS n_loads
FROM ingest_log l
CROSS JOIN (SELECT COUNT(*) AS n_loads FROM ingest_log) c
ORDER BY l.load_id DESC
LIMIT 1
