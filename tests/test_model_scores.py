"""``labelqa load`` of model scores (issue 14 sec. 1): long and wide ``prob_<label>`` layouts, top-k, all-or-nothing
with file / row / column errors."""
import pandas as pd
import pytest
from sqlalchemy import text

from analytics.db import make_engine
from analytics.io.ingest import IngestError, load_files
from dbutil import write_table


@pytest.fixture
def base(tmp_path, tmp_duckdb_url):
    """A project p with classes a, b, c, items i1..i4, a run r1."""
    files = [
        write_table(tmp_path / "projects.csv", pd.DataFrame({"project_id": ["p"], "name": ["P"], "client": ["C"]})),
        write_table(tmp_path / "label_classes.csv", pd.DataFrame({"project_id": "p", "label": ["a", "b", "c"]})),
        write_table(tmp_path / "items.csv", pd.DataFrame({"item_id": [f"i{k}" for k in range(1, 5)], "project_id": "p"})),
        write_table(tmp_path / "model_runs.csv", pd.DataFrame({"run_id": ["r1"], "project_id": ["p"]})),
    ]
    load_files(tmp_duckdb_url, files)
    return tmp_path, tmp_duckdb_url


def _scores(url):
    eng = make_engine(url, read_only=True)
    with eng.connect() as c:
        rows = c.execute(text("SELECT run_id, item_id, label, score FROM model_scores ORDER BY item_id, label")).fetchall()
    eng.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_long_top_k(base, suffix):
    d, url = base
    f = write_table(d / f"model_scores{suffix}", pd.DataFrame({
        "run_id": "r1", "item_id": ["i1", "i1", "i2"], "label": ["a", "b", "c"], "score": [0.7, 0.2, 0.95]}))
    assert load_files(url, [f]) == {"model_scores": 3}
    assert _scores(url) == [("r1", "i1", "a", 0.7), ("r1", "i1", "b", 0.2), ("r1", "i2", "c", 0.95)]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_wide_layout_becomes_long_rows(base, suffix):
    d, url = base
    # the file name says nothing: the prob_<label> columns decide the table
    f = write_table(d / f"scores{suffix}", pd.DataFrame({
        "run_id": "r1", "item_id": ["i1", "i2"], "prob_a": [0.5, 0.0], "prob_b": [0.25, 0.1], "prob_c": [0.25, 0.9]}))
    assert load_files(url, [f]) == {"model_scores": 6}
    assert _scores(url) == [("r1", "i1", "a", 0.5), ("r1", "i1", "b", 0.25), ("r1", "i1", "c", 0.25),
                            ("r1", "i2", "a", 0.0), ("r1", "i2", "b", 0.1), ("r1", "i2", "c", 0.9)]


def _refused(url, files):
    with pytest.raises(IngestError) as e:
        load_files(url, files)
    assert _scores(url) == []  # all or nothing
    return str(e.value)


def test_wide_errors_name_file_row_and_column(base):
    d, url = base
    f = write_table(d / "scores.csv", pd.DataFrame({
        "run_id": "r1", "item_id": ["i1", "i2", "i3"], "prob_a": ["0.5", "x", "0.2"], "prob_b": ["0.5", "0.5", "1.8"]}))
    msg = _refused(url, [f])
    assert "file " + str(f) + " row 2 (prob_a) column score: 'x' is not a number" in msg
    assert "row 3 (prob_b) column score: '1.8' is not in [0, 1]" in msg


def test_wide_row_must_sum_to_one(base):
    d, url = base
    f = write_table(d / "scores.csv", pd.DataFrame({"run_id": "r1", "item_id": ["i1", "i2"],
                                                "prob_a": [0.5, 0.5], "prob_b": [0.5, 0.2], "prob_c": [0.0, 0.0]}))
    msg = _refused(url, [f])
    assert "row 2 column prob_<label>: the scores of run 'r1' item 'i2' sum to 0.7, not 1" in msg


def test_long_sum_over_one_refused_and_good_file_not_loaded(base):
    d, url = base
    good = write_table(d / "model_scores_ok.csv", pd.DataFrame({"run_id": "r1", "item_id": ["i3"], "label": ["a"], "score": [1.0]}))
    bad = write_table(d / "model_scores.csv", pd.DataFrame({
        "run_id": "r1", "item_id": ["i1", "i2", "i1"], "label": ["a", "a", "b"], "score": [0.6, 0.3, 0.6]}))
    msg = _refused(url, [good, bad])
    assert "row 1 column score: the scores of run 'r1' item 'i1' sum to 1.2, more than 1" in msg


def test_database_checks(base):
    d, url = base
    f = write_table(d / "model_scores.csv", pd.DataFrame({
        "run_id": ["r1", "r9", "r1", "r1", "r1"], "item_id": ["i1", "i1", "i9", "i2", "i2"],
        "label": ["a", "a", "a", "bb", "bb"], "score": [0.5, 0.5, 0.5, 0.1, 0.1]}))
    msg = _refused(url, [f])
    assert "row 2 column run_id: unknown model run 'r9'" in msg
    assert "row 3 column item_id: unknown item 'i9'" in msg
    assert "row 5 column run_id, item_id, label: duplicate run_id/item_id/label 'r1', 'i2', 'bb'" in msg
    assert "row 4 column label: 'bb' is not in project p's taxonomy; did you mean 'b'?" in msg


def test_duplicate_class_columns(base):
    d, url = base
    f = write_table(d / "scores.parquet", pd.DataFrame({"run_id": "r1", "item_id": ["i1"], "prob_a": [0.5], " prob_a": [0.5]}))
    assert "two columns name the class 'a'" in _refused(url, [f])


def test_database_built_before_model_scores_still_reads(tmp_duckdb_url, capsys):
    """A database from before the table existed: table_counts and labelqa info count it as 0, labelqa load adds it."""
    from analytics.cli import main
    from analytics.db import ensure_schema, table_counts

    eng = make_engine(tmp_duckdb_url)
    ensure_schema(eng)
    with eng.begin() as c:
        c.execute(text("DROP TABLE model_scores"))
    assert table_counts(eng)["model_scores"] == 0
    eng.dispose()
    assert main(["info", "--db", tmp_duckdb_url]) == 0
    assert "error" not in capsys.readouterr().err
