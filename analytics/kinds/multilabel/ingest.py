"""How ``labelqa load`` fills the multilabel tables (``KindSpec.validate`` of the kind refers to :data:`RULES`).

Tables (``sql/multilabel_schema.sql``): ``multilabel_annotations`` (one row per chosen label; ``annotation_id``
names one annotator's set on one item; a row with no label = the empty set) and ``gold_label_sets`` (one row per
gold label; no label = the gold set is empty).

Files:

- **CSV / Parquet / JSON Lines** named after the table (``multilabel_annotations.csv``, ``gold_label_sets.parquet``)
  or given ``--table`` (a file of ``item_id, annotator_id, label`` alone reads as classification annotations):
  ``annotation_id, item_id, annotator_id, label`` + optional ``created_at, batch_id``; gold ``item_id, label`` +
  ``source, created_at``.
- **Label Studio JSON** exports with ``choices`` results, given ``--table multilabel_annotations`` (or named after
  the table; a classification export has the same shape): every chosen value -> one row, ``ground_truth: true``
  annotations -> ``gold_label_sets``; items created if new.

Refused (file, row, column named; nothing written): the same label twice in one set, an empty-set row beside
labels of the same set, a label outside the project's label classes (when it declares any; with a suggestion), an
item of a project whose ``task_type`` is not ``multilabel``.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from analytics.io.ingest.kinds import KindRules
from analytics.io.ingest.kind_support import (
    export_tables, export_tasks, first_rows, label_studio_tasks, project_checks, task_annotations, taxonomy_checks,
)

__all__ = ["RULES", "SETS", "GOLD", "row_checks", "load_checks", "read_label_studio"]

SETS, GOLD = "multilabel_annotations", "gold_label_sets"


def row_checks(table: str, typed: pa.Table) -> list[tuple[int, str, str]]:
    """The same label twice in a set, or an empty-set row beside labels of the same set (one file)."""
    if table not in (SETS, GOLD):
        return []
    rows = typed.column("_row").to_numpy()
    key = typed.column("annotation_id" if table == SETS else "item_id").to_pylist()
    label = typed.column("label").to_pylist() if "label" in typed.column_names else [None] * typed.num_rows
    seen: set = set()
    with_labels = {k for k, lab in zip(key, label) if lab is not None}
    dup = np.zeros(len(key), dtype=bool)
    empty_beside = np.zeros(len(key), dtype=bool)
    for i, (k, lab) in enumerate(zip(key, label)):
        if lab is None:
            empty_beside[i] = k in with_labels
        elif (k, lab) in seen:
            dup[i] = True
        seen.add((k, lab))
    what = "annotation" if table == SETS else "gold set of item"
    col = "annotation_id" if table == SETS else "item_id"
    return (first_rows(dup, rows, "label", lambda i: f"{label[i]!r} is twice in {what} {key[i]!r} (a set holds a label once)")
            + first_rows(empty_beside, rows, "label", lambda i: (
                f"a row without label (the empty set) beside labels of {what} {key[i]!r}: drop it")))


def load_checks(con, stage: str, staged: set[str], project: str | None) -> list[tuple[int, int, str, str, str]]:
    out = project_checks(con, stage, staged, project, "multilabel", (SETS, GOLD))
    return out + taxonomy_checks(con, stage, staged, (SETS, GOLD))


def _choices(result) -> list[str]:
    out: list[str] = []
    for r in result or []:
        if isinstance(r, dict) and isinstance(r.get("value"), dict) and "choices" in r["value"]:
            ch = r["value"]["choices"]
            out.extend(str(c) for c in (ch if isinstance(ch, list) else [ch]))
    return list(dict.fromkeys(out))


def read_label_studio(mem, src, table, project, mapping, problems):
    """A Label Studio export with ``choices`` aimed at ``multilabel_annotations`` (``--table`` or file name) ->
    typed ``multilabel_annotations``, ``gold_label_sets`` + items created if new (None otherwise)."""
    from analytics.io.ingest.mapping import _table_from_name

    if src.kind != "json" or (table or _table_from_name(src.name)) not in (SETS, GOLD):
        return None
    tasks = label_studio_tasks(mem, src, problems)
    if tasks is None:
        return None
    src.kind = "Label Studio (multi-choice)"
    cols = {"items": {c: [] for c in ("item_id", "project_id", "source", "created_at")},
            SETS: {c: [] for c in ("annotation_id", "item_id", "annotator_id", "label", "created_at")},
            GOLD: {c: [] for c in ("item_id", "label", "source", "created_at")}}
    labels = {t: [] for t in cols}
    for ti, task, tid, where_t in export_tasks(tasks, project, src, problems, cols, labels):
        for ann, where_a, gold, person, aid in task_annotations(task, ti, tid, where_t, src, problems,
                                                                 all_gold=table == GOLD):
            for lab in _choices(ann.get("result")) or [None]:
                if gold:
                    for c, v in zip(("item_id", "label", "source", "created_at"),
                                    (tid, lab, "ground_truth", ann.get("created_at"))):
                        cols[GOLD][c].append(v)
                    labels[GOLD].append(where_a)
                else:
                    for c, v in zip(("annotation_id", "item_id", "annotator_id", "label", "created_at"),
                                    (aid, tid, person, lab, ann.get("created_at"))):
                        cols[SETS][c].append(v)
                    labels[SETS].append(where_a)
    if not tasks:
        problems.add(src, "the export holds no tasks")
        return {}
    shown = {SETS: {"annotation_id": "annotations[].id", "item_id": "id", "annotator_id": "completed_by",
                    "label": "result[].value.choices"},
             GOLD: {"item_id": "id", "label": "result[].value.choices"}, "items": {"item_id": "id"}}
    return export_tables(mem, src, problems, cols, project, labels, shown, SETS)


RULES = KindRules(
    required={SETS: ("annotation_id", "item_id", "annotator_id"), GOLD: ("item_id",)},
    references=((SETS, "item_id", "items", "item_id", "item"), (GOLD, "item_id", "items", "item_id", "item")),
    annotators=(SETS,),
    row_checks=row_checks,
    load_checks=load_checks,
    file_readers=(read_label_studio,),
)
