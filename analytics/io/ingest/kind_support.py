"""What the annotation kinds' ingest rules share (``analytics/kinds/<kind>/ingest.py``; the hook that runs
them is :mod:`analytics.io.ingest.kinds`).

- :func:`first_rows` / :func:`fetch` / :func:`ranked`: per-row problems and the SQL checks on staged rows;
- :func:`project_checks`: the items of a kind's rows belong to a project of that ``task_type`` (and to
  ``--project`` when given);
- :func:`taxonomy_checks`: a label outside the project's ``label_classes`` (when the project declares any) is
  refused with the suggestion classification ingest gives (:func:`analytics.io.ingest.mapping.suggest_label`);
- :func:`tabular_reader`: CSV/Parquet/JSON Lines files of a kind's tables through the canonical tabular reader,
  with the file columns a table renames (``start``/``end`` -> ``span_start``/``span_end``);
- :func:`label_studio_tasks` / :func:`annotator_of`: the Label Studio export shape; :func:`export_tasks` /
  :func:`task_annotations` walk its tasks and annotations (reporting a task without id or project, an
  annotation without annotator), :func:`export_tables` types the rows built from it.

SQL text here is built from fixed table/column names and the staging prefix only; values are bound parameters.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import bindparam, text

__all__ = ["SHOWN", "first_rows", "ranked", "fetch", "items_union", "project_checks", "taxonomy_checks",
           "tabular_reader", "label_studio_tasks", "annotator_of", "typed_tables", "export_tasks",
           "task_annotations", "export_tables"]

SHOWN = 5  # example rows per problem
_IMPLICIT = "_lqa_implicit_"


def first_rows(mask: np.ndarray, rows: np.ndarray, column: str, message) -> list[tuple[int, str, str]]:
    """``(row, column, message(i))`` for the first :data:`SHOWN` rows of ``mask`` and a count of the rest."""
    idx = np.flatnonzero(mask)
    out = [(int(rows[i]), column, message(i)) for i in idx[:SHOWN]]
    if len(idx) > SHOWN:
        out.append((int(rows[idx[SHOWN]]), column, f"{len(idx) - SHOWN} more rows with this problem"))
    return out


def ranked(bad_sql: str, group: str, keep: int = 1) -> str:
    """The first ``keep`` rows per (file, ``group`` column) of ``bad_sql`` (columns ``_file, _row, <group>``),
    with ``n_`` = the group's row count."""
    return (f"SELECT * FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY b._file, b.{group} ORDER BY b._row) AS rn_, "
            f"COUNT(*) OVER (PARTITION BY b._file, b.{group}) AS n_ FROM ({bad_sql}) b) w WHERE rn_ <= {int(keep)} "
            "ORDER BY _file, _row")


def fetch(con, sql: str, params: dict | None = None):
    stmt = text(sql)
    if params and any(isinstance(v, list) for v in params.values()):
        stmt = stmt.bindparams(*[bindparam(n, expanding=True) for n, v in params.items() if isinstance(v, list)])
    return con.execute(stmt, params or {}).mappings().all()


def items_union(stage: str) -> str:
    """``item_id, project_id`` of every item after the load (database, staged, created if new)."""
    return (f"SELECT item_id, project_id FROM items UNION ALL SELECT item_id, project_id FROM {stage}items "
            f"UNION ALL SELECT item_id, project_id FROM {_IMPLICIT}items")


def _projects_union(stage: str) -> str:
    return (f"SELECT project_id, task_type FROM projects UNION ALL SELECT project_id, task_type FROM {stage}projects "
            f"UNION ALL SELECT project_id, 'classification' AS task_type FROM {_IMPLICIT}projects "
            f"WHERE project_id NOT IN (SELECT project_id FROM projects UNION ALL SELECT project_id FROM {stage}projects)")


def _more(n: int) -> str:
    return f" ({n} row(s) in all)" if n > 1 else ""


def project_checks(con, stage: str, staged: set[str], project: str | None, kind: str,
                   tables: Sequence[str]) -> list[tuple[int, int, str, str, str]]:
    """Rows whose item belongs to a project of another ``task_type`` than ``kind``, or (with ``--project``) to
    another project than ``project``: ``(file, row, table, column, message)``."""
    out = []
    items, projects = items_union(stage), _projects_union(stage)
    for table in tables:
        if table not in staged:
            continue
        bad = (f"SELECT s._file, s._row, i.project_id AS grp_, p.task_type FROM {stage}{table} s "
               f"JOIN ({items}) i ON i.item_id = s.item_id JOIN ({projects}) p ON p.project_id = i.project_id "
               f"WHERE p.task_type <> :kind")
        for r in fetch(con, ranked(bad, "grp_"), {"kind": kind}):
            out.append((r["_file"], r["_row"], table, "item_id",
                        f"the item belongs to project {r['grp_']!r} of task_type {r['task_type']!r}, not {kind!r}: "
                        f"{table} rows belong to a {kind} project (load the project with task_type {kind} first, "
                        f"or in the same load){_more(r['n_'])}"))
        if project is not None:
            bad = (f"SELECT s._file, s._row, i.project_id AS grp_, s.item_id FROM {stage}{table} s "
                   f"JOIN ({items}) i ON i.item_id = s.item_id WHERE i.project_id <> :project")
            for r in fetch(con, ranked(bad, "grp_"), {"project": project}):
                out.append((r["_file"], r["_row"], table, "item_id",
                            f"item {r['item_id']!r} belongs to project {r['grp_']!r}, not {project!r} (--project)"
                            f"{_more(r['n_'])}"))
    return out


