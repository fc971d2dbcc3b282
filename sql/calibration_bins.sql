-- Reliability-diagram sufficient statistics of one model run: one row per (confidence bin, reference).
-- A prediction is scored against the item's gold label; where the item has no gold and
-- :reference = 'gold_or_consensus', against the unique majority label of its annotations (>= 2 annotations,
-- no tie at the top). Bin b holds confidences in [b/:bins, (b+1)/:bins); confidence 1 goes to the last bin.
WITH votes AS (
    SELECT a.item_id, a.label, COUNT(*) AS n_votes
    FROM predictions p
    JOIN annotations a ON a.item_id = p.item_id
    LEFT JOIN gold_labels g ON g.item_id = p.item_id
    WHERE p.run_id = :run_id
      AND g.item_id IS NULL
      AND CAST(:reference AS VARCHAR) = 'gold_or_consensus'
    GROUP BY a.item_id, a.label
),
tops AS (
    SELECT item_id, MAX(n_votes) AS top, SUM(n_votes) AS total
    FROM votes
    GROUP BY item_id
),
consensus AS (
    SELECT v.item_id, MIN(v.label) AS label
    FROM votes v
    JOIN tops t ON t.item_id = v.item_id AND v.n_votes = t.top
    WHERE t.total >= 2
    GROUP BY v.item_id
    HAVING COUNT(*) = 1
),
scored AS (
    SELECT LEAST(CAST(FLOOR(GREATEST(p.confidence, 0) * CAST(:bins AS INTEGER)) AS INTEGER),
                 CAST(:bins AS INTEGER) - 1) AS bin,
           CASE WHEN g.label IS NOT NULL THEN 'gold' ELSE 'consensus' END AS reference,
           p.confidence,
           CASE WHEN p.predicted_label = COALESCE(g.label, c.label) THEN 1 ELSE 0 END AS correct
    FROM predictions p
    JOIN items i ON i.item_id = p.item_id
    LEFT JOIN gold_labels g ON g.item_id = p.item_id
    LEFT JOIN consensus c ON c.item_id = p.item_id
    WHERE p.run_id = :run_id
      AND i.project_id = :project_id
      AND p.confidence IS NOT NULL
      AND (g.label IS NOT NULL OR c.label IS NOT NULL)
)
SELECT bin, reference, COUNT(*) AS n, SUM(confidence) AS sum_confidence, SUM(correct) AS correct
FROM scored
GROUP BY bin, reference
ORDER BY bin, reference
