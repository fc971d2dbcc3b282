"""Issue 13 "done when": a Label Studio export with boxes (rectanglelabels), one with spans (labels) and one
multi-choice (choices) load and show their Agreement, Stratified accuracy and Annotators pages (the kinds' views,
ui/region_views.py): a chart each, no exception, and the figures drawn equal the kinds' analytics (the file CLI's
JSON where it has the figure: per-label F1 of box_accuracy_from_db / span_accuracy_from_db, the pairs of
box_agreement / span_agreement, MASI alpha of multilabel_agreement_json)."""
from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from analytics.db import make_engine
from analytics.filters import Filters
from analytics.io.ingest import load_files
from analytics.kinds import region_pages as rp
from dbutil import open_dashboard_page, write_table

WHO = (7, 8, 9)  # Label Studio user ids; 9 draws small boxes, merges spans and drops labels
DAY = pd.Timestamp("2026-06-01 10:00")  # a Monday: three weeks of tasks


def _when(k: int) -> str:
    return (DAY + pd.Timedelta(days=k % 21)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _boxes_export(rng) -> list[dict]:
    def box(x, y, w, h, lab):
        return {"type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": 400,
                "original_height": 200, "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0,
                                                  "rectanglelabels": [lab]}}
    tasks = []
    for k in range(30):
        gold = [(float(rng.uniform(2, 60)), float(rng.uniform(2, 50)), float(rng.uniform(10, 30)),
                 float(rng.uniform(10, 40)), str(rng.choice(["car", "person", "bicycle"]))) for _ in range(3)]
        anns = []
        for who in WHO:
            res = []
            for x, y, w, h, lab in gold:
                if who == 9 and rng.random() < 0.25:
                    continue  # missed
                s = 0.8 if who == 9 else 1.0
                res.append(box(x + w * (1 - s) / 2 + float(rng.normal(0, 0.3)), y + h * (1 - s) / 2, w * s, h * s, lab))
            anns.append({"id": k * 10 + who, "completed_by": who, "created_at": _when(k), "result": res})
        anns.append({"id": k * 10 + 1, "completed_by": 1, "ground_truth": True, "created_at": _when(k),
                     "result": [box(*g) for g in gold]})
        tasks.append({"id": 1000 + k, "data": {"image": f"img{k}.jpg"}, "annotations": anns})
    return tasks


def _spans_export(rng) -> list[dict]:
    words = [("Alice", "PER"), ("Smith", "PER"), ("met", None), ("Bob", "PER"), ("in", None), ("New", "LOC"),
             ("York", "LOC"), ("and", None), ("Paris", "LOC"), ("today", None)]
    tasks = []
    for k in range(30):
        order = rng.permutation(len(words))[:7]
        toks = [words[i] for i in sorted(order)]
        text, ents, pos = "", [], 0
        for w, lab in toks:
            text += ("" if not text else " ") + w
            start = len(text) - len(w)
            if lab and ents and ents[-1][2] == lab and ents[-1][1] == start - 1:
                ents[-1] = (ents[-1][0], len(text), lab)  # adjacent words of one label: one entity
            elif lab:
                ents.append((start, len(text), lab))

        def span(s, e, lab):
            return {"type": "labels", "from_name": "label", "to_name": "text",
                    "value": {"start": s, "end": e, "labels": [lab], "text": text[s:e]}}
        anns = []
        for who in WHO:
            res = []
            for s, e, lab in ents:
                if who == 9 and rng.random() < 0.35:
                    e = max(s + 1, e - 1)  # a boundary error
                if who == 8 and rng.random() < 0.1:
                    continue
                res.append(span(s, e, lab))
            anns.append({"id": k * 10 + who, "completed_by": who, "created_at": _when(k), "result": res})
        anns.append({"id": k * 10 + 1, "completed_by": 1, "ground_truth": True, "created_at": _when(k),
                     "result": [span(*g) for g in ents]})
        tasks.append({"id": 2000 + k, "data": {"text": text}, "annotations": anns})
    return tasks


