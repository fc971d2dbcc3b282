"""Multi-label sets against gold sets (gold frame ``item_id, label``, one row per gold label; an item whose
gold set is empty has one row with an empty label). Per label: precision and recall of "label chosen"
(Wilson intervals); per group: Hamming accuracy (share of (item, label) decisions that agree with gold, over
the labels seen anywhere) and subset accuracy (share of annotated sets identical to gold); label
co-occurrence counts among the annotated sets."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.multilabel.agreement import label_sets
from analytics.metrics.results import wilson_interval

__all__ = ["multilabel_accuracy", "multilabel_accuracy_json", "cooccurrence"]


def _rate(num, den, name):
    lo, hi = wilson_interval(np.asarray(num, float), np.asarray(den, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.asarray(num, float) / np.asarray(den, float)
    return {name: v, f"{name}_ci_low": lo, f"{name}_ci_high": hi, f"n_{name}": np.asarray(den)}


def multilabel_accuracy(df: pd.DataFrame, gold: pd.DataFrame, by: str = "annotator_id") -> dict[str, pd.DataFrame]:
    """``{"per_label": ..., "per_group": ...}`` over annotated sets whose item has a gold set."""
    g = gold.assign(annotator_id="__gold__")
    units, X, labels = label_sets(pd.concat([df, g[["item_id", "annotator_id", "label"]]], ignore_index=True))
    is_gold = (units["annotator_id"] == "__gold__").to_numpy()
    gidx = pd.Series(np.flatnonzero(is_gold), index=units.loc[is_gold, "item_id"].to_numpy())
    ann = np.flatnonzero(~is_gold)
    pos = gidx.reindex(units["item_id"].to_numpy()[ann]).to_numpy()
    keep = ~np.isnan(pos)
    ann, pos = ann[keep], pos[keep].astype(np.int64)
    A, G = X[ann], X[pos]
    tp, n_pred, n_gold = (A & G).sum(0), A.sum(0), G.sum(0)
    per_label = pd.DataFrame({"label": labels, **_rate(tp, n_pred, "precision"), **_rate(tp, n_gold, "recall")})
    grp = units[by].to_numpy()[ann] if by in units.columns else df.set_index(["item_id", "annotator_id"])[by]
    codes, uniq = pd.factorize(grp)
    ham = np.bincount(codes, (A == G).sum(1), len(uniq))
    subset = np.bincount(codes, (A == G).all(1), len(uniq))
    n = np.bincount(codes, minlength=len(uniq))
    per_group = pd.DataFrame({by: uniq, **_rate(ham, n * X.shape[1], "hamming_accuracy"),
                              **_rate(subset, n, "subset_accuracy")})
    return {"per_label": per_label, "per_group": per_group}


def cooccurrence(df: pd.DataFrame) -> pd.DataFrame:
    """Square frame: how many annotated sets contain both labels (diagonal: sets containing the label)."""
    _, X, labels = label_sets(df)
    Xf = X.astype(np.int64)
    return pd.DataFrame(Xf.T @ Xf, index=labels, columns=labels)


def _num(v):
    if v is None or v is pd.NA or (isinstance(v, (float, np.floating)) and not np.isfinite(v)):
        return None
    return int(v) if isinstance(v, (int, np.integer)) else float(v)


def multilabel_accuracy_json(df: pd.DataFrame, gold: pd.DataFrame) -> dict:
    """The JSON of ``labelqa accuracy FILE --gold GOLD --kind multilabel``: Hamming and subset accuracy overall
    and per annotator, per-label precision and recall (Wilson intervals, n)."""
    r = multilabel_accuracy(df, gold, by="annotator_id")
    pg, pl = r["per_group"], r["per_label"]
    if pg.empty or int(pg["n_subset_accuracy"].sum()) == 0:
        from analytics.metrics.results import NoData
        raise NoData("no annotated item has a gold set: multi-label accuracy is undefined")
    ham = np.rint(pg["hamming_accuracy"].fillna(0) * pg["n_hamming_accuracy"]).sum()
    sub = np.rint(pg["subset_accuracy"].fillna(0) * pg["n_subset_accuracy"]).sum()
    overall = _rate([ham], [pg["n_hamming_accuracy"].sum()], "hamming_accuracy")
    overall.update(_rate([sub], [pg["n_subset_accuracy"].sum()], "subset_accuracy"))
    rec = lambda f, key: {str(x.pop(key)): {k: _num(v) for k, v in x.items()}  # noqa: E731
                          for x in f.to_dict("records")}
    return {"kind": "multilabel", "overall": {k: _num(np.asarray(v).ravel()[0]) for k, v in overall.items()},
            "per_label": rec(pl, "label"), "per_annotator": rec(pg, "annotator_id"),
            "method": "annotated sets against gold sets: Hamming accuracy over (item, label) decisions, subset "
                      "accuracy over sets, per-label precision and recall; Wilson 95% intervals"}
