-- Gold boxes of the images in the scope (sql/_boxes_scope.sql), with the image size; a NULL label: no gold box.
WITH
-- @include boxes_scope
SELECT g.item_id, g.label, g.x, g.y, g.width, g.height, g.unit, im.image_width, im.image_height
FROM gold_boxes g
LEFT JOIN (SELECT item_id, MAX(image_width) AS image_width, MAX(image_height) AS image_height
           FROM box_images GROUP BY item_id) im ON im.item_id = g.item_id
WHERE g.item_id IN (SELECT item_id FROM rs)
ORDER BY g.item_id, g.label, g.x, g.y, g.width, g.height
