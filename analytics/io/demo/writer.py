"""Arrow helpers and the sinks that write generated tables: DuckDB (Arrow), PostgreSQL (``COPY``), any other
URL (``executemany``)."""
from __future__ import annotations

import io
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.io.demo.scenario import WEEK1


_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects": ("project_id", "name", "client", "task_type", "created_at"),
    "label_classes": ("project_id", "schema_version", "label", "description", "tier"),
    "annotators": ("annotator_id", "display_name", "team", "vendor", "started_at"),
    "items": ("item_id", "project_id", "split", "source", "created_at"),
    "item_attributes": ("item_id", "key", "value"),
    "batches": ("batch_id", "project_id", "name", "delivered_at"),
    "annotations": ("annotation_id", "item_id", "annotator_id", "label", "created_at", "duration_s",
                    "schema_version", "batch_id", "source", "model_suggestion", "model_confidence"),
    "gold_labels": ("item_id", "label", "source", "created_at"),
    "reviews": ("review_id", "annotation_id", "reviewer_id", "verdict", "corrected_label", "created_at"),
    "model_runs": ("run_id", "project_id", "model_name", "model_version", "trained_on_batch", "evaluated_at"),
    "model_metrics": ("run_id", "label", "metric", "value", "support"),
    "predictions": ("run_id", "item_id", "predicted_label", "confidence"),
}


_EPOCH = np.datetime64(WEEK1, "s")


def _ids(prefix: str, nums: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``nums`` as an Arrow string array (vectorised in Arrow's C++ kernels)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.asarray(nums, dtype=np.int64)), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _take(names: tuple[str, ...] | list[str], codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings ``names[codes]`` (null where ``mask`` is True)."""
    idx = pa.array(np.asarray(codes, dtype=np.int32), mask=mask)
    return pc.take(pa.array(list(names), pa.string()), idx)


def _ts(seconds: np.ndarray) -> pa.Array:
    """Timestamps at ``seconds`` after WEEK1 00:00."""
    return pa.array(_EPOCH + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]"))


def _const(value: Any, n: int, typ: pa.DataType = pa.string()) -> pa.Array:
    return pa.repeat(pa.scalar(value, typ), n)


def _table(name: str, cols: Mapping[str, Any]) -> pa.Table:
    return pa.table({c: cols[c] for c in _COLUMNS[name]})


def _columns(name: str, tbl: pa.Table) -> tuple[str, ...]:
    """Columns written to ``name``: the demo's fixed order for the classification tables, the Arrow table's own
    columns for a kind's tables (a kind demo builds them in its table's column order)."""
    return _COLUMNS.get(name) or tuple(tbl.column_names)


class _DuckSink:
    def __init__(self, url: str):
        import duckdb
        from sqlalchemy.engine import make_url

        path = make_url(url).database
        if not path or path == ":memory:":
            raise ValueError("build_demo needs a DuckDB file path (duckdb:////abs/file.duckdb), not :memory:")
        self.con = duckdb.connect(path)

    def write(self, name: str, tbl: pa.Table) -> None:
        if tbl.num_rows == 0:
            return
        cols = ", ".join(_columns(name, tbl))
        self.con.register("_labelqa_chunk", tbl)
        try:
            self.con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _labelqa_chunk")
        finally:
            self.con.unregister("_labelqa_chunk")

    def commit(self) -> None:
        self.con.close()

    def abort(self) -> None:
        self.con.close()


class _PgSink:
    """One transaction; each chunk goes through ``COPY ... FROM STDIN (FORMAT csv)``."""

    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.con = self.raw.driver_connection

    def write(self, name: str, tbl: pa.Table) -> None:
        if tbl.num_rows == 0:
            return
        import pyarrow.csv as pcsv

        buf = io.BytesIO()
        pcsv.write_csv(tbl, buf, write_options=pcsv.WriteOptions(include_header=False))
        cols = ", ".join(_columns(name, tbl))
        with self.con.cursor() as cur:
            with cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp:
                cp.write(buf.getvalue())

    def commit(self) -> None:
        self.raw.commit()
        self.raw.close()

    def abort(self) -> None:
        self.raw.rollback()
        self.raw.close()


class _GenericSink:
    """Any other SQLAlchemy dialect: batched ``executemany`` of a bound INSERT (slow but portable)."""

    def __init__(self, engine):
        self.con = engine.connect()
        self.tx = self.con.begin()

    def write(self, name: str, tbl: pa.Table) -> None:
        from sqlalchemy import text

        cols = _columns(name, tbl)
        stmt = text(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})")
        for batch in tbl.to_batches(max_chunksize=20_000):
            self.con.execute(stmt, batch.to_pylist())

    def commit(self) -> None:
        self.tx.commit()
        self.con.close()

    def abort(self) -> None:
        self.tx.rollback()
        self.con.close()
