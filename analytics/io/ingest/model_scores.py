"""Model scores (``model_scores``): the wide ``prob_<label>`` layout and the per-item sum check (issue 14 sec. 1).

``model_scores(run_id, item_id, label, score)`` holds the class scores of one model run per item, one row per
(run, item, label). Top-k is allowed: a (run, item, label) without a row has score 0, so an item's scores may
sum to less than 1; ``predictions`` stays the top-1 view (loaded separately, not derived).

Two file layouts load into it (CSV, Parquet or JSON Lines, like every table):

- long: ``run_id, item_id, label, score`` (the canonical columns);
- wide: ``run_id, item_id`` plus one column ``prob_<label>`` per class. Each row becomes one long row per class
  (zeros kept); an empty cell is refused (write 0). Problems name the file row and the ``prob_<label>`` column.

Checks on top of the table's types (score in [0, 1], keys unique, run and item known, label in the item's
project taxonomy): within one file, the scores of a (run, item) must not sum to more than 1 + ``SUM_TOLERANCE``;
a wide row (a full distribution) must sum to 1 within ``SUM_TOLERANCE``. Every value stays Arrow data: no SQL
is built from file contents.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from analytics.io.ingest.problems import _fmt, _Problems, _Source
from analytics.io.ingest.schema import _EXAMPLES_PER_GROUP

TABLE = "model_scores"
PREFIX = "prob_"
SUM_TOLERANCE = 1e-3

__all__ = ["TABLE", "PREFIX", "SUM_TOLERANCE", "is_wide", "widen", "check_sums"]


def is_wide(columns) -> bool:
    """A file in the wide layout: at least one ``prob_<label>`` column and no ``label`` / ``score`` column."""
    cols = [c.strip() for c in columns]
    return any(c.startswith(PREFIX) and len(c) > len(PREFIX) for c in cols) and not {"label", "score"} & set(cols)


class _WideRows:
    """Row names of the long rows of a wide file: long row ``i`` (1-based) is file row ``(i-1)//K + 1``, column
    ``prob_<label>`` number ``(i-1) % K``. Computed on demand (no list of N x K strings)."""

    def __init__(self, n_rows: int, columns: list[str]):
        self.n, self.columns = n_rows * len(columns), columns

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> str:
        k = len(self.columns)
        return f"row {i // k + 1} ({self.columns[i % k]})"


def widen(raw: pa.Table, src: _Source, problems: _Problems) -> pa.Table | None:
    """The wide table ``raw`` (other columns + ``prob_<label>`` columns) as long rows ``..., label, score``,
    row-major (all classes of file row 1, then row 2, ...); ``src.row_labels`` names each long row by its
    file row and column. None (and a problem) when two columns name the same class."""
    prob = [c for c in raw.column_names if c.strip().startswith(PREFIX) and len(c.strip()) > len(PREFIX)]
    labels = [c.strip()[len(PREFIX):] for c in prob]
    if len(set(labels)) < len(labels):
        dup = next(lab for lab in labels if labels.count(lab) > 1)
        problems.add(src, f"two columns name the class {_fmt(dup)}; keep one", column=PREFIX + dup)
        return None
    n, k = raw.num_rows, len(prob)
    rows = np.repeat(np.arange(n), k)
    cols = {c: raw.column(c).take(pa.array(rows)) for c in raw.column_names if c not in prob}
    same = len({raw.schema.field(c).type for c in prob}) == 1  # e.g. all float64 (Parquet) or all text (CSV)
    stacked = pa.concat_arrays([raw.column(c).combine_chunks() if same else raw.column(c).combine_chunks().cast(pa.string())
                                for c in prob])
    order = (np.arange(n * k) % k) * n + rows  # column-major stack -> row-major long rows
    cols["label"] = pa.array(np.tile(np.asarray(labels, dtype=object), n), pa.string())
    cols["score"] = stacked.take(pa.array(order))
    src.row_labels[TABLE] = _WideRows(n, prob)
    return pa.table(cols)


def check_sums(mem, src: _Source, typed: pa.Table, wide: bool, problems: _Problems) -> bool:
    """Scores of one (run, item) in this file sum to at most 1 + tolerance (wide: to 1). False when not."""
    mem.register("_lqa_scores", typed.select(["run_id", "item_id", "score", "_row"]))
    try:
        low = "OR total < 1 - $tol" if wide else ""
        bad = mem.sql(
            "SELECT run_id, item_id, total, first_row, COUNT(*) OVER () AS n_bad FROM ("
            "SELECT run_id, item_id, SUM(score) AS total, MIN(_row) AS first_row FROM _lqa_scores "
            f"GROUP BY run_id, item_id) s WHERE total > 1 + $tol {low} ORDER BY first_row LIMIT $lim",
            params={"tol": SUM_TOLERANCE, "lim": _EXAMPLES_PER_GROUP}).fetchall()
    finally:
        mem.unregister("_lqa_scores")
    for run_id, item_id, total, first_row, _n in bad:
        how = "more than 1" if total > 1 else "not 1 (a wide row is a full distribution)"
        where = f"row {(first_row - 1) // len(src.row_labels[TABLE].columns) + 1}" if wide else src.where(TABLE, first_row)
        problems.add(src, f"the scores of run {_fmt(run_id)} item {_fmt(item_id)} sum to {total:.6g}, {how} "
                          f"(tolerance {SUM_TOLERANCE:g}; top-k scores may sum to less than 1)",
                     where, "prob_<label>" if wide else "score", first_row)
    if bad and bad[0][4] > len(bad):
        problems.add(src, f"{bad[0][4] - len(bad)} more (run, item) pairs whose scores do not sum correctly",
                     column="score", row=bad[-1][3] + 0.5)
    return not bad