def _choices_export(rng) -> list[dict]:
    labels = ["news", "sport", "politics", "culture"]
    tasks = []
    for k in range(40):
        gold = sorted(set(rng.choice(labels, size=int(rng.integers(1, 3)), replace=False)))
        anns = []
        for who in WHO:
            got = [lab for lab in gold if not (who == 9 and rng.random() < 0.4)]
            if rng.random() < 0.15:
                got = sorted(set(got) | {str(rng.choice(labels))})
            anns.append({"id": k * 10 + who, "completed_by": who, "created_at": _when(k),
                         "result": [{"type": "choices", "value": {"choices": got}}] if got else []})
        anns.append({"id": k * 10 + 1, "completed_by": 1, "ground_truth": True, "created_at": _when(k),
                     "result": [{"type": "choices", "value": {"choices": gold}}]})
        tasks.append({"id": 3000 + k, "data": {"text": f"article {k}"}, "annotations": anns})
    return tasks


@pytest.fixture(scope="module")
def ls_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ls_regions")
    url = f"duckdb:///{tmp / 'ls.duckdb'}"
    rng = np.random.default_rng(13)
    load_files(url, [write_table(tmp / "projects.csv", pd.DataFrame({
        "project_id": ["ls_det", "ls_ner", "ls_tag"], "name": ["Det", "NER", "Tags"], "client": ["X"] * 3,
        "task_type": ["boxes", "spans", "multilabel"]}))])
    for name, export, project, table in (("boxes", _boxes_export(rng), "ls_det", None),
                                         ("spans", _spans_export(rng), "ls_ner", None),
                                         ("choices", _choices_export(rng), "ls_tag", "multilabel_annotations")):
        p = tmp / f"ls_{name}.json"
        p.write_text(json.dumps(export))
        counts = load_files(url, [p], project=project, **({"table": table} if table else {}))
        assert counts.get("items") == len(export)
    # a boxes project without ground_truth: agreement only; accuracy says why it has nothing to show
    load_files(url, [write_table(tmp / "projects2.csv", pd.DataFrame({
        "project_id": ["ls_nogold"], "name": ["No gold"], "client": ["X"], "task_type": ["boxes"]}))])
    export = _boxes_export(np.random.default_rng(14))
    for t in export:
        t["id"] += 5000
        t["annotations"] = [dict(a, id=a["id"] + 50000) for a in t["annotations"] if not a.get("ground_truth")]
    (tmp / "ls_nogold.json").write_text(json.dumps(export))
    assert "gold_boxes" not in load_files(url, [tmp / "ls_nogold.json"], project="ls_nogold")
    return url


def _arr(v) -> list:
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        if isinstance(shape, str):
            shape = [int(s) for s in shape.split(",")]
        return a.reshape(shape).tolist() if shape else a.tolist()
    return list(v)


def _title(spec: dict) -> str:
    t = spec["layout"].get("title", {})
    return t.get("text", "") if isinstance(t, dict) else str(t)


def _plot(at, starts: str) -> dict:
    plots = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    hit = [p for p in plots if _title(p).startswith(starts)]
    assert hit, f"no chart titled {starts!r}; charts: {[_title(p) for p in plots]}"
    return hit[0]


def _heat(spec: dict) -> dict[tuple[str, str], float]:
    tr = next(t for t in spec["data"] if t.get("type") == "heatmap")
    z = _arr(tr["z"])
    z = [_arr(row) for row in z] if z and not isinstance(z[0], (int, float)) else z
    return {(str(y), str(x)): z[i][j] for i, y in enumerate(_arr(tr["y"])) for j, x in enumerate(_arr(tr["x"]))}


def _forest(spec: dict) -> dict[str, float]:
    tr = next(t for t in spec["data"] if t.get("x") is not None and t.get("error_x"))
    return dict(zip(map(str, _arr(tr["y"])), _arr(tr["x"])))


KINDS = {"boxes": "ls_det", "spans": "ls_ner", "multilabel": "ls_tag"}


