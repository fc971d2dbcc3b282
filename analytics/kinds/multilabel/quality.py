"""Label sets per week and per annotator pair (the Agreement page of a multilabel project): Krippendorff's MASI
alpha (:func:`analytics.kinds.multilabel.agreement.multilabel_agreement_json`) within each group of items, with its
bootstrap interval over md5 item buckets and n."""
from __future__ import annotations

import pandas as pd

from analytics.kinds.multilabel.agreement import multilabel_agreement_json

__all__ = ["agreement_by", "pair_agreement"]

_COLS = ["label", "mean", "ci_low", "ci_high", "n_pairs", "n_items"]


def _rows(res: dict) -> list[dict]:
    o = res["overall"]
    out = [{"label": "", "mean": o["masi_alpha"], "ci_low": o["masi_alpha_ci_low"], "ci_high": o["masi_alpha_ci_high"],
            "n_pairs": o["n_pairs"], "n_items": o["n_items"]}]
    return out + [{"label": lab, "mean": v["alpha"], "ci_low": v["ci_low"], "ci_high": v["ci_high"],
                   "n_pairs": o["n_pairs"], "n_items": o["n_items"]} for lab, v in res["per_label"].items()]


def agreement_by(sets: pd.DataFrame, by: str = "week", n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Rows ``<by>, label ('' = MASI alpha of the sets; a label = its binary alpha), mean, ci_low, ci_high, n_pairs,
    n_items`` within each value of ``by``; a group with no item of two or more annotators is left out."""
    rows = []
    for key, part in sets.groupby(by, observed=True, sort=True):
        res = multilabel_agreement_json(part, n_boot=n_boot, seed=seed)
        if res["overall"]["n_items"] == 0:
            continue
        rows += [{by: key, **r} for r in _rows(res)]
    return pd.DataFrame(rows, columns=[by, *_COLS])


def pair_agreement(sets: pd.DataFrame, min_items: int = 1, n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """MASI alpha of each annotator pair over the items both labelled: ``annotator_a, annotator_b, value, ci_low,
    ci_high, n_items`` (pairs with fewer than ``min_items`` shared items left out)."""
    d = sets.astype({"item_id": str, "annotator_id": str})
    who = d.groupby("annotator_id")["item_id"].agg(lambda s: set(s))
    ids, rows = sorted(who.index), []
    for k, a in enumerate(ids):
        for b in ids[k + 1:]:
            shared = who[a] & who[b]
            if len(shared) < max(min_items, 1):
                continue
            part = d[d["annotator_id"].isin((a, b)) & d["item_id"].isin(shared)]
            o = multilabel_agreement_json(part, n_boot=n_boot, seed=seed)["overall"]
            rows.append({"annotator_a": a, "annotator_b": b, "value": o["masi_alpha"], "ci_low": o["masi_alpha_ci_low"],
                         "ci_high": o["masi_alpha_ci_high"], "n_items": len(shared)})
    return pd.DataFrame(rows, columns=["annotator_a", "annotator_b", "value", "ci_low", "ci_high", "n_items"])
