"""Box readers: Label Studio JSON exports (``rectanglelabels``) and COCO detection JSON, into the box frame.

Label Studio stores ``x, y, width, height`` in percent of the image; they are kept in percent (the project's
unit) and ``original_width/height`` become ``image_width/height`` = 100 for the outside-the-image check, with
the pixel size in ``image_width_px/image_height_px``. ``ground_truth: true`` annotations become gold."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analytics.kinds.boxes.frames import BOX_COLUMNS, check_boxes

__all__ = ["read_label_studio_boxes", "read_coco", "read_box_file", "read_gold_box_file", "read_input"]


def _load(src):
    if isinstance(src, (str, Path)):
        return json.loads(Path(src).read_text())
    return src


def read_label_studio_boxes(src) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(boxes, gold)`` from a Label Studio export (list of tasks); rotation must be 0."""
    rows = []
    for task in _load(src):
        for ann in task.get("annotations", []):
            who = str(ann.get("completed_by", {}).get("email") if isinstance(ann.get("completed_by"), dict)
                      else ann.get("completed_by"))
            res = [r for r in ann.get("result", []) if r.get("type") == "rectanglelabels"]
            if not res:
                rows.append((str(task["id"]), who, None, None, None, None, None, None, None, bool(ann.get("ground_truth"))))
            for r in res:
                v = r["value"]
                if v.get("rotation", 0):
                    raise ValueError(f"task {task['id']}, result {r.get('id')}: rotated boxes are not supported")
                for lab in v["rectanglelabels"]:
                    rows.append((str(task["id"]), who, lab, v["x"], v["y"], v["width"], v["height"],
                                 r.get("original_width"), r.get("original_height"), bool(ann.get("ground_truth"))))
    df = pd.DataFrame(rows, columns=[*BOX_COLUMNS, "image_width_px", "image_height_px", "ground_truth"])
    df = df.assign(image_width=100.0, image_height=100.0)
    df = check_boxes(df)
    gold = df[df["ground_truth"]].drop(columns=["annotator_id", "ground_truth"]).reset_index(drop=True)
    return df[~df["ground_truth"]].drop(columns="ground_truth").reset_index(drop=True), gold


def read_coco(src, annotator_id: str | None = None, annotator_field: str = "annotator_id") -> pd.DataFrame:
    """Box frame in pixels from COCO detection JSON; the annotator is ``annotator_id`` (one file per
    annotator) or each annotation's ``annotator_field``."""
    d = _load(src)
    cats = {c["id"]: c["name"] for c in d["categories"]}
    imgs = pd.DataFrame(d["images"]).rename(columns={"id": "image_id", "width": "image_width",
                                                     "height": "image_height"})
    a = pd.DataFrame(d["annotations"])
    if annotator_id is None and annotator_field not in a.columns:
        raise ValueError(f"COCO annotations have no {annotator_field!r} field: pass annotator_id= for a "
                         "one-annotator file")
    bbox = pd.DataFrame(a["bbox"].tolist(), columns=["x", "y", "width", "height"], index=a.index)
    unknown = ~a["category_id"].isin(list(cats))
    if unknown.any():
        raise ValueError(f"annotation {a.loc[unknown, 'id'].tolist()[0]}: unknown category_id "
                         f"{a.loc[unknown, 'category_id'].tolist()[0]} (known: {sorted(cats)})")
    out = pd.concat([a[["image_id"]], bbox], axis=1).assign(
        label=a["category_id"].map(cats),
        annotator_id=annotator_id if annotator_id is not None else a[annotator_field].astype(str))
    out = out.merge(imgs[["image_id", "image_width", "image_height"]], on="image_id", how="left")
    out["item_id"] = out["image_id"].astype(str)
    return check_boxes(out[[*BOX_COLUMNS, "image_width", "image_height"]])


def read_box_file(path) -> pd.DataFrame:
    """The box frame from a CSV/TSV/Parquet file (``item_id, annotator_id, label, x, y, width, height`` +
    optional ``image_width, image_height``; read by :func:`analytics.io.files.read_table`: text columns, only
    empty cells missing). Errors name file, row and column."""
    from analytics.io.files import read_checked

    return read_checked(path, "boxes", BOX_COLUMNS, check_boxes)


def read_gold_box_file(path) -> pd.DataFrame:
    """Gold boxes ``item_id, label, x, y, width, height`` from a file (same rules as :func:`read_box_file`)."""
    from analytics.io.files import read_checked
    from analytics.kinds.boxes.frames import GOLD_BOX_COLUMNS

    return read_checked(path, "gold boxes", GOLD_BOX_COLUMNS,
                        lambda d: check_boxes(d, gold=True, what="gold boxes"))


def read_input(path, role: str = "boxes") -> dict:
    """What the file CLI was given, by shape: a Label Studio JSON export (a list of tasks; ``ground_truth``
    annotations as gold), COCO detection JSON (an object with ``images``; the annotator is each annotation's
    ``annotator_id``, or ``gold`` with ``role="gold"``) or a CSV/TSV/Parquet file. Returns ``{"frame", "gold"}``;
    with ``role="gold"``, ``frame`` is the gold boxes."""
    p = Path(path)
    if p.suffix.lower() == ".json" and p.is_file():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not JSON ({exc})") from None
        try:
            if isinstance(data, dict) and "images" in data:
                boxes = read_coco(data, annotator_id="gold" if role == "gold" else None)
                if role == "gold":
                    boxes = boxes.drop(columns="annotator_id")
                return {"frame": boxes, "gold": None}
            if not isinstance(data, list):
                raise TypeError("neither a list of Label Studio tasks nor a COCO object with 'images'")
            boxes, gold = read_label_studio_boxes(data)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a Label Studio or COCO box export ({type(exc).__name__}: {exc})") from None
        return {"frame": gold if role == "gold" else boxes, "gold": gold}
    if role == "gold":
        return {"frame": read_gold_box_file(path), "gold": None}
    return {"frame": read_box_file(path), "gold": None}
