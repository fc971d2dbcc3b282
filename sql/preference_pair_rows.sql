-- The pairs of one preference project with their texts and lengths (the clean-set export, near-identical pairs).
SELECT p.pair_id, p.prompt_id, p.prompt, p.response_a, p.response_b, p.text_a, p.text_b, p.category,
       COALESCE(p.len_a, CAST(LENGTH(p.text_a) AS DOUBLE PRECISION)) AS len_a,
       COALESCE(p.len_b, CAST(LENGTH(p.text_b) AS DOUBLE PRECISION)) AS len_b
FROM preference_pairs p
WHERE p.project_id = :project_id
ORDER BY p.pair_id
