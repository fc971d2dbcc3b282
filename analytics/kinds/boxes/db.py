"""The boxes kind from the database: the scope's boxes and gold boxes with image sizes (``sql/boxes_*.sql``, bound
parameters), finished by the same metrics as the file CLI (:mod:`.agreement`, :mod:`.accuracy`), so the database
path and the file path give the same JSON on the same data.

Boxes are compared in the project's one unit (``px`` or ``percent``); a scope mixing units is an error.
``scope``: an :class:`analytics.filters.Filters` (project, dates, team, split, batch) or a project id.
"""
from __future__ import annotations

import pandas as pd

from analytics.db import query_df
from analytics.io.ingest.kind_support import scope_params
from analytics.metrics.results import NoData

__all__ = ["boxes_from_db", "gold_boxes_from_db", "label_counts_from_db", "box_agreement_from_db",
           "box_accuracy_from_db", "box_reviews_from_db", "reviewed_boxes_from_db"]


def _frame(df: pd.DataFrame, what: str) -> pd.DataFrame:
    units = set(df.loc[df["label"].notna(), "unit"].dropna())
    if len(units) > 1:
        raise ValueError(f"{what} of this scope mix units ({', '.join(sorted(units))}): boxes are compared in one "
                         "unit per project")
    pct = df["unit"].eq("percent")
    df = df.copy()
    for c in ("image_width", "image_height"):  # percent boxes: the image is 100 x 100
        df[c] = pd.to_numeric(df[c]).where(~pct, 100.0)
    return df.drop(columns="unit")


def boxes_from_db(engine, scope) -> pd.DataFrame:
    """The box frame (``item_id, annotator_id, label, x, y, width, height, image_width, image_height``)."""
    return _frame(query_df(engine, "boxes_regions", **scope_params(scope)), "boxes")


def gold_boxes_from_db(engine, scope, reviewed: bool = True) -> pd.DataFrame:
    """The reference boxes of the scope's images, with ``source``: the gold boxes (``gold``) and, with ``reviewed``,
    on images without gold the boxes of the annotator whose every box there was reviewed, as reviewed (``review``;
    ``sql/box_review_reference.sql``, which also names ``reviewed_annotator``). What the accuracy figures and the
    gate's gold-based checks compare annotations with: a reviewer's verdicts adjudicate the images gold misses."""
    gold = query_df(engine, "boxes_gold", **scope_params(scope)).assign(source="gold", reviewed_annotator=None)
    if reviewed:
        ref = query_df(engine, "box_review_reference", **scope_params(scope)).assign(source="review")
        if len(ref):
            gold = pd.concat([gold, ref[gold.columns]] if len(gold) else [ref[gold.columns]], ignore_index=True)
    return _frame(gold, "gold boxes")


def box_reviews_from_db(engine, scope) -> pd.DataFrame:
    """The latest review of each box of the scope (``sql/boxes_reviews.sql``)."""
    return query_df(engine, "boxes_reviews", **scope_params(scope))


def reviewed_boxes_from_db(engine, scope) -> pd.DataFrame:
    """The scope's boxes as reviewed (:func:`analytics.kinds.region_reviews.apply_reviews`)."""
    from analytics.kinds.region_reviews import apply_reviews

    return apply_reviews(boxes_from_db(engine, scope), box_reviews_from_db(engine, scope),
                         ("x", "y", "width", "height"))


def label_counts_from_db(engine, scope) -> pd.DataFrame:
    """``label, n_annotated, n_items, n_annotators, n_gold`` of the scope."""
    return query_df(engine, "boxes_label_counts", **scope_params(scope))


def box_agreement_from_db(engine, scope, iou: float = 0.5, n_boot: int = 1000, seed: int = 0) -> dict:
    """The JSON of ``labelqa agreement FILE --kind boxes`` over the scope."""
    from analytics.kinds.boxes.agreement import box_agreement_json

    boxes = boxes_from_db(engine, scope)
    if boxes.empty:
        raise NoData("no boxes in this scope")
    return box_agreement_json(boxes, iou, n_boot, seed)


def box_accuracy_from_db(engine, scope, iou: float = 0.5) -> dict:
    """The JSON of ``labelqa accuracy FILE --gold GOLD --kind boxes`` over the scope's images with a reference
    (gold, or reviewed boxes where there is no gold: :func:`gold_boxes_from_db`)."""
    from analytics.kinds.boxes.accuracy import box_accuracy_json
    from analytics.kinds.region_reviews import on_reference

    boxes, gold = boxes_from_db(engine, scope), gold_boxes_from_db(engine, scope)
    if boxes.empty or gold.empty:
        raise NoData("no boxes" if boxes.empty else "no gold boxes on the images of this scope")
    return box_accuracy_json(on_reference(boxes, gold), gold, iou)