@pytest.mark.parametrize("kind", list(KINDS))
def test_label_studio_region_project_agreement_page(ls_db, kind, monkeypatch):
    project = KINDS[kind]
    eng = make_engine(ls_db, read_only=True)
    fr = rp.scope_frames(eng, kind, Filters(project))
    at = open_dashboard_page(ls_db, project, "agreement", monkeypatch)
    heads = [h.value for h in at.subheader]
    assert "Agreement per label over time" in heads and "Annotator pairs" in heads
    # the weekly chart: one line per label (multilabel: the sets' MASI alpha + each label's binary alpha)
    wk = rp.weekly_agreement(kind, fr["regions"])
    spec = _plot(at, "Alpha (MASI" if kind == "multilabel" else "Mean pairwise F1 per week")
    every = "MASI alpha of the sets" if kind == "multilabel" else "all labels"
    line = next(t for t in spec["data"] if t.get("name") == every and t.get("mode", "").startswith("lines"))
    want = wk[wk["label"] == ""].sort_values("week")
    assert len(want) == 3 and _arr(line["y"]) == pytest.approx(want["mean"].tolist())
    if kind == "boxes":  # the weekly table carries the matched boxes' mean IoU with its interval and n
        from analytics.kinds.boxes.agreement import box_agreement

        tab = next(d.value for d in at.dataframe if "mean IoU of matched boxes" in d.value.columns)
        first = want.iloc[0]
        part = fr["regions"][pd.to_datetime(fr["regions"]["week"]) == pd.Timestamp(first["week"])]
        o = box_agreement(part, n_boot=0)["overall"]
        row = tab[(tab["week"] == pd.Timestamp(first["week"]).strftime("%Y-%m-%d")) & (tab["label"] == "all labels")]
        assert row["mean IoU of matched boxes"].iloc[0].startswith(f"{o['mean_iou']:.3f} (95% CI")
        assert f"n={o['n_matched']:,})" in row["mean IoU of matched boxes"].iloc[0]
    # the pair heatmap: every pair of the three annotators, equal to the kind's own pairwise figures
    heat = _heat(_plot(at, "MASI alpha for every annotator pair" if kind == "multilabel"
                       else "pairwise F1 for every annotator pair"))
    if kind == "multilabel":
        from analytics.kinds.multilabel.agreement import multilabel_agreement_json

        sets = fr["regions"]
        for a, b in (("7", "8"), ("7", "9"), ("8", "9")):
            ref = multilabel_agreement_json(sets[sets["annotator_id"].isin((a, b))], n_boot=0)["overall"]["masi_alpha"]
            assert heat[(a, b)] == pytest.approx(ref) and heat[(b, a)] == pytest.approx(ref)
        assert heat[("7", "8")] > heat[("7", "9")]
    else:
        if kind == "boxes":
            from analytics.kinds.boxes.agreement import box_agreement as agree
        else:
            from analytics.kinds.spans.agreement import span_agreement as agree
        pairs = agree(fr["regions"], n_boot=0)["pairs"]
        assert len(pairs) == 3
        for r in pairs.itertuples(index=False):
            assert heat[(str(r.annotator_a), str(r.annotator_b))] == pytest.approx(r.f1)
        assert heat[("7", "8")] > heat[("7", "9")]  # annotator 9 draws small boxes / shifts span ends
    # the pair table: the same figure with its interval and shared items
    tab = next(d.value for d in at.dataframe if "shared items" in d.value.columns)
    assert len(tab) == 3 and tab["shared items"].min() >= 30 and tab.iloc[:, 2].str.contains("95% CI").all()
    eng.dispose()


