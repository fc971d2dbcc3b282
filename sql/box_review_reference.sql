-- Reviewed boxes as the reference where an image has no gold (issue 13: reviews adjudicate regions). For each image
-- of the scope (sql/_boxes_scope.sql) with no gold_boxes row, the annotator whose every box on the image has a
-- review (latest review per box; most boxes first, then annotator_id) gives the image's reference: their boxes as
-- reviewed (accepted as drawn, corrected with the corrected label / geometry where given, rejected dropped). When
-- every one of those boxes was rejected, one row with a NULL label says the image holds no object (as a gold row
-- with a NULL label does). The chosen annotator's boxes on every image of the project count, whatever the scope's
-- dates. Columns: item_id, label, x, y, width, height, unit, image_width, image_height, reviewed_annotator.
WITH
-- @include boxes_scope
, cand AS (
    SELECT b.annotation_id, b.item_id, b.annotator_id, b.label, b.x, b.y, b.width, b.height, b.unit
    FROM box_annotations b
    WHERE b.label IS NOT NULL
      AND b.item_id IN (SELECT item_id FROM rs)
      AND b.item_id NOT IN (SELECT g.item_id FROM gold_boxes g)
), latest AS (
    SELECT r.annotation_id, r.verdict, r.corrected_label, r.x, r.y, r.width, r.height,
           ROW_NUMBER() OVER (PARTITION BY r.annotation_id
                              ORDER BY r.created_at DESC NULLS LAST, r.review_id DESC) AS rn
    FROM box_reviews r
    WHERE r.annotation_id IN (SELECT annotation_id FROM cand)
), reviewed AS (
    SELECT c.item_id, c.annotator_id, c.unit, l.verdict,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.corrected_label, c.label) ELSE c.label END AS label,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.x, c.x) ELSE c.x END AS x,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.y, c.y) ELSE c.y END AS y,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.width, c.width) ELSE c.width END AS width,
           CASE WHEN l.verdict = 'corrected' THEN COALESCE(l.height, c.height) ELSE c.height END AS height
    FROM cand c
    LEFT JOIN latest l ON l.annotation_id = c.annotation_id AND l.rn = 1
), sets AS (
    SELECT item_id, annotator_id, MAX(unit) AS unit, COUNT(*) AS n_boxes, COUNT(verdict) AS n_reviewed,
           SUM(CASE WHEN verdict = 'rejected' THEN 0 ELSE 1 END) AS n_kept
    FROM reviewed
    GROUP BY item_id, annotator_id
), chosen AS (
    SELECT item_id, annotator_id, unit, n_kept,
           ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY n_boxes DESC, annotator_id) AS k
    FROM sets
    WHERE n_reviewed = n_boxes
), ref AS (
    SELECT v.item_id, v.label, v.x, v.y, v.width, v.height, v.unit, v.annotator_id AS reviewed_annotator
    FROM reviewed v
    JOIN chosen c ON c.item_id = v.item_id AND c.annotator_id = v.annotator_id AND c.k = 1
    WHERE v.verdict <> 'rejected'
    UNION ALL
    SELECT c.item_id, CAST(NULL AS VARCHAR) AS label, CAST(NULL AS DOUBLE PRECISION) AS x,
           CAST(NULL AS DOUBLE PRECISION) AS y, CAST(NULL AS DOUBLE PRECISION) AS width,
           CAST(NULL AS DOUBLE PRECISION) AS height, c.unit, c.annotator_id AS reviewed_annotator
    FROM chosen c
    WHERE c.k = 1 AND c.n_kept = 0
)
SELECT ref.item_id, ref.label, ref.x, ref.y, ref.width, ref.height, ref.unit, im.image_width, im.image_height,
       ref.reviewed_annotator
FROM ref
LEFT JOIN (SELECT item_id, MAX(image_width) AS image_width, MAX(image_height) AS image_height
           FROM box_images GROUP BY item_id) im ON im.item_id = ref.item_id
ORDER BY ref.item_id, ref.label, ref.x, ref.y, ref.width, ref.height
