"""Reading Label Studio JSON exports into canonical rows (projects, items, annotators, annotations)."""
from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from analytics.io.ingest.problems import _Problems, _Source
from analytics.io.ingest.readers import _validate_rows, _with_rows


# ---- Label Studio -----------------------------------------------------------------------------------

def _looks_like_labelstudio(mem, src: _Source) -> bool:
    with src.path.open("rb") as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith(b"["):
        return False
    try:
        first = mem.sql("SELECT json_keys(json) FROM read_json_objects($p, format = 'array') LIMIT 1",
                        params={"p": str(src.path)}).fetchall()
    except Exception:  # noqa: BLE001 - unreadable: the tabular reader reports it
        return False
    keys = set(first[0][0] or []) if first else set()
    return "data" in keys and ("annotations" in keys or "id" in keys)


def _choices(result: Any) -> list[str]:
    out: list[str] = []
    for r in result or []:
        if isinstance(r, dict) and isinstance(r.get("value"), dict) and "choices" in r["value"]:
            ch = r["value"]["choices"]
            out.extend(str(c) for c in (ch if isinstance(ch, list) else [ch]))
    return out


def _s(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _read_labelstudio(mem, src: _Source, project: str | None, problems: _Problems) -> dict[str, pa.Table]:
    """Label Studio JSON export -> annotations (explicit) + items, annotators, project (created if new).

    Task ``id`` -> ``item_id``; ``annotations[].id`` -> ``annotation_id``; ``completed_by`` (int, or object
    with ``id``/``email``) -> ``annotator_id`` = the id (``display_name`` = email); ``result[].value.choices``
    (exactly one) -> ``label``; ``created_at``; ``lead_time`` -> ``duration_s``; the task's first prediction
    -> ``model_suggestion``/``model_confidence`` and, with ``parent_prediction``, ``source`` =
    prelabel_accepted / prelabel_edited. Cancelled annotations (``was_cancelled``) are skipped.
    """
    try:
        with src.path.open(encoding="utf-8") as fh:
            tasks = json.load(fh)
    except json.JSONDecodeError as exc:
        problems.add(src, f"not valid JSON: {exc}")
        return {}
    if isinstance(tasks, dict):
        tasks = [tasks]
    n_problems = len(problems.items)
    items = {c: [] for c in ("item_id", "project_id", "source", "created_at")}
    anns = {c: [] for c in ("annotation_id", "item_id", "annotator_id", "label", "created_at", "duration_s",
                            "source", "model_suggestion", "model_confidence")}
    people: dict[str, str | None] = {}
    item_labels: list[str] = []
    ann_labels: list[str] = []
    projects: set[str] = set()
    for ti, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            problems.add(src, "not a task object", where=f"task {ti}", row=ti)
            continue
        tid = task.get("id")
        where_t = f"task {ti} (id {tid})"
        if tid is None:
            problems.add(src, "task has no id", where=f"task {ti}", column="id", row=ti)
            continue
        proj = project if project is not None else _s(task.get("project"))
        if proj is None:
            problems.add(src, "task has no project; pass --project", where=where_t, column="project", row=ti)
            continue
        projects.add(proj)
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        source = next((v for v in data.values() if isinstance(v, str)), None)
        item_id = str(tid)
        items["item_id"].append(item_id)
        items["project_id"].append(proj)
        items["source"].append(source)
        items["created_at"].append(_s(task.get("created_at")))
        item_labels.append(where_t)
        suggestion, confidence = None, None
        for pred in task.get("predictions") or []:
            if isinstance(pred, dict) and _choices(pred.get("result")):
                suggestion, confidence = _choices(pred.get("result"))[0], pred.get("score")
                break
        for ai, ann in enumerate(task.get("annotations") or [], 1):
            where_a = f"{where_t} annotation {ai}"
            row = ti + ai / 1000
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue
            labels = list(dict.fromkeys(_choices(ann.get("result"))))
            if len(labels) != 1:
                problems.add(src, "no choice in result" if not labels else
                             f"{len(labels)} choices {labels}: LabelQA stores one label per annotation",
                             where=where_a, column="result[].value.choices", row=row)
                continue
            who = ann.get("completed_by")
            if isinstance(who, dict):
                person = who.get("id") if who.get("id") is not None else who.get("email")
                email = who.get("email")
            else:
                person, email = who, None
            if person is None:
                problems.add(src, "no annotator (completed_by)", where=where_a, column="completed_by", row=row)
                continue
            person = str(person)
            if email or person not in people:
                people[person] = email or people.get(person)
            ann_id = ann.get("id")
            anns["annotation_id"].append(str(ann_id) if ann_id is not None else f"{item_id}-{ai}")
            anns["item_id"].append(item_id)
            anns["annotator_id"].append(person)
            anns["label"].append(labels[0])
            anns["created_at"].append(_s(ann.get("created_at")))
            anns["duration_s"].append(_s(ann.get("lead_time")))
            prelabel = ann.get("parent_prediction") is not None and suggestion is not None
            anns["source"].append(("prelabel_accepted" if labels[0] == suggestion else "prelabel_edited")
                                  if prelabel else "human")
            anns["model_suggestion"].append(suggestion)
            anns["model_confidence"].append(_s(confidence))
            ann_labels.append(where_a)
    if not tasks:
        problems.add(src, "the export holds no tasks")
        return {}
    if not anns["annotation_id"] and len(problems.items) == n_problems:
        problems.add(src, "the export holds no (non-cancelled) annotations")
        return {}
    src.row_labels = {"items": item_labels, "annotations": ann_labels}
    src.shown_columns = {
        "annotations": {"annotation_id": "annotations[].id", "item_id": "id", "annotator_id": "completed_by",
                        "label": "result[].value.choices", "created_at": "annotations[].created_at",
                        "duration_s": "lead_time", "model_confidence": "predictions[].score"},
        "items": {"item_id": "id", "project_id": "project", "created_at": "created_at"},
    }
    out: dict[str, pa.Table] = {}
    for table, cols in (("items", items), ("annotations", anns)):
        raw = _with_rows(pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()}))
        typed = _validate_rows(mem, src, table, raw, None, problems)
        if typed is not None:
            out[table] = typed
    src.rows = {t: v.num_rows for t, v in out.items()}
    out["implicit:projects"] = pa.table({"project_id": pa.array(sorted(projects), pa.string()),
                                         "name": pa.array(sorted(projects), pa.string()),
                                         "client": pa.array([""] * len(projects), pa.string())})
    out["implicit:annotators"] = pa.table({"annotator_id": pa.array(list(people), pa.string()),
                                           "display_name": pa.array(list(people.values()), pa.string())})
    src.table = "annotations"
    return out
