"""Label Studio's pairwise template (``<Pairwise name="pw" toName="text1,text2"/>``) -> preference pairs, judgments
and gold.

A JSON export (a list of tasks) whose annotation results have ``"type": "pairwise"`` and
``"value": {"selected": "left" | "right"}``. One task = one pair: ``pair_id`` = the task id; the two compared
texts are the task's ``data`` fields ``text1``/``text2`` (the template's names), else ``left``/``right``,
``text_a``/``text_b``, ``response_a``/``response_b``, ``answer1``/``answer2``, else the first two text fields that
are not the prompt; ``prompt`` (or ``question``, ``instruction``), ``category`` and ``model_a``/``model_b``
(-> ``response_a``/``response_b``) when the data have them. One annotation = one judgment: ``left`` -> ``a``,
``right`` -> ``b`` (the template has no tie), judge = ``completed_by``, ``shown_first = a`` (the left item is
shown first), ``dimension`` = the data's ``dimension`` or ``overall``; a ``ground_truth`` annotation is the
pair's gold verdict (``preference_gold``). Cancelled annotations are skipped.

:func:`parse` does the walk (shared by ``labelqa load`` through :func:`read_label_studio` and by the file reader
:func:`read_pairwise_export`); each problem names the task (number and id), the annotation and the field.
"""
from __future__ import annotations

import json
from pathlib import Path

_SIDES = (("text1", "text2"), ("left", "right"), ("text_a", "text_b"), ("response_a", "response_b"),
          ("answer1", "answer2"))
_PROMPT = ("prompt", "question", "instruction")
_PICK = {"left": "a", "right": "b"}

__all__ = ["parse", "read_label_studio", "read_pairwise_export"]


def _texts(data: dict) -> tuple[str | None, str | None, str | None]:
    for a, b in _SIDES:
        if a in data and b in data:
            return a, b, None
    keys = [k for k, v in data.items() if isinstance(v, str) and k not in _PROMPT and k not in
            ("category", "dimension", "model_a", "model_b")]
    if len(keys) >= 2:
        return keys[0], keys[1], None
    return None, None, "the task's data hold fewer than two texts to compare (text1, text2)"


def _selected(result) -> tuple[str | None, bool]:
    """(the ``selected`` value of the pairwise result, whether there is a pairwise result)."""
    for r in result or []:
        if isinstance(r, dict) and (r.get("type") == "pairwise" or
                                    (isinstance(r.get("value"), dict) and "selected" in r["value"])):
            return str((r.get("value") or {}).get("selected")), True
    return None, False


