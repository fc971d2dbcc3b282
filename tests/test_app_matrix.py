"""Every page works for every subset of the optional tables and columns (issue 10 item 1).

One small project with everything (gold, reviews, model pre-labels, model runs with metrics and predictions,
item attributes, several annotators and classes), then one variant per missing piece, and a minimal one with
none of them. Every page the kinds declare (ui.common.PAGES) is opened on every variant in AppTest: no exception
may show, each page draws its title, and where a piece is missing the page says so in words (an info, caption or
warning) rather than failing or going blank.
"""
from __future__ import annotations

import re

import gc
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dbutil import load_tables

APP = str(Path(__file__).resolve().parent.parent / "app.py")

T0 = pd.Timestamp("2026-09-07 09:00")  # a Monday
LABELS = ["car", "bus", "van"]


def full_tables() -> dict[str, pd.DataFrame]:
    items = [f"m{k:02d}" for k in range(48)]
    truth = {it: LABELS[k % 3] if k % 4 else "car" for k, it in enumerate(items)}
    ann = []
    for k, it in enumerate(items):
        for j, who in enumerate((f"w{k % 4}", f"w{(k + 1) % 4}")):
            wrong = (k + j) % 5 == 0
            label = LABELS[(LABELS.index(truth[it]) + 1) % 3] if wrong else truth[it]
            ann.append({"annotation_id": f"x{k:02d}{j}", "item_id": it, "annotator_id": who, "label": label,
                        "created_at": T0 + pd.Timedelta(days=k // 2, hours=j), "duration_s": 15.0 + k % 7,
                        "schema_version": 1, "batch_id": "mb1" if k < 24 else "mb2", "source": "human",
                        "model_suggestion": truth[it] if k % 6 else "bus", "model_confidence": 0.5 + (k % 5) / 10})
    ann = pd.DataFrame(ann)
    return {
        "projects": pd.DataFrame({"project_id": ["mx"], "name": ["Matrix"], "client": ["Acme"]}),
        "label_classes": pd.DataFrame({"project_id": "mx", "schema_version": 1, "label": LABELS,
                                       "tier": ["standard", "standard", "critical"]}),
        "annotators": pd.DataFrame({"annotator_id": [f"w{i}" for i in range(4)],
                                    "team": ["ta", "ta", "tb", "tb"]}),
        "items": pd.DataFrame({"item_id": items, "project_id": "mx",
                               "split": ["train" if k % 5 else "test" for k in range(48)]}),
        "item_attributes": pd.DataFrame({"item_id": items, "key": "lighting",
                                         "value": ["day" if k % 3 else "night" for k in range(48)]}),
        "batches": pd.DataFrame({"batch_id": ["mb1", "mb2"], "project_id": "mx", "name": ["One", "Two"],
                                 "delivered_at": [T0 + pd.Timedelta(days=13), T0 + pd.Timedelta(days=26)]}),
        "annotations": ann,
        "gold_labels": pd.DataFrame({"item_id": items[::2], "label": [truth[i] for i in items[::2]],
                                     "source": "expert"}),
        "reviews": pd.DataFrame({"review_id": [f"r{k}" for k in range(12)],
                                 "annotation_id": ann["annotation_id"].iloc[::8].tolist(),
                                 "reviewer_id": "lead", "verdict": ["accept", "reject"] * 6,
                                 "corrected_label": [None, "car"] * 6,
                                 "created_at": T0 + pd.Timedelta(days=20)}),
        "model_runs": pd.DataFrame({"run_id": ["mx-r1", "mx-r2"], "project_id": "mx", "model_name": "m",
                                    "model_version": ["1", "2"], "trained_on_batch": ["mb1", "mb2"],
                                    "evaluated_at": [T0 + pd.Timedelta(days=14), T0 + pd.Timedelta(days=27)]}),
        "model_metrics": pd.DataFrame({"run_id": ["mx-r1"] * 3 + ["mx-r2"] * 3, "label": LABELS * 2,
                                       "metric": "f1", "value": [0.7, 0.6, 0.5, 0.8, 0.7, 0.6],
                                       "support": [20, 14, 14] * 2}),
        "predictions": pd.DataFrame({"run_id": "mx-r2", "item_id": items, "predicted_label": [truth[i] for i in items],
                                     "confidence": 0.8}),
    }


def _drop(*names):
    return lambda t: {k: v for k, v in t.items() if k not in names}


def _no_prelabels(t):
    t = dict(t)
    t["annotations"] = t["annotations"].assign(model_suggestion=None, model_confidence=None)
    return t


def _one_annotator(t):
    t = dict(t)
    a = t["annotations"]
    t["annotations"] = a[a["annotator_id"] == "w0"]
    t["reviews"] = t["reviews"][t["reviews"]["annotation_id"].isin(t["annotations"]["annotation_id"])]
    t["annotators"] = t["annotators"][t["annotators"]["annotator_id"] == "w0"]
    return t


def _one_class(t):
    t = dict(t)
    t["label_classes"] = t["label_classes"][t["label_classes"]["label"] == "car"]
    t["annotations"] = t["annotations"].assign(label="car", model_suggestion="car")
    t["gold_labels"] = t["gold_labels"].assign(label="car")
    t["reviews"] = t["reviews"].assign(corrected_label=None, verdict="accept")
    t["model_metrics"] = t["model_metrics"][t["model_metrics"]["label"] == "car"]
    t["predictions"] = t["predictions"].assign(predicted_label="car")
    return t


def _minimal(t):
    t = _no_prelabels(_drop("gold_labels", "reviews", "model_runs", "model_metrics", "predictions",
                            "item_attributes", "annotators", "batches")(t))
    t["annotations"] = t["annotations"].assign(batch_id=None)
    return t


VARIANTS = {
    "everything": lambda t: t,
    "no_gold": _drop("gold_labels"),
    "no_reviews": _drop("reviews"),
    "no_prelabels": _no_prelabels,
    "no_model_runs": _drop("model_runs", "model_metrics", "predictions"),
    "no_attributes": _drop("item_attributes"),
    "no_batches": lambda t: {**_drop("batches")(t), "annotations": t["annotations"].assign(batch_id=None)},
    "one_annotator": _one_annotator,
    "one_class": _one_class,
    "minimal": _minimal,
}


def _pages() -> dict[str, tuple[str, str]]:
    from ui.common import PAGES

    return {key: (path, title) for key, (path, title, _icon, _url) in PAGES.items()}


def _said(at: AppTest) -> str:
    parts = [m.value for m in at.info] + [m.value for m in at.caption] + [m.value for m in at.warning]
    parts += [m.value for m in at.markdown] + [m.value for m in at.error]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_page_works_without_each_optional_piece(variant, tmp_path, monkeypatch):
    tables = {k: v for k, v in VARIANTS[variant](full_tables()).items() if len(v)}
    url = f"duckdb:///{tmp_path / f'{variant}.duckdb'}"
    load_tables(url, tables)
    monkeypatch.setenv("LABELQA_DB_URL", url)
    monkeypatch.delenv("LABELQA_THRESHOLDS", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    problems = []
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["project"] = "mx"
    at.run()
    for key, (path, title) in _pages().items():
        if key != "overview":
            at.switch_page(path)
            at.run()
        if at.exception:
            problems.append(f"{key}: exception {[e.message for e in at.exception][:2]}")
            continue
        if not at.title or not at.title[0].value.startswith(title):  # e.g. "Delivery report: <project>, batch <b>"
            problems.append(f"{key}: title {[t.value for t in at.title]!r}, expected {title!r}")
        said = _said(at)
        if re.search(r"(95% CI|interval) 95% CI", said):  # fmt_ci already says "95% CI"
            problems.append(f"{key}: an interval labelled twice")
        if variant in ("no_gold", "minimal") and key in ("accuracy",) and "gold" not in said.lower():
            problems.append(f"{key}: without gold the page does not say so")
        if variant in ("no_model_runs", "minimal") and key == "label_vs_model" and "model run" not in said.lower():
            problems.append(f"{key}: without model runs the page does not say so")
    st.cache_data.clear()
    st.cache_resource.clear()
    gc.collect()
    assert not problems, "\n".join(problems)
