-- Shared CTE body `pj`: judgments of one preference project's pairs, optional filters applied, with the pair's
-- objects, category and lengths (len_a/len_b, else the characters of text_a/text_b) and the group key `grp`
-- chosen by :by ('dimension' | 'annotator' | 'week' | 'category'; anything else, e.g. 'none': one group, NULL).
-- Optional filters (dimension, date_from/date_to, team, batch_id) are NULL when unused; CAST keeps PostgreSQL able to type the parameter.
pj AS (
    SELECT j.pair_id, j.annotator_id, j.choice, j.dimension, j.shown_first, j.created_at, j.batch_id, j.strength,
           p.response_a, p.response_b, p.category,
           COALESCE(p.len_a, CAST(LENGTH(p.text_a) AS DOUBLE PRECISION)) AS len_a,
           COALESCE(p.len_b, CAST(LENGTH(p.text_b) AS DOUBLE PRECISION)) AS len_b,
           CASE CAST(:by AS VARCHAR)
               WHEN 'dimension' THEN j.dimension
               WHEN 'annotator' THEN j.annotator_id
               WHEN 'week' THEN CAST(CAST(date_trunc('week', j.created_at) AS DATE) AS VARCHAR)
               WHEN 'category' THEN p.category
           END AS grp
    FROM preference_judgments j
    JOIN preference_pairs p ON p.pair_id = j.pair_id
    LEFT JOIN annotators an ON an.annotator_id = j.annotator_id
    WHERE p.project_id = :project_id
      AND (CAST(:dimension AS VARCHAR) IS NULL OR j.dimension = CAST(:dimension AS VARCHAR))
      AND (CAST(:date_from AS DATE) IS NULL OR j.created_at >= CAST(:date_from AS DATE))
      AND (CAST(:date_to AS DATE) IS NULL OR j.created_at < CAST(:date_to AS DATE) + 1)
      AND (CAST(:team AS VARCHAR) IS NULL OR an.team = CAST(:team AS VARCHAR))
      AND (CAST(:batch_id AS VARCHAR) IS NULL OR j.batch_id = CAST(:batch_id AS VARCHAR))
)
