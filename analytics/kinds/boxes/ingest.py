"""How ``labelqa load`` fills the boxes tables (``KindSpec.validate`` of the kind refers to :data:`RULES`).

Tables (``sql/boxes_schema.sql``): ``box_annotations`` (one row per box; a row with no label = the annotator saw
the image and drew nothing), ``box_images`` (image size in pixels per item, when known) and ``gold_boxes``.
``unit`` is ``px`` (default) or ``percent`` (of the image size, as Label Studio stores boxes).

Files:

- **CSV / Parquet / JSON Lines** named after the table (``box_annotations.csv``, ``gold_boxes.parquet``,
  ``box_images.csv``) or given ``--table``: ``annotation_id, item_id, annotator_id, label, x, y, width, height``
  + optional ``unit, created_at, batch_id``; gold ``item_id, label, x, y, width, height`` + ``unit, source,
  created_at``; images ``item_id, image_width, image_height``.
- **Label Studio JSON** exports with ``rectanglelabels`` results (``value.x/y/width/height/rotation``, percent;
  ``original_width/height`` -> ``box_images``); ``ground_truth: true`` annotations -> ``gold_boxes``; items
  created if new (``--project`` or the task's ``project``). Rotated boxes are refused.
- **COCO detection JSON** (an object with ``images``, ``annotations[].bbox`` = ``[x, y, width, height]`` in
  pixels, ``category_id`` -> ``categories[].name``): the annotator is each annotation's ``annotator_id`` (or
  ``annotator``) field, else the file's name (one file per annotator); ``--table gold_boxes`` loads it as gold.
  Images -> ``box_images``; items created if new (``--project`` required); ``annotation_id`` = ``<annotator>-<id>``.

Refused (file, row, column named; nothing written): a label without its four numbers, width or height <= 0
(negative or empty sizes), a box starting left of / above the image or ending outside it (percent: beyond 100;
pixels: beyond ``box_images``), an unknown COCO category, a label outside the project's label classes (when it
declares any; with a suggestion), an item of a project whose ``task_type`` is not ``boxes``, one image with two
different sizes.
"""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from analytics.io.ingest.kinds import KindRules
from analytics.io.ingest.kind_support import (
    export_tables, export_tasks, fetch, first_rows, label_studio_tasks, project_checks, ranked,
    task_annotations, taxonomy_checks,
)

__all__ = ["RULES", "BOXES", "IMAGES", "GOLD", "row_checks", "load_checks", "read_label_studio", "read_coco"]

BOXES, IMAGES, GOLD = "box_annotations", "box_images", "gold_boxes"
REVIEWS = "box_reviews"
VERDICTS = ("accepted", "rejected", "corrected")
UNITS = ("px", "percent")
_TOL = 1e-9


def _num(typed: pa.Table, name: str) -> np.ndarray:
    if name not in typed.column_names:
        return np.full(typed.num_rows, np.nan)
    return np.array([np.nan if v is None else float(v) for v in typed.column(name).to_pylist()], dtype=float)


def row_checks(table: str, typed: pa.Table) -> list[tuple[int, str, str]]:
    """Per-file problems ``(row, column, message)`` of typed box rows."""
    rows = typed.column("_row").to_numpy()
    out: list[tuple[int, str, str]] = []
    if table == IMAGES:
        for c in ("image_width", "image_height"):
            v = _num(typed, c)
            out += first_rows(np.isfinite(v) & (v <= 0), rows, c, lambda i, v=v: f"{v[i]:g} is not a positive size")
        return out
    if table not in (BOXES, GOLD):
        return []
    label = typed.column("label").to_pylist() if "label" in typed.column_names else [None] * typed.num_rows
    has = np.array([v is not None for v in label], dtype=bool)
    g = {c: _num(typed, c) for c in ("x", "y", "width", "height")}
    for c, v in g.items():
        out += first_rows(has & np.isnan(v), rows, c, lambda i, c=c: (
            f"missing {c}: a box labelled {label[i]!r} needs x, y, width and height"))
    for c in ("width", "height"):
        v = g[c]
        out += first_rows(np.isfinite(v) & (v <= 0), rows, c, lambda i, v=v, c=c: (
            f"{v[i]:g} is {'negative' if v[i] < 0 else 'zero'}: a box's {c} must be positive"))
    for c in ("x", "y"):
        v = g[c]
        out += first_rows(np.isfinite(v) & (v < -_TOL), rows, c, lambda i, v=v: (
            f"{v[i]:g}: the box starts outside the image (coordinates start at 0)"))
    unit = typed.column("unit").to_pylist() if "unit" in typed.column_names else ["px"] * typed.num_rows
    pct = np.array([u == "percent" for u in unit], dtype=bool)
    for c0, size in (("x", "width"), ("y", "height")):
        end = g[c0] + g[size]
        out += first_rows(pct & np.isfinite(end) & (end > 100 + _TOL), rows, size, lambda i, end=end, c0=c0, size=size: (
            f"the box extends outside the image: {c0} + {size} = {end[i]:g}% > 100%"))
    return out