def taxonomy_checks(con, stage: str, staged: set[str], tables: Sequence[str]) -> list[tuple[int, int, str, str, str]]:
    """Labels outside the label classes of the item's project (any schema version), for projects that declare
    label classes; one problem per (file, label) at its first row, with a suggestion."""
    from analytics.io.ingest.mapping import suggest_label

    out = []
    items = items_union(stage)
    classes = f"SELECT project_id, label FROM label_classes UNION ALL SELECT project_id, label FROM {stage}label_classes"
    for table in tables:
        if table not in staged:
            continue
        bad = (f"SELECT s._file, s._row, s.label AS grp_, i.project_id FROM {stage}{table} s "
               f"JOIN ({items}) i ON i.item_id = s.item_id "
               f"WHERE s.label IS NOT NULL AND EXISTS (SELECT 1 FROM ({classes}) c WHERE c.project_id = i.project_id) "
               f"AND NOT EXISTS (SELECT 1 FROM ({classes}) c WHERE c.project_id = i.project_id AND c.label = s.label)")
        found = fetch(con, ranked(bad, "grp_"))
        if not found:
            continue
        wanted = sorted({r["project_id"] for r in found})
        known: dict[str, set[str]] = {}
        for r in fetch(con, f"SELECT DISTINCT project_id, label FROM ({classes}) c WHERE project_id IN :projects",
                       {"projects": wanted}):
            known.setdefault(r["project_id"], set()).add(r["label"])
        for r in found:
            guess = suggest_label(r["grp_"], sorted(known.get(r["project_id"], ())))
            out.append((r["_file"], r["_row"], table, "label",
                        f"{r['grp_']!r} is not in project {r['project_id']}'s taxonomy"
                        + (f"; did you mean {guess!r}?" if guess else "") + _more(r["n_"])))
    return out


def _header(src) -> list[str] | None:
    """Column names of a CSV / Parquet / JSON Lines file (None when they cannot be read cheaply)."""
    try:
        if src.kind == "csv":
            from analytics.io.ingest.readers import _csv_header

            return list(_csv_header(src.path)[0])
        if src.kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(src.path).names)
        if src.kind == "jsonl" and not src.path.name.lower().endswith(".gz"):
            with src.path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        rec = json.loads(line)
                        return list(rec) if isinstance(rec, dict) else None
    except Exception:  # noqa: BLE001 - the canonical reader reports an unreadable file
        return None
    return None


def tabular_reader(renames: Mapping[str, Mapping[str, str]]) -> Callable:
    """A ``KindRules.file_readers`` entry for tables whose file columns are renamed (``{table: {file column:
    table column}}``): it takes a CSV/Parquet/JSON Lines file aimed at one of those tables (``--table``, the file
    name, or a header holding every renamed column) and reads it with the canonical tabular reader, the user's
    mapping taking precedence. Any other file: ``None`` (not this reader's)."""

    def read(mem, src, table, project, mapping, problems):
        from analytics.io.ingest.mapping import _table_from_name
        from analytics.io.ingest.readers import _read_tabular

        if src.kind not in ("csv", "parquet", "jsonl"):
            return None
        target = table or _table_from_name(src.name)
        if target is not None and target not in renames:
            return None
        if target is None:
            cols = {c.strip().lower() for c in (_header(src) or [])}
            if not any(set(r) <= cols for r in renames.values()):
                return None
        merged = {t: dict(m) for t, m in (mapping or {}).items()}
        for t, ren in renames.items():
            merged[t] = {**ren, **merged.get(t, {})}
        return _read_tabular(mem, src, table, project, merged, problems)

    return read


def label_studio_tasks(mem, src, problems) -> list | None:
    """The tasks of a Label Studio JSON export (``None``: not one; a JSON error is reported and gives ``[]``)."""
    from analytics.io.ingest.label_studio import _looks_like_labelstudio

    if src.kind != "json" or not _looks_like_labelstudio(mem, src):
        return None
    try:
        with src.path.open(encoding="utf-8") as fh:
            tasks = json.load(fh)
    except json.JSONDecodeError as exc:
        problems.add(src, f"not valid JSON: {exc}")
        return []
    return [tasks] if isinstance(tasks, dict) else tasks


