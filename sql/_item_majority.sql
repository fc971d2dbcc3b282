-- Shared CTE body: the majority label of each item, ties -> lowest label (ORDER BY votes DESC, label).
-- Needs a CTE item_votes(item_id, label, votes, ...) defined before it: one row per (item, label) with
-- votes = that label's annotations of the item (usually COUNT(*) over fa grouped by item_id, label).
-- Use it with a line `-- @include item_majority` right after item_votes.
-- Columns: item_id, label, votes (one row per item).
-- ROW_NUMBER ... WHERE rk = 1 measured fastest on DuckDB at 10M annotations (vs MAX(votes) per item + join
-- back + MIN(label), and vs MIN over a zero-padded votes||label key); it is portable to PostgreSQL.
, item_majority AS (
    SELECT item_id, label, votes
    FROM (
        SELECT item_id, label, votes,
               ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY votes DESC, label) AS rk
        FROM item_votes
    ) ranked
    WHERE rk = 1
)