def load_checks(con, stage: str, staged: set[str], project: str | None) -> list[tuple[int, int, str, str, str]]:
    """Checks against the database after staging: ``(file index, row, table, column, message)``."""
    out = project_checks(con, stage, staged, project, "boxes", (BOXES, IMAGES, GOLD))
    out += taxonomy_checks(con, stage, staged, (BOXES, GOLD))
    images = (f"SELECT item_id, image_width, image_height FROM {IMAGES} UNION ALL "
              f"SELECT item_id, image_width, image_height FROM {stage}{IMAGES}")
    if IMAGES in staged:
        bad = (f"SELECT s._file, s._row, s.item_id AS grp_ FROM {stage}{IMAGES} s WHERE EXISTS (SELECT 1 FROM "
               f"({images}) t WHERE t.item_id = s.item_id AND (t.image_width <> s.image_width "
               f"OR t.image_height <> s.image_height))")
        for r in fetch(con, ranked(bad, "grp_")):
            out.append((r["_file"], r["_row"], IMAGES, "image_width",
                        f"image {r['grp_']!r} already has another size (in the database or this load)"))
    for table in (BOXES, GOLD):
        if table not in staged:
            continue
        for c0, size, lim in (("x", "width", "image_width"), ("y", "height", "image_height")):
            bad = (f"SELECT s._file, s._row, s.item_id AS grp_, s.{c0} + s.{size} AS reach, t.lim_ FROM {stage}{table} s "
                   f"JOIN (SELECT item_id, MAX({lim}) AS lim_ FROM ({images}) u GROUP BY item_id) t "
                   f"ON t.item_id = s.item_id WHERE s.unit = 'px' AND s.{c0} + s.{size} > t.lim_ + {_TOL}")
            for r in fetch(con, ranked(bad, "grp_")):
                out.append((r["_file"], r["_row"], table, size,
                            f"the box extends outside image {r['grp_']!r}: {c0} + {size} = {r['reach']:g} > "
                            f"{lim} {r['lim_']:g}{' (' + str(r['n_']) + ' row(s) in all)' if r['n_'] > 1 else ''}"))
    return out


def _new_cols(with_images: bool = True) -> dict:
    cols = {
        "items": {c: [] for c in ("item_id", "project_id", "source", "created_at")},
        BOXES: {c: [] for c in ("annotation_id", "item_id", "annotator_id", "label", "x", "y", "width", "height",
                                "unit", "created_at")},
        GOLD: {c: [] for c in ("item_id", "label", "x", "y", "width", "height", "unit", "source", "created_at")},
    }
    if with_images:
        cols[IMAGES] = {"item_id": [], "image_width": [], "image_height": []}
    return cols


def _add_box(cols, labels, gold: bool, where: str, aid, item, who, label, geom, unit, created):
    if gold:
        t = cols[GOLD]
        for c, v in zip(("item_id", "label", "x", "y", "width", "height", "unit", "source", "created_at"),
                        (item, label, *geom, unit, "ground_truth", created)):
            t[c].append(v)
        labels[GOLD].append(where)
    else:
        t = cols[BOXES]
        for c, v in zip(("annotation_id", "item_id", "annotator_id", "label", "x", "y", "width", "height", "unit",
                         "created_at"), (aid, item, who, label, *geom, unit, created)):
            t[c].append(v)
        labels[BOXES].append(where)