def annotator_of(ann: dict) -> tuple[str | None, str | None]:
    """``(annotator_id, display name)`` of a Label Studio annotation (``completed_by`` id or object)."""
    who = ann.get("completed_by")
    if isinstance(who, dict):
        person = who.get("id") if who.get("id") is not None else who.get("email")
        return (None if person is None else str(person)), who.get("email")
    return (None if who is None else str(who)), None


ITEM_COLUMNS = ("item_id", "project_id", "source", "created_at")


def export_tasks(tasks: list, project: str | None, src, problems, cols, labels):
    """The tasks of a Label Studio export that have an id and a project (``--project`` or the task's own): for
    each, its ``items`` row is appended to ``cols``/``labels`` and ``(ti, task, tid, where)`` is yielded; a task
    without an id or a project is reported (task number and column) and skipped."""
    for ti, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or task.get("id") is None:
            problems.add(src, "not a task object with an id", where=f"task {ti}", column="id", row=ti)
            continue
        tid = str(task["id"])
        where = f"task {ti} (id {tid})"
        proj = project if project is not None else (None if task.get("project") is None else str(task["project"]))
        if proj is None:
            problems.add(src, "task has no project; pass --project", where=where, column="project", row=ti)
            continue
        for c, v in zip(ITEM_COLUMNS, (tid, proj, None, task.get("created_at"))):
            cols["items"][c].append(v)
        labels["items"].append(where)
        yield ti, task, tid, where


def task_annotations(task: dict, ti: int, tid: str, where_t: str, src, problems, all_gold: bool = False):
    """A task's annotations that were not cancelled, as ``(ann, where, gold, annotator, annotation_id)``; gold:
    ``ground_truth`` (or every annotation with ``all_gold``). A non-gold annotation without an annotator is
    reported and skipped."""
    for ai, ann in enumerate(task.get("annotations") or [], 1):
        if not isinstance(ann, dict) or ann.get("was_cancelled"):
            continue
        where_a = f"{where_t} annotation {ai}"
        gold = bool(ann.get("ground_truth")) or all_gold
        person, _email = annotator_of(ann)
        if person is None and not gold:
            problems.add(src, "no annotator (completed_by)", where=where_a, column="completed_by", row=ti)
            continue
        aid = str(ann["id"]) if ann.get("id") is not None else f"{tid}-{ai}"
        yield ann, where_a, gold, person, aid


def export_tables(mem, src, problems, cols, project, labels, shown, table_name: str) -> dict[str, pa.Table]:
    """:func:`typed_tables` of an export's rows, its items passed on as ``implicit:items`` (created when new);
    ``src.table`` names the export's main table. ``{}`` when a row is bad."""
    out = typed_tables(mem, src, problems, cols, project, labels, shown)
    if out is None:
        return {}
    items = out.pop("items", None)
    if items is not None:
        out["implicit:items"] = items.select(["item_id", "project_id", "source", "created_at", "_file", "_row"])
    src.table = table_name
    return out


def typed_tables(mem, src, problems, columns: Mapping[str, Mapping[str, list]], project: str | None,
                 labels: Mapping[str, list[str]], shown: Mapping[str, Mapping[str, str]]) -> dict[str, pa.Table] | None:
    """Rows built from a JSON export (``{table: {column: values}}``, values as text) typed and checked like a
    tabular file's; ``labels`` name each row (``task 3 (id 17) annotation 1``) in messages. ``None`` when a row
    is bad (the problems are recorded)."""
    from analytics.io.ingest.readers import _validate_rows, _with_rows

    src.row_labels = dict(labels)
    src.shown_columns = {t: dict(m) for t, m in shown.items()}
    out: dict[str, pa.Table] = {}
    ok = True
    for table, cols in columns.items():
        if not cols or not next(iter(cols.values())):
            continue
        raw = _with_rows(pa.table({c: pa.array([None if v is None else str(v) for v in vals], pa.string())
                                   for c, vals in cols.items()}))
        typed = _validate_rows(mem, src, table, raw, None if table == "items" else project, problems)
        if typed is None:
            ok = False
        else:
            out[table] = typed
    if not ok:
        return None
    src.rows = {t: v.num_rows for t, v in out.items()}
    return out


def as_path(p) -> Path:
    return p if isinstance(p, Path) else Path(p)


def scope_params(scope) -> dict:
    """Bind parameters of ``sql/_<kind>_scope.sql`` from an :class:`analytics.filters.Filters` (or a project id);
    ``schema_version`` does not apply to the region kinds."""
    from analytics.filters import Filters

    f = Filters(scope) if isinstance(scope, str) else scope
    p = f.params()
    return {k: p.get(k) for k in ("project_id", "date_from", "date_to", "team", "split", "batch_id")}
