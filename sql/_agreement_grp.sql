-- The group of an agreement unit as text (the `grp` output column): the inverse of the key encoding in
-- _agreement_units.sql (g_int = 1 marks a NULL team/batch/split). Used as the first item of a SELECT list.
       CASE CAST(:by AS VARCHAR)
           WHEN 'week' THEN CAST(g_date AS VARCHAR)
           WHEN 'schema_version' THEN CAST(g_int AS VARCHAR)
           WHEN 'team' THEN CASE WHEN g_int = 0 THEN g_text END
           WHEN 'batch_id' THEN CASE WHEN g_int = 0 THEN g_text END
           WHEN 'split' THEN CASE WHEN g_int = 0 THEN g_text END
       END AS grp,