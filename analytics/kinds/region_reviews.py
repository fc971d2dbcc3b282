"""Reviews of regions (issue 13): a reviewer accepts, rejects or corrects one span or box (``span_reviews`` /
``box_reviews``; the latest review of a region counts, ``sql/<kind>_reviews.sql``).

* :func:`apply_reviews`: the regions as reviewed, the dataset a delivery carries: rejected regions dropped (an
  annotator left with none on an item keeps an empty "saw it, marked nothing" row), corrected ones take the
  corrected label and geometry / offsets where given (NULL keeps the annotator's).
* :func:`on_reference` / :func:`reference_note`: what the accuracy figures and the gate's gold-based checks read.
  The reference of an item is its gold where it has gold, else the reviewed regions of the one annotator whose every
  region on it was reviewed (``sql/box_review_reference.sql``, ``sql/span_review_reference.sql``; the kinds'
  ``gold_*_from_db`` return both, ``source`` = ``gold`` / ``review``). Annotators are scored as they drew against
  it, so a reviewer's verdicts adjudicate their regions where gold is missing: an accepted region is correct, a
  rejected one spurious, a corrected one is scored against its correction (wrong label, wrong size or offsets).
  Items with neither gold nor a complete review are left out of the accuracy figures. Agreement between
  annotators reads the regions as drawn; a review of a region on an item with gold changes nothing (gold decides).
* :func:`review_summary`: per group (``annotator_id``, ``label``...): reviewed regions and the shares accepted,
  corrected and rejected (Wilson 95% intervals, n = reviewed regions).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics.results import wilson_interval

__all__ = ["VERDICTS", "apply_reviews", "review_summary", "on_reference", "reference_note"]

VERDICTS = ("accepted", "corrected", "rejected")


def apply_reviews(regions: pd.DataFrame, reviews: pd.DataFrame, geometry: tuple[str, ...]) -> pd.DataFrame:
    """``regions`` (with ``annotation_id``) after their latest review (``annotation_id, verdict, corrected_label``
    + the ``geometry`` columns, e.g. ``("x", "y", "width", "height")`` or ``("start", "end")``)."""
    if reviews.empty:
        return regions.copy()
    rv = reviews.drop_duplicates("annotation_id", keep="first").set_index("annotation_id")
    out = regions.copy()
    key = out["annotation_id"].astype(str)
    verdict = key.map(rv["verdict"].astype(str))
    fix = verdict.eq("corrected").to_numpy()
    for col, src in (("label", "corrected_label"), *((g, g) for g in geometry)):
        new = key.map(rv[src]) if src in rv.columns else pd.Series(np.nan, index=out.index)
        take = fix & new.notna().to_numpy()
        if take.any():
            out[col] = out[col].astype(object)
            out.loc[take, col] = new[take].to_numpy()
    rejected = verdict.eq("rejected").to_numpy()
    kept = out[~rejected]
    # an annotator whose every region on an item was rejected still saw the item: one empty row, as ingest records
    seen = out.loc[rejected, ["item_id", "annotator_id"]].drop_duplicates()
    left = seen.merge(kept[["item_id", "annotator_id"]].drop_duplicates(), how="left", indicator=True)
    empty = left[left["_merge"] == "left_only"].drop(columns="_merge")
    if len(empty):
        empty = empty.assign(**{c: None for c in out.columns if c not in ("item_id", "annotator_id")})
        kept = pd.concat([kept, empty[out.columns]], ignore_index=True)
    return kept.reset_index(drop=True)


def review_summary(regions: pd.DataFrame, reviews: pd.DataFrame, by=("annotator_id",)) -> pd.DataFrame:
    """Per group of the reviewed regions: ``n_reviewed`` and ``<verdict>_rate`` with ``_ci_low/_ci_high`` for
    accepted, corrected, rejected (``label`` = the annotator's label, before correction)."""
    by = list(by)
    d = regions[regions["label"].notna()].merge(
        reviews.drop_duplicates("annotation_id")[["annotation_id", "verdict"]], on="annotation_id")
    cols = [*by, "n_reviewed", *[f"{v}{s}" for v in VERDICTS for s in ("_rate", "_rate_ci_low", "_rate_ci_high")]]
    if d.empty:
        return pd.DataFrame(columns=cols)
    t = pd.crosstab([d[c] for c in by], d["verdict"]).reindex(columns=list(VERDICTS), fill_value=0)
    t["n_reviewed"] = t.sum(axis=1)
    for v in VERDICTS:
        lo, hi = wilson_interval(t[v].to_numpy(float), t["n_reviewed"].to_numpy(float))
        t[f"{v}_rate"], t[f"{v}_rate_ci_low"], t[f"{v}_rate_ci_high"] = t[v] / t["n_reviewed"], lo, hi
    return t.reset_index()[cols]


def on_reference(regions: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """The ``regions`` on items that have a reference (a gold or review row, a NULL-label row included): regions on
    other items are neither right nor wrong, so they count in no precision."""
    keep = regions["item_id"].astype(str).isin(set(reference["item_id"].astype(str)))
    return regions[keep.to_numpy()].reset_index(drop=True)


def reference_note(reference: pd.DataFrame, unit: str = "items") -> str:
    """``reference: gold on N <unit>, reviewed regions on M <unit> without gold`` (M part left out when 0)."""
    src = reference["source"] if "source" in reference.columns else pd.Series("gold", index=reference.index)
    n = reference.assign(_s=src.to_numpy()).groupby("_s")["item_id"].nunique()
    txt = f"reference: gold on {int(n.get('gold', 0)):,} {unit}"
    if n.get("review", 0):
        txt += f", reviewed regions on {int(n['review']):,} {unit} without gold"
    return txt
