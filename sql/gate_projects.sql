-- Project ids (for "unknown project" messages): project_id.
SELECT project_id FROM projects ORDER BY project_id
