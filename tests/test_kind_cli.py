"""The spans, boxes and multilabel kinds: their declarations (kind.py) and the file CLI
``labelqa agreement FILE --kind ...`` / ``labelqa accuracy FILE --gold GOLD --kind ...`` (issue 13), checked
against the library functions, bratiaa and hand-computed cases."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics import kinds
from analytics.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# ------------------------------------------------------------------------------------------ declarations
def test_region_kinds_are_registered_with_the_frames_columns():
    from analytics.kinds.boxes.frames import BOX_COLUMNS, GOLD_BOX_COLUMNS
    from analytics.kinds.multilabel.agreement import MULTILABEL_COLUMNS
    from analytics.kinds.multilabel.readers import GOLD_SET_COLUMNS
    from analytics.kinds.spans.frames import SPAN_COLUMNS, TEXT_COLUMNS

    names = [k.name for k in kinds.all_kinds()]
    assert {"spans", "boxes", "multilabel"} <= set(names) and names[0] == "classification"
    assert kinds.get("spans").required_columns() == {
        "spans": SPAN_COLUMNS, "texts": TEXT_COLUMNS, "gold_spans": tuple(c for c in SPAN_COLUMNS
                                                                          if c != "annotator_id")}
    assert kinds.get("boxes").required_columns() == {"boxes": BOX_COLUMNS, "gold_boxes": GOLD_BOX_COLUMNS}
    assert kinds.get("multilabel").required_columns() == {"annotations": MULTILABEL_COLUMNS,
                                                          "gold_sets": GOLD_SET_COLUMNS}
    for name in ("spans", "boxes", "multilabel"):
        k = kinds.get(name)
        # database tables since issue 13's "Data and ingest" (tests/test_kinds_db.py checks them); no own command
        assert k.table_columns() and k.schema == f"{name}_schema" and k.commands == {}
        assert callable(k.metric("agreement_json"))


def _write(tmp_path, name: str, rows, columns) -> str:
    path = tmp_path / name
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return str(path)


def _brat_project(tmp_path, seed: int):
    """A random brat project (3 annotators, 6 documents) in tmp_path/brat, as in test_spans_bratiaa."""
    rng = np.random.default_rng(seed)
    root = tmp_path / "brat"
    root.mkdir()
    labels = ["LOC", "ORG", "PER"]
    (root / "annotation.conf").write_text("[entities]\n" + "\n".join(labels) + "\n[relations]\n[events]\n[attributes]\n")
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]
    for d in range(6):
        toks = list(rng.choice(words, 12))
        text = " ".join(toks)
        starts = np.cumsum([0] + [len(t) + 1 for t in toks[:-1]])
        base = [(int(starts[k]), int(starts[k] + len(toks[k]) + (len(toks[k + 1]) + 1 if rng.random() < .3 else 0)),
                 labels[rng.integers(3)]) for k in sorted(rng.choice(11, 4, replace=False))]
        for a in ("ann1", "ann2", "ann3"):
            spans = [(s, e + (1 if rng.random() < .15 else 0) if e < len(text) else e,
                      labels[rng.integers(3)] if rng.random() < .15 else lab) for s, e, lab in base
                     if rng.random() > .1]
            folder = root / a
            folder.mkdir(exist_ok=True)
            (folder / f"doc{d}.txt").write_text(text)
            (folder / f"doc{d}.ann").write_text("".join(f"T{k + 1}\t{lab} {s} {e}\t{text[s:e]}\n"
                                                        for k, (s, e, lab) in enumerate(spans)))
    return root


# ------------------------------------------------------------------------------------------ spans
@pytest.mark.parametrize("unit", ["instance", "token"])
def test_spans_cli_json_equals_library_and_bratiaa(tmp_path, capsys, unit):
    bratiaa = pytest.importorskip("bratiaa")
    from analytics.kinds.spans import span_agreement_json
    from analytics.kinds.spans.readers import read_brat

    root = _brat_project(tmp_path, seed=3)
    spans, texts = read_brat(root)
    spans_csv, texts_csv = tmp_path / "spans.csv", tmp_path / "texts.csv"
    spans.to_csv(spans_csv, index=False)
    texts.to_csv(texts_csv, index=False)
    code, out, err = run(capsys, "agreement", str(spans_csv), "--kind", "spans", "--texts", str(texts_csv),
                         "--unit", unit, "--n-boot", "200", "--json")
    assert code == 0, err
    got = json.loads(out)
    lib = span_agreement_json(spans, unit=unit, texts=texts, n_boot=200, seed=0)
    assert got == json.loads(json.dumps(lib))  # the CLI is the library function on the file's frame
    assert got["kind"] == "spans" and got["unit"] == unit and got["match"] == "exact"
    ref = bratiaa.compute_f1_agreement(str(root), token_func=bratiaa.utils.tokenize if unit == "token" else None)
    mean, sd = ref.mean_sd_total()
    o = got["overall"]
    assert o["mean"] == pytest.approx(mean, abs=1e-12) and o["sd"] == pytest.approx(sd, abs=1e-12)
    assert o["n_pairs"] == 3 and o["n_items"] == 6 and o["ci_low"] <= o["mean"] <= o["ci_high"]
    for lab, m, s in zip(ref.labels, *ref.mean_sd_per_label()):
        if np.isfinite(m):
            assert got["per_label"][lab]["mean"] == pytest.approx(m, abs=1e-12)
            assert got["per_label"][lab]["sd"] == pytest.approx(s, abs=1e-12)
    for doc, m, s in zip(ref.documents, *ref.mean_sd_per_document()):
        assert got["per_item"][doc]["mean"] == pytest.approx(m, abs=1e-12)
        assert got["per_item"][doc]["sd"] == pytest.approx(s, abs=1e-12)


def test_spans_cli_merged_entities_token_vs_instance_and_overlap(tmp_path, capsys):
    # a: "Acme Corp" ORG, "Berlin" ORG; m merges them into one ORG span
    spans = _write(tmp_path, "s.csv", [("d", "a", 0, 9, "ORG"), ("d", "a", 10, 16, "ORG"), ("d", "m", 0, 16, "ORG")],
                   ["item_id", "annotator_id", "start", "end", "label"])
    texts = _write(tmp_path, "t.csv", [("d", "Acme Corp Berlin office")], ["item_id", "text"])
    res = {}
    for unit in ("instance", "token"):
        code, out, _ = run(capsys, "agreement", spans, "--kind", "spans", "--texts", texts, "--unit", unit,
                           "--n-boot", "0", "--json")
        res[unit] = json.loads(out)["overall"]["mean"]
    assert res == {"instance": 0.0, "token": 1.0}  # 2*0/(2+1); tokens Acme, Corp, Berlin on both: 2*3/6
    code, out, _ = run(capsys, "agreement", spans, "--kind", "spans", "--match", "overlap", "--n-boot", "0", "--json")
    assert json.loads(out)["overall"]["mean"] == pytest.approx(2 / 3)  # m's span matches one of a's two


def test_spans_accuracy_cli_by_hand(tmp_path, capsys):
    gold = _write(tmp_path, "g.csv", [("d", 0, 9, "ORG"), ("d", 10, 16, "LOC"), ("d", 20, 25, "PER")],
                  ["item_id", "start", "end", "label"])
    spans = _write(tmp_path, "s.csv", [("d", "a", 0, 9, "ORG"), ("d", "a", 10, 15, "PER"), ("d", "a", 30, 33, "X"),
                                       ("d", "m", 0, 16, "ORG"), ("d", "m", 20, 25, "PER")],
                   ["item_id", "annotator_id", "start", "end", "label"])
    code, out, err = run(capsys, "accuracy", spans, "--gold", gold, "--kind", "spans", "--json")
    assert code == 0, err
    r = json.loads(out)
    # exact matches: a ORG 0-9, m PER 20-25 -> 2 of 5 annotated spans; gold seen twice (a, m): 2 of 6 found
    o = r["overall"]
    assert (o["precision"], o["recall"], o["n_annotated"], o["n_gold"]) == (pytest.approx(2 / 5), pytest.approx(2 / 6), 5, 6)
    assert o["f1"] == pytest.approx(4 / 11)
    from analytics.metrics.results import wilson_interval
    lo, hi = wilson_interval(np.array([2.0]), np.array([5.0]))
    assert (o["precision_ci_low"], o["precision_ci_high"]) == (pytest.approx(lo[0]), pytest.approx(hi[0]))
    assert r["per_label"]["PER"]["precision"] == pytest.approx(1 / 2) and r["per_label"]["PER"]["recall"] == 0.5
    assert r["per_label"]["LOC"]["n_gold"] == 2 and r["per_label"]["LOC"]["recall"] == 0
    assert r["per_annotator"]["a"]["correct"] == 1 and r["per_annotator"]["a"]["label"] == 1
    assert r["per_annotator"]["m"]["boundary"] == 1 and r["per_annotator"]["m"]["miss_rate"] == 0


# ------------------------------------------------------------------------------------------ boxes
BOXES = [("img1", "A", "car", 0, 0, 10, 10), ("img1", "B", "car", 0, 0, 10, 8),      # IoU 80/100 = 0.8
         ("img1", "A", "person", 20, 20, 5, 5), ("img1", "B", "person", 40, 40, 5, 5),  # IoU 0
         ("img1", "C", "car", 5, 0, 10, 10),                                            # vs A: 50/150 = 1/3
         ("img2", "A", "car", 0, 0, 10, 10), ("img2", "B", None, None, None, None, None)]  # B drew nothing
BOX_COLS = ["item_id", "annotator_id", "label", "x", "y", "width", "height"]


def test_boxes_agreement_cli_hand_made_iou(tmp_path, capsys):
    from analytics.kinds.boxes import box_agreement_json

    path = _write(tmp_path, "b.csv", BOXES, BOX_COLS)
    code, out, err = run(capsys, "agreement", path, "--kind", "boxes", "--n-boot", "0", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r == json.loads(json.dumps(box_agreement_json(pd.read_csv(path), n_boot=0)))
    # IoU >= 0.5: only A-B car on img1 matches. Pairs (items both annotated): A-B over img1+img2: 2*1/(3+2);
    # A-C on img1: A 2 boxes, C 1, no match (IoU 1/3): 0; B-C on img1: B car vs C car IoU 40/140 < 0.5: 0
    f1 = [2 / 5, 0.0, 0.0]
    assert r["overall"]["mean"] == pytest.approx(np.mean(f1)) and r["overall"]["sd"] == pytest.approx(np.std(f1))
    assert r["overall"]["n_pairs"] == 3 and r["overall"]["n_matched"] == 1
    assert r["overall"]["mean_iou"] == pytest.approx(0.8) and r["per_label"]["car"]["mean_iou"] == pytest.approx(0.8)
    # car: A-B 2*1/(2+1); A-C 2*0/(1+1); B-C 0/(1+1)
    assert r["per_label"]["car"]["mean"] == pytest.approx(np.mean([2 / 3, 0, 0]))
    # a lower threshold matches A-C (1/3) too, and B-C (40/140) once 0.25 is the bar
    code, out, _ = run(capsys, "agreement", path, "--kind", "boxes", "--iou", "0.25", "--n-boot", "0", "--json")
    r = json.loads(out)
    assert r["iou_threshold"] == 0.25 and r["overall"]["n_matched"] == 3
    assert r["overall"]["mean_iou"] == pytest.approx((0.8 + 1 / 3 + 40 / 140) / 3)


def test_boxes_accuracy_cli_hand_made(tmp_path, capsys):
    path = _write(tmp_path, "b.csv", [b for b in BOXES if b[1] != "C"], BOX_COLS)
    gold = _write(tmp_path, "g.csv", [("img1", "car", 0, 0, 10, 10), ("img1", "person", 20, 20, 5, 5),
                                      ("img2", "car", 0, 0, 10, 10)], [c for c in BOX_COLS if c != "annotator_id"])
    code, out, err = run(capsys, "accuracy", path, "--gold", gold, "--kind", "boxes", "--json")
    assert code == 0, err
    r = json.loads(out)
    # A matches its 3 boxes, B its car on img1 (IoU 0.8), not its person: 4 of 5; gold seen 3 times each: 4 of 6
    o = r["overall"]
    assert (o["precision"], o["recall"], o["f1"]) == (pytest.approx(0.8), pytest.approx(4 / 6), pytest.approx(8 / 11))
    assert r["per_label"]["person"]["precision"] == 0.5 and r["per_label"]["car"]["recall"] == pytest.approx(3 / 4)
    # B's matched car is 10x8 against 10x10: log area ratio log(0.8), centre 1 unit up = -0.1 gold heights
    lb = r["localisation_bias"]["B"]
    assert lb["n"] == 1 and lb["log_area_ratio"] == pytest.approx(np.log(0.8)) and lb["dy"] == pytest.approx(-0.1)
    assert r["missed"]["person"]["miss_rate"] == 0  # A found it
    assert r["hallucinated"]["person"]["hallucination_rate"] == 0.5  # B's person overlaps nothing


# ------------------------------------------------------------------------------------------ multilabel
def test_multilabel_agreement_cli_equals_nltk_masi_alpha(tmp_path, capsys):
    nltk_agreement = pytest.importorskip("nltk.metrics.agreement")
    from nltk.metrics.distance import masi_distance

    rng = np.random.default_rng(7)
    labels = list("abcd")
    rows = []
    for i in range(25):
        base = set(rng.choice(labels, rng.integers(1, 3), replace=False))
        for a in ("u", "v", "w"):
            s = set(base)
            if rng.random() < .3:
                s = (s ^ {labels[rng.integers(4)]}) or s  # nltk's masi_distance divides by zero on two empty sets
            rows += [(f"i{i}", a, lab) for lab in sorted(s)]
    path = _write(tmp_path, "m.csv", rows, ["item_id", "annotator_id", "label"])
    code, out, err = run(capsys, "agreement", path, "--kind", "multilabel", "--json")
    assert code == 0, err
    r = json.loads(out)
    sets: dict = {}
    for i, a, lab in rows:
        sets.setdefault((a, i), set())
        if lab is not None:
            sets[(a, i)].add(lab)
    task = nltk_agreement.AnnotationTask([(a, i, frozenset(s)) for (a, i), s in sets.items()], distance=masi_distance)
    assert r["kind"] == "multilabel" and r["overall"]["masi_alpha"] == pytest.approx(task.alpha(), abs=1e-12)
    pairs = [(sets[(x, i)], sets[(y, i)]) for i in {k[1] for k in sets} for x, y in (("u", "v"), ("u", "w"), ("v", "w"))]
    assert r["overall"]["exact_set_agreement"] == pytest.approx(np.mean([p == q for p, q in pairs]))
    assert r["overall"]["mean_jaccard"] == pytest.approx(np.mean([len(p & q) / len(p | q) if p | q else 1
                                                                  for p, q in pairs]))
    assert r["overall"]["n_items"] == 25 and r["overall"]["n_pairs"] == 75
    from analytics.kinds.multilabel import multilabel_agreement_json
    assert r == json.loads(json.dumps(multilabel_agreement_json(pd.read_csv(path, dtype=str, keep_default_na=False,
                                                                            na_values=[""]), n_boot=1000, seed=0)))
    assert r["overall"]["masi_alpha_ci_low"] <= r["overall"]["masi_alpha"] <= r["overall"]["masi_alpha_ci_high"]
    code, out, _ = run(capsys, "agreement", path, "--kind", "multilabel")
    line = next(x for x in out.splitlines() if x.startswith("MASI alpha"))
    assert line.split()[2] == f"{r['overall']['masi_alpha']:.3f}" and "small sample (items 25 < 30)" in line


def test_multilabel_accuracy_cli_by_hand(tmp_path, capsys):
    gold = _write(tmp_path, "g.csv", [("1", "a"), ("1", "b"), ("2", "c")], ["item_id", "label"])
    ann = _write(tmp_path, "m.csv", [("1", "x", "a"), ("1", "x", "b"), ("2", "x", "c"), ("1", "y", "a"),
                                     ("2", "y", "a")], ["item_id", "annotator_id", "label"])
    code, out, err = run(capsys, "accuracy", ann, "--gold", gold, "--kind", "multilabel", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["per_annotator"]["x"]["subset_accuracy"] == 1.0 and r["per_annotator"]["y"]["subset_accuracy"] == 0
    # Hamming over 3 labels x 4 sets: x 6 of 6 right, y 3 of 6
    assert r["overall"]["hamming_accuracy"] == pytest.approx(9 / 12) and r["overall"]["n_hamming_accuracy"] == 12
    assert r["overall"]["subset_accuracy"] == pytest.approx(2 / 4)
    assert r["per_label"]["a"]["precision"] == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("rows, argv, message", [
    ([("d", "a", 0, 5, "X"), ("d", "b", 5, 5, "X")], ["--kind", "spans"],
     "spans file {f}: row 2, column 'end': end must be greater than start"),
    ([("d", "a", 0, "five", "X")], ["--kind", "spans"],
     "spans file {f}: row 1, column 'end': offset must be a non-negative integer"),
    ([("d", "a", 0, 5, "X")], ["--kind", "spans", "--unit", "token"], "--unit token needs --texts FILE"),
    ([("d", "a", 0, 5, "X")], ["--kind", "spans", "--iou", "0.3"], "--iou applies to --kind boxes only"),
    ([("d", "a", 0, 5, "X")], ["--kind", "spans", "--by", "week"], "--by applies to --kind classification only"),
    ([("d", "a", 0, 5, "X")], ["--kind", "boxes"], "boxes file {f} is missing column(s) 'x', 'y', 'width', 'height'"),
    ([("d", "a", 0, 5, "X")], ["--metric", "fleiss", "--unit", "token"], "--unit applies to --kind spans only"),
])
def test_kind_errors_are_one_line_exit_2_naming_file_row_column(tmp_path, capsys, rows, argv, message):
    path = _write(tmp_path, "s.csv", rows, ["item_id", "annotator_id", "start", "end", "label"])
    code, out, err = run(capsys, "agreement", path, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith("labelqa agreement: error: ") and message.format(f=path) in err


def test_box_errors_name_file_row_column(tmp_path, capsys):
    path = _write(tmp_path, "b.csv", [("i", "A", "car", 0, 0, 10, 10), ("i", "B", "car", 0, 0, -3, 10)], BOX_COLS)
    code, out, err = run(capsys, "agreement", path, "--kind", "boxes")
    assert code == 2 and err.count("\n") == 1
    assert f"boxes file {path}: row 2, column 'width': box size must be positive" in err
    code, out, err = run(capsys, "agreement", path, "--kind", "boxes", "--iou", "1.5")
    assert code == 2 and "--iou must be in (0, 1]" in err
    code, out, err = run(capsys, "accuracy", path, "--gold", path, "--kind", "boxes", "--by", "label")
    assert code == 2 and "--by applies to --kind classification only" in err


def test_kind_text_output_is_the_shared_table(tmp_path, capsys):
    path = _write(tmp_path, "b.csv", BOXES, BOX_COLS)
    code, out, _ = run(capsys, "agreement", path, "--kind", "boxes", "--n-boot", "0")
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"Box agreement (pairwise F1, IoU >= 0.5) -- {path}"
    assert lines[1].split()[:3] == ["label", "mean", "F1"]
    assert lines[2].split()[:3] == ["(all", "labels)", f"{np.mean([0.4, 0, 0]):.3f}"]
    assert "small sample (items 2 < 30)" in lines[2]


def test_multilabel_bucket_statistics_reproduce_the_point_estimates_and_intervals_cover_them():
    from analytics.kinds.multilabel.agreement import _bucket_stats, _replicates, label_sets, multilabel_agreement_json

    rng = np.random.default_rng(11)
    rows = [(f"i{i}", a, lab) for i in range(80) for a in ("u", "v", "w")[:2 + i % 2]
            for lab in "abc" if rng.random() < .5]
    rows += [(f"i{i}", "u", None) for i in range(80) if not any(r[0] == f"i{i}" and r[1] == "u" for r in rows)]
    df = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    r = multilabel_agreement_json(df, n_boot=300, seed=2)
    units, X, labels = label_sets(df)
    ones = _replicates(_bucket_stats(units, X), np.ones((1, 64)))  # every bucket once = the data itself
    for k in ("masi_alpha", "exact_set_agreement", "mean_jaccard"):
        assert ones[k][0] == pytest.approx(r["overall"][k], abs=1e-12)
        assert r["overall"][f"{k}_ci_low"] <= r["overall"][k] <= r["overall"][f"{k}_ci_high"]
    for k, lab in enumerate(labels):
        assert ones["per_label"][0, k] == pytest.approx(r["per_label"][lab]["alpha"], abs=1e-12)
        assert r["per_label"][lab]["ci_low"] <= r["per_label"][lab]["alpha"] <= r["per_label"][lab]["ci_high"]
    assert multilabel_agreement_json(df, n_boot=300, seed=2) == r  # seeded


# ------------------------------------------------------------------------------------------ the kinds' own shapes
def test_brat_folder_and_label_studio_export_as_file(tmp_path, capsys):
    bratiaa = pytest.importorskip("bratiaa")
    root = _brat_project(tmp_path, seed=4)
    code, out, err = run(capsys, "agreement", str(root), "--kind", "spans", "--unit", "token", "--n-boot", "0",
                         "--json")
    assert code == 0, err  # the brat folder gives the texts too
    assert json.loads(out)["overall"]["mean"] == pytest.approx(
        bratiaa.compute_f1_agreement(str(root), token_func=bratiaa.utils.tokenize).mean_sd_total()[0], abs=1e-12)
    tasks = [{"id": 1, "data": {"text": "Ann went to Rome"}, "annotations": [
        {"completed_by": 3, "result": [{"type": "labels", "value": {"start": 12, "end": 16, "text": "Rome",
                                                                      "labels": ["LOC"]}}]},
        {"completed_by": 5, "result": [{"type": "labels", "value": {"start": 12, "end": 16, "text": "Rome",
                                                                      "labels": ["LOC"]}},
                                       {"type": "labels", "value": {"start": 0, "end": 3, "text": "Ann",
                                                                    "labels": ["PER"]}}]},
        {"completed_by": 4, "ground_truth": True, "result": [
            {"type": "labels", "value": {"start": 0, "end": 3, "text": "Ann", "labels": ["PER"]}},
            {"type": "labels", "value": {"start": 12, "end": 16, "text": "Rome", "labels": ["LOC"]}}]}]}]
    ls = tmp_path / "export.json"
    ls.write_text(json.dumps(tasks))
    code, out, _ = run(capsys, "agreement", str(ls), "--kind", "spans", "--n-boot", "0", "--json")
    assert code == 0 and json.loads(out)["overall"]["mean"] == pytest.approx(2 / 3)  # 2*1/(1+2); gold not a rater
    code, out, _ = run(capsys, "accuracy", str(ls), "--gold", str(ls), "--kind", "spans", "--json")
    o = json.loads(out)["overall"]
    assert code == 0 and (o["precision"], o["recall"]) == (1.0, pytest.approx(3 / 4))  # 3 of 3; 3 of 2+2 gold


def test_coco_and_label_studio_boxes_as_file(tmp_path, capsys):
    coco = {"images": [{"id": 7, "width": 100, "height": 100}], "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "annotator_id": "A"},
                            {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 8], "annotator_id": "B"}]}
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(coco))
    code, out, err = run(capsys, "agreement", str(path), "--kind", "boxes", "--n-boot", "0", "--json")
    r = json.loads(out)
    assert code == 0, err
    assert r["overall"]["mean"] == 1.0 and r["overall"]["mean_iou"] == pytest.approx(0.8)
    gold = tmp_path / "gold_coco.json"
    gold.write_text(json.dumps({**coco, "annotations": [{"id": 9, "image_id": 7, "category_id": 1,
                                                          "bbox": [0, 0, 10, 10]}]}))
    code, out, err = run(capsys, "accuracy", str(path), "--gold", str(gold), "--kind", "boxes", "--json")
    assert code == 0, err
    r = json.loads(out)
    assert r["overall"]["precision"] == 1.0 and r["localisation_bias"]["B"]["log_area_ratio"] == pytest.approx(np.log(.8))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"foo": 1}))
    code, _, err = run(capsys, "agreement", str(bad), "--kind", "boxes")
    assert code == 2 and err.count("\n") == 1 and "not a Label Studio or COCO box export" in err