def read_label_studio(mem, src, table, project, mapping, problems):
    """A Label Studio export with ``rectanglelabels`` results -> typed ``box_annotations``, ``gold_boxes``,
    ``box_images`` + items created if new (None: not such an export)."""
    if table not in (None, BOXES, GOLD) or src.kind != "json":
        return None
    with src.path.open("rb") as fh:
        if b'"rectanglelabels"' not in fh.read():
            return None
    tasks = label_studio_tasks(mem, src, problems)
    if tasks is None:
        return None
    src.kind = "Label Studio (boxes)"
    cols = _new_cols()
    labels = {t: [] for t in cols}
    for ti, task, tid, where_t in export_tasks(tasks, project, src, problems, cols, labels):
        size = None
        for ann, where_a, gold, person, aid in task_annotations(task, ti, tid, where_t, src, problems,
                                                                 all_gold=table == GOLD):
            res = [(k, r) for k, r in enumerate(ann.get("result") or []) if isinstance(r, dict)
                   and r.get("type") == "rectanglelabels" and isinstance(r.get("value"), dict)]
            if not res:
                _add_box(cols, labels, gold, where_a, aid, tid, person, None, (None,) * 4, "percent", ann.get("created_at"))
            for k, r in res:
                v = r["value"]
                where_r = f"{where_a} result {k + 1}"
                if v.get("rotation"):
                    problems.add(src, f"rotation {v['rotation']}: rotated boxes are not supported", where=where_r,
                                 column="value.rotation", row=ti)
                    continue
                if r.get("original_width") is not None and size is None:
                    size = (r.get("original_width"), r.get("original_height"))
                labs = v.get("rectanglelabels") or [None]
                for lab in labs:
                    _add_box(cols, labels, gold, where_r, f"{aid}-{k + 1}" + (f"-{lab}" if len(labs) > 1 else ""),
                             tid, person, lab, (v.get("x"), v.get("y"), v.get("width"), v.get("height")), "percent",
                             ann.get("created_at"))
        if size is not None:
            cols[IMAGES]["item_id"].append(tid); cols[IMAGES]["image_width"].append(size[0])
            cols[IMAGES]["image_height"].append(size[1]); labels[IMAGES].append(where_t)
    if not tasks:
        problems.add(src, "the export holds no tasks")
        return {}
    geom = {c: f"value.{c}" for c in ("x", "y", "width", "height")}
    shown = {BOXES: {"annotation_id": "annotations[].id", "item_id": "id", "annotator_id": "completed_by",
                     "label": "value.rectanglelabels", **geom},
             GOLD: {"item_id": "id", "label": "value.rectanglelabels", **geom},
             IMAGES: {"item_id": "id", "image_width": "original_width", "image_height": "original_height"},
             "items": {"item_id": "id", "project_id": "project"}}
    return export_tables(mem, src, problems, cols, project, labels, shown, BOXES)


