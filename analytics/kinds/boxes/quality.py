"""Boxes per week or team: pairwise IoU-matched F1 between annotators within each group of images
(:func:`analytics.kinds.boxes.agreement.box_agreement`), overall and per label, with its bootstrap interval."""
from __future__ import annotations

import pandas as pd

from analytics.kinds.boxes.agreement import box_agreement
from analytics.metrics.results import NoData

__all__ = ["agreement_by"]


def agreement_by(boxes: pd.DataFrame, by: str = "week", iou: float = 0.5, n_boot: int = 500,
                 seed: int = 0) -> pd.DataFrame:
    """Rows ``<by>, label ('' = overall), mean, sd, ci_low, ci_high, n_pairs, n_items, mean_iou``; a group whose
    images no two annotators share is left out."""
    rows = []
    for key, part in boxes.groupby(by, observed=True, sort=True):
        try:
            r = box_agreement(part, iou, n_boot=n_boot, seed=seed)
        except NoData:
            continue
        rows.append({by: key, "label": "", **r["overall"]})
        rows += [{by: key, "label": lab, **v} for lab, v in r["per_label"].items()]
    cols = [by, "label", "mean", "sd", "ci_low", "ci_high", "n_pairs", "n_items", "mean_iou"]
    return pd.DataFrame(rows).reindex(columns=cols)
