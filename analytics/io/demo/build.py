"""``build_demo``: create the schema and fill it chunk by chunk through a sink."""
from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from analytics import kinds
from analytics.db import create_indexes, ensure_schema, is_duckdb, make_engine, table_counts
from analytics.io.demo.projects import _params, _PROJECT_SPECS
from analytics.io.demo.extras import write_extras
from analytics.io.demo.scenario import _CHUNK_TABLES, DEFAULT_ANNOTATIONS, ITEMS_PER_CHUNK, MAIN_PROJECT, N_BATCHES
from analytics.io.demo.tables import _Acc, _layout, _project_chunk, _runs, _small_tables
from analytics.io.demo.writer import _DuckSink, _GenericSink, _ids, _PgSink, _table


def build_demo(url: str, annotations: int = DEFAULT_ANNOTATIONS, seed: int = 42,
               progress: Callable[[str], None] = print) -> dict[str, int]:
    """Create the schema at ``url`` and fill every canonical table with the seeded demo scenario.

    ``annotations`` is the exact number of annotation rows (all projects; ~80 % in ``streetscene``). The target
    must be empty (raises ``ValueError`` otherwise). Returns the row count of every canonical table.
    Work is chunked by ``ITEMS_PER_CHUNK`` items, so memory stays bounded at any size.
    """
    annotations = int(annotations)
    if annotations < 100:
        raise ValueError(f"annotations must be at least 100, got {annotations}")
    t0 = time.perf_counter()
    engine = make_engine(url)
    try:
        ensure_schema(engine)
        existing = {t: n for t, n in table_counts(engine).items() if n}
        if existing:
            raise ValueError(f"target database already holds data ({', '.join(f'{t}={n}' for t, n in existing.items())});"
                             " use `labelqa demo --force` to replace it")
        if is_duckdb(url):
            sink: Any = _DuckSink(url)
        elif engine.dialect.name == "postgresql":
            sink = _PgSink(engine)
        else:
            sink = _GenericSink(engine)
        try:
            _generate(sink, annotations, seed, progress)
        except BaseException:
            sink.abort()
            raise
        sink.commit()
        progress("demo: creating indexes")
        create_indexes(engine)
        counts = table_counts(engine)
    finally:
        engine.dispose()
    progress(f"demo: done in {time.perf_counter() - t0:.1f} s: "
             + ", ".join(f"{t}={n:,}" for t, n in counts.items()))
    return counts


def _generate(sink: Any, n_annotations: int, seed: int, progress: Callable[[str], None]) -> None:
    for name, tbl in _small_tables().items():
        sink.write(name, tbl)
    k, week, project = _layout(n_annotations, seed)
    n_items = k.size
    ann_num0 = np.cumsum(k, dtype=np.int64) - k + 1
    seq = np.zeros(n_items, dtype=np.int64)
    for j in range(len(_PROJECT_SPECS)):
        mask = project == j
        seq[mask] = np.arange(1, int(mask.sum()) + 1)
    params = [_params(p) for p in _PROJECT_SPECS]
    accs = [_Acc(np.zeros((N_BATCHES, len(p.classes)), np.int64), np.zeros((N_BATCHES, len(p.classes)), np.int64),
                 [], [], []) for p in _PROJECT_SPECS]
    n_chunks = max(1, math.ceil(n_items / ITEMS_PER_CHUNK))
    progress(f"demo: {n_annotations:,} annotations on {n_items:,} items in {n_chunks} chunk(s), seed {seed}")
    review_num = 1

    def chunk(ci: int) -> dict[str, pa.Table]:
        # Runs in one worker thread, chunks strictly in order: the accumulators and review numbers stay sequential.
        nonlocal review_num
        lo, hi = ci * ITEMS_PER_CHUNK, min(n_items, (ci + 1) * ITEMS_PER_CHUNK)
        rng = np.random.default_rng([seed, 1, ci])
        out: dict[str, list[pa.Table]] = {}
        for j, p in enumerate(_PROJECT_SPECS):
            idx = lo + np.flatnonzero(project[lo:hi] == j)
            if idx.size == 0:
                continue
            tables = _project_chunk(rng, p, params[j], seq[idx], week[idx], k[idx], ann_num0[idx], accs[j])
            rv = tables.pop("reviews")
            nr = len(rv["annotation_id"])
            tables["reviews"] = _table("reviews", {**rv, "review_id": _ids("r-", np.arange(review_num, review_num + nr), 10)})
            review_num += nr
            for name, tbl in tables.items():
                out.setdefault(name, []).append(tbl)
        return {name: pa.concat_tables(out[name]) for name in _CHUNK_TABLES if name in out}

    # Generate chunk i+1 while the database ingests chunk i (numpy, Arrow and both drivers release the GIL).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(chunk, 0)
        for ci in range(n_chunks):
            tables = pending.result()
            if ci + 1 < n_chunks:
                pending = pool.submit(chunk, ci + 1)
            for name, tbl in tables.items():
                sink.write(name, tbl)
            del tables
            if n_chunks > 1:
                progress(f"demo: chunk {ci + 1}/{n_chunks} written "
                         f"(items {min(n_items, (ci + 1) * ITEMS_PER_CHUNK):,}/{n_items:,})")
    progress("demo: model runs, metrics and predictions")
    mrng = np.random.default_rng([seed, 2])
    newest = [_runs(mrng, p, params[j], accs[j], seed, sink.write) for j, p in enumerate(_PROJECT_SPECS)]
    for kind in kinds.all_kinds():  # each kind's own demo project(s), from its own random stream
        if kind.demo:
            progress(f"demo: {kind.name} project")
            kinds.resolve(kind.demo)(sink.write, seed, progress)
    progress("demo: model scores and leakage plants (issue 14, own random streams)")
    main = next(j for j, p in enumerate(_PROJECT_SPECS) if p.project_id == MAIN_PROJECT)
    write_extras(sink.write, _PROJECT_SPECS[main], params[main], accs[main], newest[main], seed)