def parse(tasks: list, project: str | None):
    """``(rows, problems)``: rows ``{table: {column: [values]}}`` and labels ``{table: [where]}``; problems
    ``[(task number, where, column, message)]``."""
    cols = {"preference_pairs": {c: [] for c in ("pair_id", "prompt", "response_a", "response_b", "text_a", "text_b",
                                                 "category", "project_id")},
            "preference_judgments": {c: [] for c in ("pair_id", "annotator_id", "choice", "dimension", "shown_first",
                                                     "created_at", "duration_s")},
            "preference_gold": {c: [] for c in ("pair_id", "choice", "dimension", "source", "created_at")}}
    labels = {t: [] for t in cols}
    problems = []
    for ti, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or task.get("id") is None:
            problems.append((ti, f"task {ti}", "id", "not a task object with an id"))
            continue
        tid = str(task["id"])
        where = f"task {ti} (id {tid})"
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        proj = project if project is not None else (None if task.get("project") is None else str(task["project"]))
        if proj is None:
            problems.append((ti, where, "project", "task has no project; pass --project"))
            continue
        ka, kb, why = _texts(data)
        if why:
            problems.append((ti, where, "data", why))
            continue
        prompt = next((data[k] for k in _PROMPT if k in data), None)
        dim = data.get("dimension") or "overall"
        for c, v in zip(cols["preference_pairs"], (tid, prompt, data.get("model_a"), data.get("model_b"), data[ka],
                                                   data[kb], data.get("category"), proj)):
            cols["preference_pairs"][c].append(v)
        labels["preference_pairs"].append(where)
        for ai, ann in enumerate(task.get("annotations") or [], 1):
            if not isinstance(ann, dict) or ann.get("was_cancelled"):
                continue
            where_a = f"{where} annotation {ai}"
            sel, found = _selected(ann.get("result"))
            if not found:
                problems.append((ti, where_a, "result", "no pairwise result (type 'pairwise', value.selected)"))
                continue
            if sel not in _PICK:
                problems.append((ti, where_a, "result[].value.selected",
                                 f"{sel!r} is not left or right (the pairwise template's choices)"))
                continue
            who = ann.get("completed_by")
            who = (who.get("id") if who.get("id") is not None else who.get("email")) if isinstance(who, dict) else who
            if ann.get("ground_truth"):
                for c, v in zip(cols["preference_gold"], (tid, _PICK[sel], dim, "ground_truth", ann.get("created_at"))):
                    cols["preference_gold"][c].append(v)
                labels["preference_gold"].append(where_a)
                continue
            if who is None:
                problems.append((ti, where_a, "completed_by", "no annotator (completed_by)"))
                continue
            for c, v in zip(cols["preference_judgments"], (tid, str(who), _PICK[sel], dim, "a", ann.get("created_at"),
                                                           ann.get("lead_time"))):
                cols["preference_judgments"][c].append(v)
            labels["preference_judgments"].append(where_a)
    return cols, labels, problems


def _looks_pairwise(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    return head.lstrip().startswith(b"[") and b'"pairwise"' in head


def read_label_studio(mem, src, table, project, mapping, problems):
    """``KindRules.file_readers`` entry: a Label Studio pairwise export -> typed preference rows (None: not one)."""
    from analytics.io.ingest.kind_support import label_studio_tasks, typed_tables

    if src.kind != "json" or table not in (None, "preference_pairs", "preference_judgments") \
            or not _looks_pairwise(src.path):
        return None
    tasks = label_studio_tasks(mem, src, problems)
    if tasks is None:
        return None
    src.kind = "Label Studio (pairwise)"
    if not tasks:
        problems.add(src, "the export holds no tasks")
        return {}
    cols, labels, bad = parse(tasks, project)
    for ti, where, column, message in bad:
        problems.add(src, message, where=where, column=column, row=ti)
    if bad:
        return {}
    shown = {"preference_pairs": {"pair_id": "id", "text_a": "data (left text)", "text_b": "data (right text)"},
             "preference_judgments": {"pair_id": "id", "annotator_id": "completed_by",
                                      "choice": "result[].value.selected"},
             "preference_gold": {"pair_id": "id", "choice": "result[].value.selected"}}
    out = typed_tables(mem, src, problems, cols, project, labels, shown)
    if out is None:
        return {}
    src.table = "preference_judgments"
    return out


def read_pairwise_export(path, project: str = "file"):
    """The file path (``KindSpec.readers['label_studio']``): ``(pairs, judgments, gold)`` frames in the declared
    shapes; ``ValueError`` naming the task, annotation and field of the first problem."""
    import pandas as pd

    from analytics.kinds.preference.shapes import check_judgments, check_pairs

    f = Path(path)
    tasks = json.loads(f.read_text(encoding="utf-8"))
    tasks = [tasks] if isinstance(tasks, dict) else tasks
    cols, _labels, bad = parse(tasks, project)
    if bad:
        ti, where, column, message = bad[0]
        raise ValueError(f"{f.name} {where}, field {column!r}: {message} ({len(bad)} problem(s) in all)")
    pairs = check_pairs(pd.DataFrame(cols["preference_pairs"]), what=f"pairs in {f.name}")
    judg = check_judgments(pd.DataFrame(cols["preference_judgments"]), what=f"judgments in {f.name}")
    return pairs, judg, pd.DataFrame(cols["preference_gold"])
