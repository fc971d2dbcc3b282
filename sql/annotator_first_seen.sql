-- Every annotator of a project with their first annotation in it: annotator_id, first_at.
-- The order of first appearance gives the client-facing pseudonyms ("Annotator A" = the first to label in the
-- project), so a pseudonym means the same person in every batch and report of the project.
WITH
-- @include filtered_annotations
SELECT annotator_id, MIN(created_at) AS first_at
FROM fa
GROUP BY annotator_id
