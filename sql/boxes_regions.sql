-- Boxes of the scope (project + dashboard filters, sql/_boxes_scope.sql), one row per box, with the image size
-- (pixels; NULL when unknown); a NULL label records an annotator who saw the image and drew nothing. Python
-- (analytics.kinds.boxes.db) matches them (IoU, Hungarian) with the kind's metrics; week (Monday) and team let the
-- analytics group them.
WITH
-- @include boxes_scope
SELECT rs.annotation_id, rs.item_id, rs.annotator_id, rs.label, rs.x, rs.y, rs.width, rs.height, rs.unit,
       im.image_width, im.image_height, rs.week, rs.team
FROM rs
LEFT JOIN (SELECT item_id, MAX(image_width) AS image_width, MAX(image_height) AS image_height
           FROM box_images GROUP BY item_id) im ON im.item_id = rs.item_id
ORDER BY rs.item_id, rs.annotator_id, rs.label, rs.x, rs.y, rs.width, rs.height
