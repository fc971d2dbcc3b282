"""How ``labelqa load`` fills the spans tables (``KindSpec.validate`` of the kind refers to :data:`RULES`).

Tables (``sql/spans_schema.sql``): ``span_annotations`` (one row per span; a row with no label = the annotator
saw the item and marked nothing), ``span_texts`` (the item's text the offsets index) and ``gold_spans``.

Files:

- **CSV / Parquet / JSON Lines** named after the table (``span_annotations.csv``, ``gold_spans.parquet``,
  ``span_texts.jsonl``) or given ``--table``; a file with ``start`` and ``end`` columns is taken for
  ``span_annotations`` (with ``annotation_id, item_id, annotator_id``) or ``gold_spans`` (``item_id``).
  Columns: ``annotation_id, item_id, annotator_id, start, end, label`` + optional ``text`` (the covered text, as
  the tool stored it), ``created_at``, ``batch_id``; gold ``item_id, start, end, label`` + ``source``,
  ``created_at``; texts ``item_id, text``. ``start``/``end`` are character offsets, end exclusive (stored as
  ``span_start``/``span_end``: END is reserved in SQL).
- **Label Studio JSON** exports with ``labels`` results (``value.start/end/labels/text``): the task's
  ``data.text`` -> ``span_texts``, every annotation's spans -> ``span_annotations`` (``annotations[].id`` +
  result index -> ``annotation_id``; an annotation without spans -> one row without label), ``ground_truth:
  true`` annotations -> ``gold_spans``; items created if new (``--project`` or the task's ``project``).
- **brat standoff folder** (``labelqa load --project P FOLDER``): one sub-folder per annotator with ``<doc>.ann``
  (text-bound ``T`` lines) beside ``<doc>.txt``; ``item_id`` = the ``.ann`` path relative to the annotator folder;
  the texts -> ``span_texts``; a document without ``T`` lines -> one row without label.

Refused (file, row, column named; nothing written): a label without both offsets, a negative offset, end <=
start, a stored ``text`` whose length is not end - start or that differs from the item's text at the offsets, a
span ending outside the item's text, a label outside the project's label classes (when it declares any; with a
suggestion), an item of a project whose ``task_type`` is not ``spans``, the same item with two different texts.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from analytics.io.ingest.kinds import KindRules
from analytics.io.ingest.kind_support import (
    export_tables, export_tasks, fetch, first_rows, label_studio_tasks, project_checks, ranked, tabular_reader,
    task_annotations, taxonomy_checks,
)

__all__ = ["RULES", "SPANS", "TEXTS", "GOLD", "row_checks", "load_checks", "read_label_studio"]

SPANS, TEXTS, GOLD = "span_annotations", "span_texts", "gold_spans"
REVIEWS = "span_reviews"
VERDICTS = ("accepted", "rejected", "corrected")
_RENAME = {"start": "span_start", "end": "span_end"}


def _col(typed: pa.Table, name: str) -> np.ndarray:
    return np.asarray(typed.column(name).to_pylist(), dtype=object)


def row_checks(table: str, typed: pa.Table) -> list[tuple[int, str, str]]:
    """Per-file problems ``(row, column, message)`` of typed span rows."""
    if table not in (SPANS, GOLD):
        return []
    rows = typed.column("_row").to_numpy()
    cols = set(typed.column_names)
    n = typed.num_rows
    label = _col(typed, "label") if "label" in cols else np.full(n, None, dtype=object)
    has = np.array([v is not None for v in label], dtype=bool)
    s = _col(typed, "span_start") if "span_start" in cols else np.full(n, None, dtype=object)
    e = _col(typed, "span_end") if "span_end" in cols else np.full(n, None, dtype=object)
    out: list[tuple[int, str, str]] = []
    for arr, name in ((s, "span_start"), (e, "span_end")):
        miss = has & np.array([v is None for v in arr], dtype=bool)
        out += first_rows(miss, rows, name, lambda i, name=name: (
            f"missing offset: a span labelled {label[i]!r} needs both start and end"))
    both = np.array([a is not None and b is not None for a, b in zip(s, e)], dtype=bool)
    si = np.array([a if a is not None else 0 for a in s], dtype=np.int64)
    ei = np.array([b if b is not None else 0 for b in e], dtype=np.int64)
    out += first_rows(both & (si < 0), rows, "span_start", lambda i: f"{si[i]} is negative (offsets start at 0)")
    out += first_rows(both & (ei <= si), rows, "span_end", lambda i: (
        f"end {ei[i]} <= start {si[i]}: a span covers at least one character (end is exclusive)"))
    if "text" in cols:
        txt = _col(typed, "text")
        bad = both & (ei > si) & np.array([t is not None for t in txt], dtype=bool) & np.array(
            [t is not None and len(t) != b - a for t, a, b in zip(txt, si, ei)], dtype=bool)
        out += first_rows(bad, rows, "text", lambda i: (
            f"span text {txt[i]!r} has {len(txt[i])} characters but the offsets {si[i]}-{ei[i]} cover {ei[i] - si[i]}"))
    return out


def load_checks(con, stage: str, staged: set[str], project: str | None) -> list[tuple[int, int, str, str, str]]:
    """Checks against the database after staging: ``(file index, row, table, column, message)``."""
    out = project_checks(con, stage, staged, project, "spans", (SPANS, TEXTS, GOLD))
    out += taxonomy_checks(con, stage, staged, (SPANS, GOLD))
    texts = f"SELECT item_id, text FROM {TEXTS} UNION ALL SELECT item_id, text FROM {stage}{TEXTS}"
    if TEXTS in staged:
        bad = (f"SELECT s._file, s._row, s.item_id AS grp_ FROM {stage}{TEXTS} s "
               f"WHERE EXISTS (SELECT 1 FROM ({texts}) t WHERE t.item_id = s.item_id AND t.text <> s.text)")
        for r in fetch(con, ranked(bad, "grp_")):
            out.append((r["_file"], r["_row"], TEXTS, "text",
                        f"item {r['grp_']!r} already has another text (in the database or this load): the offsets "
                        "index one text per item"))
    for table in (SPANS, GOLD):
        if table not in staged:
            continue
        bad = (f"SELECT s._file, s._row, s.item_id AS grp_, s.span_start, s.span_end, LENGTH(t.text) AS n_chars "
               f"FROM {stage}{table} s JOIN ({texts}) t ON t.item_id = s.item_id "
               f"WHERE s.span_end IS NOT NULL AND s.span_end > LENGTH(t.text)")
        for r in fetch(con, ranked(bad, "grp_")):
            out.append((r["_file"], r["_row"], table, "span_end",
                        f"span {r['span_start']}-{r['span_end']} ends outside the text of item {r['grp_']!r} "
                        f"({r['n_chars']} characters){' (' + str(r['n_']) + ' row(s) in all)' if r['n_'] > 1 else ''}"))
        if table == SPANS:
            bad = (f"SELECT s._file, s._row, s.item_id AS grp_, s.span_start, s.span_end, s.text AS stored, "
                   f"SUBSTR(t.text, s.span_start + 1, s.span_end - s.span_start) AS actual "
                   f"FROM {stage}{table} s JOIN ({texts}) t ON t.item_id = s.item_id "
                   f"WHERE s.text IS NOT NULL AND s.span_end > s.span_start AND s.span_end <= LENGTH(t.text) "
                   f"AND SUBSTR(t.text, s.span_start + 1, s.span_end - s.span_start) <> s.text")
            for r in fetch(con, ranked(bad, "grp_")):
                out.append((r["_file"], r["_row"], table, "text",
                            f"span text {r['stored']!r} does not match the offsets {r['span_start']}-{r['span_end']} "
                            f"of item {r['grp_']!r} ({r['actual']!r} there)"
                            f"{' (' + str(r['n_']) + ' row(s) in all)' if r['n_'] > 1 else ''}"))
    return out


def _span_results(result) -> list[tuple[int, dict]]:
    return [(k, r) for k, r in enumerate(result or []) if isinstance(r, dict) and r.get("type") == "labels"
            and isinstance(r.get("value"), dict)]


def read_label_studio(mem, src, table, project, mapping, problems):
    """A Label Studio export with ``labels`` (text span) results -> typed ``span_texts``, ``span_annotations``,
    ``gold_spans`` + items created if new (None: not such an export)."""
    if table not in (None, SPANS, GOLD):
        return None
    if src.kind != "json":
        return None
    with src.path.open("rb") as fh:
        if b'"labels"' not in fh.read():
            return None
    tasks = label_studio_tasks(mem, src, problems)
    if tasks is None:
        return None
    if not any(isinstance(t, dict) and any(_span_results(a.get("result")) for a in t.get("annotations") or []
                                           if isinstance(a, dict)) for t in tasks):
        return None
    src.kind = "Label Studio (text spans)"
    cols = {
        "items": {c: [] for c in ("item_id", "project_id", "source", "created_at")},
        TEXTS: {"item_id": [], "text": []},
        SPANS: {c: [] for c in ("annotation_id", "item_id", "annotator_id", "span_start", "span_end", "label",
                                "text", "created_at")},
        GOLD: {c: [] for c in ("item_id", "span_start", "span_end", "label", "source", "created_at")},
    }
    labels = {t: [] for t in cols}
    for ti, task, tid, where_t in export_tasks(tasks, project, src, problems, cols, labels):
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        txt = data.get("text")
        if isinstance(txt, str):
            cols[TEXTS]["item_id"].append(tid); cols[TEXTS]["text"].append(txt); labels[TEXTS].append(where_t)
        for ann, where_a, gold, person, aid in task_annotations(task, ti, tid, where_t, src, problems):
            found = [(k, r, lab) for k, r in _span_results(ann.get("result"))
                     for lab in (r["value"].get("labels") or [None])]
            for k, r, lab in found or [(None, None, None)]:
                v = r["value"] if r else {}
                where_r = where_a if r is None else f"{where_a} result {k + 1}"
                if gold:
                    g = cols[GOLD]
                    g["item_id"].append(tid); g["span_start"].append(v.get("start")); g["span_end"].append(v.get("end"))
                    g["label"].append(lab); g["source"].append("ground_truth"); g["created_at"].append(ann.get("created_at"))
                    labels[GOLD].append(where_r)
                else:
                    s = cols[SPANS]
                    s["annotation_id"].append(aid if r is None else f"{aid}-{k + 1}" + (f"-{lab}" if len(
                        r["value"].get("labels") or []) > 1 else ""))
                    s["item_id"].append(tid); s["annotator_id"].append(person)
                    s["span_start"].append(v.get("start")); s["span_end"].append(v.get("end"))
                    s["label"].append(lab); s["text"].append(v.get("text")); s["created_at"].append(ann.get("created_at"))
                    labels[SPANS].append(where_r)
    if not tasks:
        problems.add(src, "the export holds no tasks")
        return {}
    shown = {SPANS: {"annotation_id": "annotations[].id", "item_id": "id", "annotator_id": "completed_by",
                     "span_start": "value.start", "span_end": "value.end", "label": "value.labels",
                     "text": "value.text"},
             GOLD: {"item_id": "id", "span_start": "value.start", "span_end": "value.end", "label": "value.labels"},
             TEXTS: {"text": "data.text", "item_id": "id"}, "items": {"item_id": "id", "project_id": "project"}}
    return export_tables(mem, src, problems, cols, project, labels, shown, SPANS)


def read_brat(mem, src, table, project, mapping, problems):
    """A brat standoff folder (``root/<annotator>/<doc>.ann`` beside ``<doc>.txt``; ``item_id`` = the ``.ann`` path
    relative to the annotator folder, as bratiaa names documents) -> typed ``span_texts``, ``span_annotations`` +
    items created if new (``--project`` required). Discontinuous spans (``0 3;5 8``) give one row per fragment.
    None: not a folder."""
    root = src.path
    if not root.is_dir() or table not in (None, SPANS):
        return None
    src.kind = "brat folder"
    if project is None:
        problems.add(src, "a brat folder names no project: pass --project")
        return {}
    cols = {"items": {c: [] for c in ("item_id", "project_id", "source", "created_at")},
            TEXTS: {"item_id": [], "text": []},
            SPANS: {c: [] for c in ("annotation_id", "item_id", "annotator_id", "span_start", "span_end", "label",
                                    "text")}}
    labels = {t: [] for t in cols}
    seen_items: set[str] = set()
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    for folder in folders:
        for ann in sorted(folder.rglob("*.ann")):
            doc = ann.relative_to(folder).as_posix()
            txt_path = ann.with_suffix(".txt")
            where_doc = f"{folder.name}/{doc}"
            if not txt_path.is_file():
                problems.add(src, f"no text file {txt_path.name} beside {doc}", where=where_doc, row=len(labels[SPANS]) + 1)
                continue
            try:
                text = txt_path.read_text(encoding="utf-8")
                lines = ann.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError as exc:
                problems.add(src, f"not UTF-8 text: {exc}", where=where_doc, row=len(labels[SPANS]) + 1)
                continue
            if doc not in seen_items:
                seen_items.add(doc)
                for c, v in zip(("item_id", "project_id", "source", "created_at"), (doc, project, None, None)):
                    cols["items"][c].append(v)
                labels["items"].append(where_doc)
                cols[TEXTS]["item_id"].append(doc); cols[TEXTS]["text"].append(text); labels[TEXTS].append(where_doc)
            found = False
            for n, line in enumerate(lines, 1):
                if not line.startswith("T"):
                    continue
                where = f"{where_doc} line {n}"
                parts = line.split("\t")
                try:
                    label, offs = parts[1].split(" ", 1)
                    frags = [tuple(int(x) for x in f.split()) for f in offs.split(";")]
                    if any(len(f) != 2 for f in frags):
                        raise ValueError
                except (IndexError, ValueError):
                    problems.add(src, f"not a brat text-bound line (T<n> TAB label start end TAB text): {line[:60]!r}",
                                 where=where, row=len(labels[SPANS]) + 1)
                    continue
                stored = parts[2] if len(parts) > 2 else None
                for k, (a, b) in enumerate(frags):
                    s_ = cols[SPANS]
                    s_["annotation_id"].append(f"{folder.name}/{doc}/{parts[0]}" + (f".{k + 1}" if len(frags) > 1 else ""))
                    s_["item_id"].append(doc); s_["annotator_id"].append(folder.name)
                    s_["span_start"].append(a); s_["span_end"].append(b); s_["label"].append(label)
                    s_["text"].append(stored if len(frags) == 1 else None)
                    labels[SPANS].append(where)
                    found = True
            if not found:
                for c in cols[SPANS]:
                    cols[SPANS][c].append({"annotation_id": f"{folder.name}/{doc}", "item_id": doc,
                                           "annotator_id": folder.name}.get(c))
                labels[SPANS].append(where_doc)
    if not labels[SPANS]:
        problems.add(src, "the folder holds no <annotator>/<doc>.ann files (brat standoff: one sub-folder per annotator)")
        return {}
    shown = {SPANS: {"span_start": "offsets", "span_end": "offsets", "label": "type", "text": "text",
                     "annotation_id": "T id", "item_id": ".ann path"}, TEXTS: {"text": ".txt"}}
    return export_tables(mem, src, problems, cols, project, labels, shown, SPANS)


RULES = KindRules(
    required={SPANS: ("annotation_id", "item_id", "annotator_id"), TEXTS: ("item_id", "text"),
              GOLD: ("item_id",), REVIEWS: ("review_id", "annotation_id", "verdict")},
    primary_keys={SPANS: ("annotation_id",), REVIEWS: ("review_id",)},
    references=((SPANS, "item_id", "items", "item_id", "item"), (TEXTS, "item_id", "items", "item_id", "item"),
                (GOLD, "item_id", "items", "item_id", "item"),
                (REVIEWS, "annotation_id", SPANS, "annotation_id", "span")),
    allowed={(REVIEWS, "verdict"): VERDICTS},
    annotators=(SPANS,),
    row_checks=row_checks,
    load_checks=load_checks,
    file_readers=(read_brat, read_label_studio, tabular_reader({SPANS: _RENAME, GOLD: _RENAME, REVIEWS: _RENAME})),
)
