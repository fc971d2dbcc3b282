-- Reviewed spans as the reference where an item has no gold (issue 13: reviews adjudicate regions). For each item
-- of the scope (sql/_spans_scope.sql) with no gold_spans row, the annotator whose every span on the item has a
-- review (latest review per span; most spans first, then annotator_id) gives the item's reference: their spans as
-- reviewed (accepted as marked, corrected with the corrected label / offsets where given, rejected dropped). When
-- every one of those spans was rejected, one row with a NULL label says the item holds no entity (as a gold row
-- with a NULL label does). The chosen annotator's spans on every item of the project count, whatever the scope's
-- dates. Columns: item_id, span_start, span_end, label, reviewed_annotator.
WITH
-- @include spans_scope
, cand AS (
    SELECT s.annotation_id, s.item_id, s.annotator_id, s.span_start, s.span_end, s.label
    FROM span_annotations s
    WHERE s.label IS NOT NULL
      AND s.item_id IN (SELECT item_id FROM rs)
      AND s.item_id NOT IN (SELECT g.item_id FROM gold_spans g)
), latest AS (
    SELECT r.annotation_id, r.verdict, r.corrected_label, r.span_start, r.span_end,
           ROW_NUMBER() OVER (PARTITION BY r.annotation_id
                              ORDER BY r.created_at DESC NULLS LAST, r.review_id DESC) AS rn
    FROM span_reviews r
    WHERE r.annotation_id IN (SELECT annotation_id FROM cand)
), reviewed AS (
    SELECT c.item_id, c.annotator_id, l.verdict,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.span_start, c.span_start) ELSE c.span_start END
               AS span_start,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.span_end, c.span_end) ELSE c.span_end END AS span_end,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.corrected_label, c.label) ELSE c.label END AS label
    FROM cand c
    LEFT JOIN latest l ON l.annotation_id = c.annotation_id AND l.rn = 1
), sets AS (
    SELECT item_id, annotator_id, COUNT(*) AS n_spans, COUNT(verdict) AS n_reviewed,
           SUM(CASE WHEN verdict = 'rejected' THEN 0 ELSE 1 END) AS n_kept
    FROM reviewed
    GROUP BY item_id, annotator_id
), chosen AS (
    SELECT item_id, annotator_id, n_kept,
           ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY n_spans DESC, annotator_id) AS k
    FROM sets
    WHERE n_reviewed = n_spans
), ref AS (
    SELECT v.item_id, v.span_start, v.span_end, v.label, v.annotator_id AS reviewed_annotator
    FROM reviewed v
    JOIN chosen c ON c.item_id = v.item_id AND c.annotator_id = v.annotator_id AND c.k = 1
    WHERE v.verdict <> 'rejected'
    UNION ALL
    SELECT c.item_id, CAST(NULL AS INTEGER) AS span_start, CAST(NULL AS INTEGER) AS span_end,
           CAST(NULL AS VARCHAR) AS label, c.annotator_id AS reviewed_annotator
    FROM chosen c
    WHERE c.k = 1 AND c.n_kept = 0
)
SELECT ref.item_id, ref.span_start, ref.span_end, ref.label, ref.reviewed_annotator
FROM ref
ORDER BY ref.item_id, ref.span_start, ref.span_end, ref.label
