"""``write_snapshot``: the committed small snapshot of the main project (``sample_data/snapshot``)."""
from __future__ import annotations

from pathlib import Path

from analytics.io.demo.build import build_demo


_SNAPSHOT_FILES = {  # file name -> SQL selecting the main project's rows (static text, no user values)
    "annotations.parquet": "SELECT a.* FROM annotations a JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' ORDER BY a.annotation_id",
    "gold.parquet": "SELECT g.* FROM gold_labels g JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' ORDER BY g.item_id",
    "items.parquet": "SELECT * FROM items WHERE project_id = 'streetscene' ORDER BY item_id",
    # the item conditions only: the leakage plants (content_hash, group_id; analytics.io.demo.extras) are not in it
    "item_attributes.parquet": "SELECT t.* FROM item_attributes t JOIN items i USING (item_id) WHERE i.project_id = 'streetscene' AND t.key NOT IN ('content_hash', 'near_dup_key', 'group_id') ORDER BY t.item_id, t.key",
    "reviews.parquet": "SELECT r.* FROM reviews r JOIN annotations a USING (annotation_id) JOIN items i ON i.item_id = a.item_id WHERE i.project_id = 'streetscene' ORDER BY r.review_id",
    "predictions.parquet": "SELECT p.* FROM predictions p JOIN model_runs m USING (run_id) WHERE m.project_id = 'streetscene' ORDER BY p.run_id, p.item_id",
    "label_classes.csv": "SELECT * FROM label_classes WHERE project_id = 'streetscene' ORDER BY schema_version, label",
    "annotators.csv": "SELECT * FROM annotators WHERE team IN ('team_a', 'team_b', 'team_c') ORDER BY annotator_id",
    "projects.csv": "SELECT * FROM projects WHERE project_id = 'streetscene'",
    "batches.csv": "SELECT * FROM batches WHERE project_id = 'streetscene' ORDER BY batch_id",
    "model_runs.csv": "SELECT * FROM model_runs WHERE project_id = 'streetscene' ORDER BY run_id",
    "model_metrics.csv": "SELECT m.* FROM model_metrics m JOIN model_runs r USING (run_id) WHERE r.project_id = 'streetscene' ORDER BY m.run_id, m.label NULLS FIRST, m.metric",
}


SNAPSHOT_ANNOTATIONS = 37_500  # total; ~30k of them in the main project


SNAPSHOT_SEED = 42


def write_snapshot(directory: str | Path, annotations: int = SNAPSHOT_ANNOTATIONS, seed: int = SNAPSHOT_SEED) -> dict[str, int]:
    """Build a small seeded demo and write the main project's tables to ``directory`` (parquet / csv).

    Returns rows per file. The committed copy in ``sample_data/snapshot`` is ``write_snapshot(that_dir)``.
    """
    import tempfile

    import duckdb

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "snapshot.duckdb"
        build_demo(f"duckdb:///{db}", annotations=annotations, seed=seed, progress=lambda _m: None)
        con = duckdb.connect(str(db), read_only=True)
        rows: dict[str, int] = {}
        try:
            for fname, sql in _SNAPSHOT_FILES.items():
                tbl = con.sql(sql).to_arrow_table()
                target = out / fname
                if fname.endswith(".parquet"):
                    import pyarrow.parquet as pq

                    pq.write_table(tbl, target, compression="zstd")
                else:
                    import pyarrow.csv as pcsv

                    pcsv.write_csv(tbl, target)
                rows[fname] = tbl.num_rows
        finally:
            con.close()
    return rows