@pytest.mark.parametrize("kind", list(KINDS))
def test_label_studio_region_project_accuracy_page(ls_db, kind, monkeypatch):
    from analytics.kinds.boxes import db as bdb
    from analytics.kinds.multilabel import db as mdb
    from analytics.kinds.spans import db as sdb

    project = KINDS[kind]
    eng = make_engine(ls_db, read_only=True)
    at = open_dashboard_page(ls_db, project, "accuracy", monkeypatch)
    said = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "Reference: gold (" in said
    if kind == "multilabel":
        x = _forest(_plot(at, "Precision and recall per label vs gold sets"))
        per = mdb.multilabel_accuracy_from_db(eng, project)["per_label"]
        for lab, v in per.items():
            assert x[f"{lab} · precision"] == pytest.approx(100 * v["precision"])
            assert x[f"{lab} · recall"] == pytest.approx(100 * v["recall"])
        assert any("Hamming accuracy" in d.value.columns for d in at.dataframe)
        eng.dispose()
        return
    x = _forest(_plot(at, "F1 per class vs reference"))
    per = (bdb.box_accuracy_from_db if kind == "boxes" else sdb.span_accuracy_from_db)(eng, project)["per_label"]
    assert set(x) == set(per)
    for lab, v in per.items():
        assert x[lab] == pytest.approx(100 * v["f1"])
    miss = next(d.value for d in at.dataframe if "miss rate" in d.value.columns)
    assert len(miss) and miss["miss rate"].str.contains("95% CI").all()
    if kind == "boxes":  # annotator 9's boxes are 20% smaller on each side: area ratio 0.64
        bias = _forest(_plot(at, "Box area vs reference"))
        lb = bdb.box_accuracy_from_db(eng, project)["localisation_bias"]
        for who, v in lb.items():
            assert bias[who] == pytest.approx(100 * (np.exp(v["log_area_ratio"]) - 1))
        assert bias["9"] == pytest.approx(-36, abs=3) and abs(bias["7"]) < 3
        teams = miss[miss.columns[0]]
        assert len(teams) >= 1
    eng.dispose()


@pytest.mark.parametrize("kind", ["boxes", "spans"])
def test_label_studio_region_annotator_drill_down(ls_db, kind, monkeypatch):
    from analytics.kinds.boxes.quality import worst_items as box_worst
    from analytics.kinds.spans.quality import worst_items as span_worst

    project = KINDS[kind]
    eng = make_engine(ls_db, read_only=True)
    fr = rp.scope_frames(eng, kind, Filters(project))
    at = open_dashboard_page(ls_db, project, "annotators", monkeypatch)
    tab = next(d.value for d in at.dataframe if "F1" in d.value.columns)
    assert tab["annotator"].iloc[0] == "9"  # worst first
    pa = rp.per_annotator(kind, fr["regions"], fr["reference"], fr["texts"]).set_index("annotator_id")
    assert tab.set_index("annotator").loc["9", "F1"].startswith(f"{pa.loc['9', 'f1']:.3f} (95% CI")
    at.selectbox(key="p_annotator").set_value("9").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.query_params.get("annotator") in ("9", ["9"])
    worst = (box_worst if kind == "boxes" else span_worst)(fr["regions"], fr["reference"], "9")
    assert len(worst) == 3
    if kind == "boxes":
        canv = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
        canv = [p for p in canv if "gold dashed" in _title(p)]
        assert len(canv) == 3 and all(p["layout"]["xaxis"]["range"] == [0, 100] for p in canv)  # percent units
    else:
        blocks = [m.value for m in at.markdown if "lqa-span-text" in m.value]
        assert len(blocks) == 3 and all("<mark>" in b and "<u " in b for b in blocks)
    eng.dispose()


def test_region_project_without_gold_says_why(ls_db, monkeypatch):
    at = open_dashboard_page(ls_db, "ls_nogold", "accuracy", monkeypatch)
    said = " ".join(str(m.value) for m in at.info).replace("\\", "")
    assert "No accuracy against a reference" in said and "No item of this scope has gold" in said and "gold_boxes" in said
    assert not at.get("plotly_chart")
    at = open_dashboard_page(ls_db, "ls_nogold", "annotators", monkeypatch)
    assert "No figures against a reference" in " ".join(str(m.value) for m in at.info)
    at = open_dashboard_page(ls_db, "ls_nogold", "agreement", monkeypatch)  # agreement needs no gold
    assert len(at.get("plotly_chart")) == 2