def read_coco(mem, src, table, project, mapping, problems):
    """COCO detection JSON -> typed ``box_annotations`` (or ``gold_boxes`` with ``--table gold_boxes``),
    ``box_images`` + items created if new (None: not a COCO object)."""
    if table not in (None, BOXES, GOLD) or src.kind != "json":
        return None
    with src.path.open("rb") as fh:
        head = fh.read(1 << 16).lstrip()
    if not head.startswith(b"{") or b'"images"' not in head and b'"annotations"' not in head:
        return None
    try:
        with src.path.open(encoding="utf-8") as fh:
            d = json.load(fh)
    except json.JSONDecodeError:
        return None
    if not (isinstance(d, dict) and isinstance(d.get("images"), list) and isinstance(d.get("annotations"), list)):
        return None
    src.kind = "COCO"
    if project is None:
        problems.add(src, "a COCO file names no project: pass --project")
        return {}
    cats = {c.get("id"): c.get("name") for c in d.get("categories") or [] if isinstance(c, dict)}
    gold = table == GOLD
    cols = _new_cols()
    labels = {t: [] for t in cols}
    for ii, img in enumerate(d["images"], 1):
        if not isinstance(img, dict) or img.get("id") is None:
            problems.add(src, "image without an id", where=f"images[{ii - 1}]", column="images[].id", row=ii)
            continue
        iid = str(img["id"])
        for c, v in zip(("item_id", "project_id", "source", "created_at"), (iid, project, img.get("file_name"), None)):
            cols["items"][c].append(v)
        labels["items"].append(f"images[{ii - 1}] (id {iid})")
        if img.get("width") is not None:
            cols[IMAGES]["item_id"].append(iid); cols[IMAGES]["image_width"].append(img.get("width"))
            cols[IMAGES]["image_height"].append(img.get("height")); labels[IMAGES].append(f"images[{ii - 1}] (id {iid})")
    default_who = src.path.name.split(".")[0]
    for ai, a in enumerate(d["annotations"], 1):
        where = f"annotations[{ai - 1}]" + (f" (id {a.get('id')})" if isinstance(a, dict) and a.get("id") is not None else "")
        if not isinstance(a, dict):
            problems.add(src, "not an annotation object", where=where, row=len(d["images"]) + ai)
            continue
        bbox = a.get("bbox")
        if not (isinstance(bbox, list) and len(bbox) == 4):
            problems.add(src, f"bbox {bbox!r} is not [x, y, width, height]", where=where, column="bbox",
                         row=len(d["images"]) + ai)
            continue
        cat = a.get("category_id")
        if cat not in cats:
            from analytics.io.ingest.mapping import suggest_label

            guess = suggest_label(str(cat), [str(k) for k in cats]) if cats else None
            problems.add(src, f"unknown category_id {cat!r} (categories: {', '.join(map(str, sorted(cats, key=str)))})"
                         + (f"; did you mean {guess}?" if guess else ""), where=where, column="category_id",
                         row=len(d["images"]) + ai)
            continue
        who = a.get("annotator_id", a.get("annotator", default_who))
        # COCO ids are per file: annotation_id = "<annotator>-<id>" (one file per annotator loads beside another)
        _add_box(cols, labels, gold, where, f"{who}-{a.get('id', ai)}", str(a.get("image_id")),
                 None if who is None else str(who), cats[cat], tuple(bbox), "px", None)
    shown = {BOXES: {"annotation_id": "annotations[].id", "item_id": "image_id", "label": "category_id",
                     "annotator_id": "annotator_id", "x": "bbox[0]", "y": "bbox[1]", "width": "bbox[2]",
                     "height": "bbox[3]"},
             GOLD: {"item_id": "image_id", "label": "category_id", "x": "bbox[0]", "y": "bbox[1]",
                    "width": "bbox[2]", "height": "bbox[3]"},
             IMAGES: {"item_id": "images[].id", "image_width": "width", "image_height": "height"},
             "items": {"item_id": "images[].id"}}
    return export_tables(mem, src, problems, cols, project, labels, shown, GOLD if gold else BOXES)


RULES = KindRules(
    required={BOXES: ("annotation_id", "item_id", "annotator_id"), IMAGES: ("item_id", "image_width", "image_height"),
              GOLD: ("item_id",), REVIEWS: ("review_id", "annotation_id", "verdict")},
    primary_keys={BOXES: ("annotation_id",), REVIEWS: ("review_id",)},
    references=((BOXES, "item_id", "items", "item_id", "item"), (IMAGES, "item_id", "items", "item_id", "item"),
                (GOLD, "item_id", "items", "item_id", "item"),
                (REVIEWS, "annotation_id", BOXES, "annotation_id", "box")),
    allowed={(BOXES, "unit"): UNITS, (GOLD, "unit"): UNITS, (REVIEWS, "verdict"): VERDICTS},
    defaults={(BOXES, "unit"): "px", (GOLD, "unit"): "px"},
    annotators=(BOXES,),
    row_checks=row_checks,
    load_checks=load_checks,
    file_readers=(read_label_studio, read_coco),
)
