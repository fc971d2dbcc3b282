"""Box agreement and accuracy over N boxes (default 1M): ``python benchmarks/boxes.py [N]``.

Synthetic: 3 annotators re-drawing each gold box with jitter, 1-8 objects per item, 5 classes."""
import os
import sys
import time

import numpy as np
import pandas as pd

from analytics.kinds.boxes import box_agreement, detection_accuracy


def make(n_boxes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_gold = n_boxes // 3
    per = rng.integers(1, 9, n_gold // 4 + 1)
    item = np.repeat(np.arange(len(per)), per)[:n_gold]
    x, y = rng.uniform(0, 1800, n_gold), rng.uniform(0, 1000, n_gold)
    w, h = rng.uniform(10, 120, n_gold), rng.uniform(10, 80, n_gold)
    lab = np.array(["car", "bus", "truck", "bicycle", "pedestrian"])[rng.integers(0, 5, n_gold)]
    gold = pd.DataFrame({"item_id": item.astype(str), "label": lab, "x": x, "y": y, "width": w, "height": h})
    parts = []
    for a in range(3):
        j = rng.normal(0, 2, (4, n_gold))
        parts.append(pd.DataFrame({"item_id": gold["item_id"], "annotator_id": f"a{a}", "label": lab,
                                   "x": np.clip(x + j[0], 0, None), "y": np.clip(y + j[1], 0, None),
                                   "width": w * np.exp(j[2] / 50), "height": h * np.exp(j[3] / 50)}))
    return pd.concat(parts, ignore_index=True), gold


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    load0 = os.getloadavg()[0]  # the machine may be shared: its load before and after is part of the figure
    boxes, gold = make(n)
    # wall clock and this process's CPU time (on a shared machine the CPU time is the fairer figure)
    t, c = time.perf_counter(), time.process_time()
    r = box_agreement(boxes, n_boot=200)
    t_agree, c_agree = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    acc = detection_accuracy(boxes, gold, by=["label"])
    t_acc, c_acc = time.perf_counter() - t, time.process_time() - c
    print(f"{len(boxes):,} boxes, {boxes['item_id'].nunique():,} items: agreement {t_agree:.1f} s wall / "
          f"{c_agree:.1f} s CPU (mean F1 {r['overall']['mean']:.3f}, mean IoU {r['overall']['mean_iou']:.3f}); "
          f"accuracy vs gold {t_acc:.1f} s wall / {c_acc:.1f} s CPU "
          f"(recall car {acc.set_index('label').loc['car', 'recall']:.3f}); 1-min load average {load0:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores")
