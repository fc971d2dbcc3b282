"""The boxes kind's demo project (``KindSpec.demo``): ``roadcam``, street-camera images with gold boxes.

Written by ``labelqa demo`` after the classification projects, from ``numpy.random.default_rng([seed, 13])``.
700 images (1280 x 720 px) over 8 weeks, each with 1-6 gold objects of car, truck, pedestrian, bicycle,
motorcycle (pedestrian and bicycle critical); item attributes ``lighting`` (day / night, 35% night) and
``camera``; 9 annotators in three teams, 3 per image; about 7,000 boxes. Planted truths (:data:`TRUTHS`,
recovered by tests/test_regions_demo.py, listed in sample_data/README.md):

1. ``bx_02`` draws every box about 15% too small in area (each side x sqrt(0.85), centred): the boxes still match
   gold at IoU 0.5, the localisation bias (mean log area ratio, about -0.16) finds it.
2. Team ``vision_c`` misses small objects (COCO: area < 32^2 px) at night: each is left out with probability 0.6
   (0.03 otherwise).
3. Team ``vision_b`` labels motorcycles as bicycles at night with probability 0.5 (boxes drawn right).
4. Everyone adds a spurious box on an image now and then (Poisson 0.05 per image): hallucinated regions.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from analytics.kinds.region_demo import DAY as _DAY, ids as _ids, people as _people, ts as _ts

PROJECT = "roadcam"
SEED_KEY = 13
CLASSES = ("car", "truck", "pedestrian", "bicycle", "motorcycle")
CRITICAL = ("pedestrian", "bicycle")
ANNOTATORS = tuple(f"bx_{k:02d}" for k in range(1, 10))
TEAMS = ("vision_a",) * 3 + ("vision_b",) * 3 + ("vision_c",) * 3
IMAGE_W, IMAGE_H = 1280.0, 720.0
N_IMAGES, N_WEEKS = 700, 8
SMALL_AREA = 32.0 ** 2  # = analytics.kinds.boxes.accuracy.SMALL_AREA (COCO small objects)
TRUTHS = {
    "undersized_annotator": {"annotator": "bx_02", "area_ratio": 0.85},
    "night_small_misses": {"team": "vision_c", "lighting": "night", "size": "small", "p_miss": 0.6,
                           "base_p_miss": 0.03},
    "night_motorcycle_as_bicycle": {"team": "vision_b", "lighting": "night", "gold": "motorcycle",
                                    "label": "bicycle", "p": 0.5},
    "hallucinations_per_image": 0.05,
}
_P_CLASS = (0.40, 0.10, 0.25, 0.12, 0.13)
_ASPECT = {"car": 0.6, "truck": 0.8, "pedestrian": 2.4, "bicycle": 1.0, "motorcycle": 1.0}  # height / width


def generate(seed: int) -> dict[str, pa.Table]:
    """The kind tables and items of the project (canonical tables written by :func:`write_demo`)."""
    rng = np.random.default_rng([seed, SEED_KEY])
    n = N_IMAGES
    items = _ids("rc-", n)
    week = rng.integers(0, N_WEEKS, n)
    t_item = week * 7 * _DAY + rng.integers(0, 5 * _DAY, n)
    night = rng.random(n) < 0.35
    camera = rng.choice(["cam-north", "cam-south", "cam-east"], n)
    k = rng.integers(1, 7, n)
    g_item = np.repeat(np.arange(n), k)
    m = g_item.size
    cls = rng.choice(len(CLASSES), m, p=_P_CLASS)
    lab = np.array(CLASSES)[cls]
    w = np.exp(rng.uniform(np.log(14), np.log(260), m))
    h = np.minimum(w * np.array([_ASPECT[c] for c in lab]) * np.exp(rng.normal(0, 0.1, m)), IMAGE_H - 2)
    x = rng.uniform(0, IMAGE_W - w)
    y = rng.uniform(0, IMAGE_H - h)
    small = w * h < SMALL_AREA
    # three distinct annotators per image
    who = np.argsort(rng.random((n, len(ANNOTATORS))), axis=1)[:, :3]
    ann_ids, a_item, a_ann, a_lab, ax, ay, aw, ah, a_t = [], [], [], [], [], [], [], [], []
    teams = np.array(TEAMS)
    for slot in range(3):
        a = who[g_item, slot]  # annotator of each gold object in this slot
        team = teams[a]
        p_miss = np.where((team == "vision_c") & night[g_item] & small, 0.6, 0.03)
        keep = rng.random(m) >= p_miss
        lb = lab.copy()
        conf = (team == "vision_b") & night[g_item] & (lab == "motorcycle") & (rng.random(m) < 0.5)
        lb[conf] = "bicycle"
        other = rng.random(m) < 0.02
        lb[other] = np.array(CLASSES)[rng.integers(0, len(CLASSES), int(other.sum()))]
        scale = np.where(np.array(ANNOTATORS)[a] == "bx_02", np.sqrt(0.85), 1.0)
        bw = w * scale * np.exp(rng.normal(0, 0.04, m))
        bh = h * scale * np.exp(rng.normal(0, 0.04, m))
        cx = x + w / 2 + rng.normal(0, 0.03, m) * w
        cy = y + h / 2 + rng.normal(0, 0.03, m) * h
        bx = np.clip(cx - bw / 2, 0, None)
        by = np.clip(cy - bh / 2, 0, None)
        bw = np.minimum(bw, IMAGE_W - bx)
        bh = np.minimum(bh, IMAGE_H - by)
        sel = keep
        a_item.append(g_item[sel]); a_ann.append(a[sel]); a_lab.append(lb[sel])
        ax.append(bx[sel]); ay.append(by[sel]); aw.append(bw[sel]); ah.append(bh[sel])
        # hallucinated boxes: Poisson(0.05) per (image, annotator)
        nh = rng.poisson(TRUTHS["hallucinations_per_image"], n)
        hi = np.repeat(np.arange(n), nh)
        hw = np.exp(rng.uniform(np.log(20), np.log(120), hi.size))
        hh = hw * rng.uniform(0.5, 1.5, hi.size)
        a_item.append(hi); a_ann.append(who[hi, slot]); a_lab.append(np.array(CLASSES)[rng.integers(0, 5, hi.size)])
        ax.append(rng.uniform(0, IMAGE_W - hw)); ay.append(rng.uniform(0, IMAGE_H - hh)); aw.append(hw); ah.append(hh)
        # an annotator who drew nothing on an image still records that they saw it
        drew = np.zeros(n, bool)
        drew[g_item[sel]] = True
        drew[hi] = True
        e = np.flatnonzero(~drew)
        a_item.append(e); a_ann.append(who[e, slot]); a_lab.append(np.full(e.size, None, object))
        for arr in (ax, ay, aw, ah):
            arr.append(np.full(e.size, np.nan))
    it = np.concatenate(a_item)
    an = np.concatenate(a_ann)
    order = np.lexsort((np.concatenate(ax), an, it))
    it, an = it[order], an[order]
    labels = np.concatenate([np.asarray(v, object) for v in a_lab])[order]
    geo = [np.concatenate(v)[order] for v in (ax, ay, aw, ah)]
    t = t_item[it] + 3600 * (1 + an) + rng.integers(0, 600, it.size)
    nb = it.size
    empty = np.array([v is None for v in labels])
    box = pa.table({
        "annotation_id": _ids("rc-b", nb), "item_id": pa.array(np.array(items)[it]),
        "annotator_id": pa.array(np.array(ANNOTATORS)[an]), "label": pa.array(labels.tolist(), pa.string()),
        **{c: pa.array(np.round(v, 2), mask=empty) for c, v in zip(("x", "y", "width", "height"), geo)},
        "unit": pa.array(["px"] * nb), "created_at": _ts(t),
        "batch_id": pa.array([f"{PROJECT}-b{b:02d}" for b in (week[it] // 2 + 1)])})
    gold = pa.table({"item_id": pa.array(np.array(items)[g_item]), "label": pa.array(lab),
                     "x": np.round(x, 2), "y": np.round(y, 2), "width": np.round(w, 2), "height": np.round(h, 2),
                     "unit": pa.array(["px"] * m), "source": pa.array(["expert"] * m),
                     "created_at": _ts(t_item[g_item] + 14 * _DAY)})
    images = pa.table({"item_id": items, "image_width": np.full(n, IMAGE_W), "image_height": np.full(n, IMAGE_H)})
    item_t = pa.table({"item_id": items, "project_id": [PROJECT] * n, "split": ["train"] * n,
                       "source": pa.array(camera), "created_at": _ts(t_item - _DAY)})
    attrs = pa.table({"item_id": items * 2, "key": ["lighting"] * n + ["camera"] * n,
                      "value": np.where(night, "night", "day").tolist() + camera.tolist()})
    return {"items": item_t, "item_attributes": attrs, "box_images": images, "box_annotations": box,
            "gold_boxes": gold}


def write_demo(write, seed: int, progress=lambda _m: None) -> None:
    """``KindSpec.demo``: write the ``roadcam`` project (canonical rows first, then the kind's tables)."""
    _people(write, PROJECT, "boxes", "Roadcam detection", CLASSES, CRITICAL, ANNOTATORS, TEAMS, "Boxwise",
            -10 * _DAY, N_WEEKS)
    tables = generate(seed)
    for name in ("items", "item_attributes", "box_images", "gold_boxes", "box_annotations"):
        write(name, tables[name])
    progress(f"demo: {PROJECT}: {tables['box_annotations'].num_rows:,} boxes on {N_IMAGES} images, "
             f"{tables['gold_boxes'].num_rows:,} gold boxes")
