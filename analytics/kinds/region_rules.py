"""Quality rules of the region kinds (``KindSpec.rules`` of spans, boxes and multilabel), judged by the quality
layer's own verdict logic (``analytics.quality.checks._Builder``, ``labelqa.toml``) from the database.

====================== ===== ============================================================ ======================
rule                   dir   number (subject)                                              n
====================== ===== ============================================================ ======================
``region_f1``          min   pairwise F1 between annotators per class (``class <label>``,   items with a pair
                             class tier): spans identical (start, end, label), boxes
                             same-label one-to-one IoU >= 0.5 matches; bucket-bootstrap CI
``region_size_bias``   max   boxes: ``|mean log(area annotated / area gold)|`` of an        matched boxes
                             annotator's matched boxes (``annotator <id>``; 0.16 = 15%
                             smaller or larger in area); t interval mapped through ``|x|``
``region_miss_rate``   max   share of a class's gold regions an annotator left out          gold regions x
                             (``class <label>``; boxes: 1 - recall, spans: no overlapping   annotators who saw
                             span), Wilson interval; critical classes by default            them
``masi_alpha``         min   multilabel: Krippendorff's alpha with the MASI distance         items
                             (``overall``)
====================== ===== ============================================================ ======================

Gold-based rules (size bias, miss rate) compare the annotators' regions as drawn with the reference of each item:
its gold, or on an item without gold the reviewed regions of an annotator whose every region there was reviewed
(:mod:`analytics.kinds.region_reviews`); items with neither are left out. ``region_f1`` reads the regions as drawn.

Defaults (``analytics.quality.config_file.DEFAULTS``, repeated in ``labelqa.toml``): F1 judged on the interval's
lower bound, standard classes >= 0.70 (warn), critical >= 0.80 (fail); size bias <= 0.10 (fail, warn over 0.05)
on the lower bound of ``|bias|``; miss rate of critical classes <= 0.10 on the lower bound (fail); MASI alpha
>= 0.667 (warn under 0.80) on the lower bound. Gold-based rules are left out when the scope has no gold.
"""
from __future__ import annotations

import numpy as np

from analytics.kinds.region_reviews import on_reference, reference_note
from analytics.kinds.regions_db import scope_filters
from analytics.metrics.results import NoData

__all__ = ["evaluate_boxes", "evaluate_spans", "evaluate_multilabel", "abs_interval", "IOU"]

IOU = 0.5


def abs_interval(mean, lo, hi) -> tuple[float, float, float]:
    """``|x|`` of an estimate and its interval: (value, low, high); low is 0 when the interval holds 0."""
    if mean is None or not np.isfinite(mean):
        return np.nan, np.nan, np.nan
    low = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
    return abs(mean), low, max(abs(lo), abs(hi))


def _setup(con, project_id, scope, thresholds):
    from analytics.quality.checks import _Builder
    from analytics.quality.scope import batch_row, class_tiers
    from analytics.thresholds import load_thresholds

    th = thresholds or load_thresholds()
    f, label = scope_filters(project_id, scope)
    if f.batch_id is not None:  # the batches table, as the classification scope checks it
        batch_row(con, project_id, f.batch_id)
    return th, _Builder(th, project_id), class_tiers(con, project_id), f, label


def _f1_checks(b, per_label: dict, tiers: dict, what: str) -> None:
    for lab, r in sorted(per_label.items()):
        b.add("region_f1", f"class {lab}", r["mean"], r["ci_low"], r["ci_high"], r["n_items"],
              tier=tiers.get(lab, "standard"), kind="index",
              note=f"{what}; mean over {r['n_pairs']} annotator pairs (SD {r['sd']:.2f})" if r["sd"] is not None
              else what)


def _miss_checks(b, frame, tiers: dict, what: str) -> None:
    for r in frame.itertuples(index=False):
        b.add("region_miss_rate", f"class {r.label}", r.miss_rate, r.miss_rate_ci_low, r.miss_rate_ci_high,
              r.n_gold, tier=tiers.get(str(r.label), "standard"), note=what)


def _evaluation(project_id, label, b, th):
    from analytics.quality.checks import Evaluation

    return Evaluation(project_id=project_id, scope=label, checks=b.checks,
                      thresholds_path=str(th.path) if getattr(th, "path", None) else None)


def evaluate_boxes(con, project_id: str, scope=None, thresholds=None):
    """``KindSpec.rules`` of the boxes kind."""
    from analytics.kinds.boxes import db as bdb
    from analytics.kinds.boxes.accuracy import localisation_bias, miss_rates
    from analytics.kinds.boxes.agreement import box_agreement

    th, b, tiers, f, label = _setup(con, project_id, scope, thresholds)
    boxes = bdb.boxes_from_db(con, f)
    if boxes["label"].notna().sum() == 0:
        raise NoData(f"no boxes in project {project_id!r} for {label}")
    try:
        agr = box_agreement(boxes, IOU, n_boot=500)
        _f1_checks(b, agr["per_label"], tiers, f"same-label boxes matched one-to-one at IoU >= {IOU}")
    except NoData:
        pass  # no two annotators on one image: no agreement to judge
    gold = bdb.gold_boxes_from_db(con, f)  # gold + reviewed boxes on images without gold
    if gold["label"].notna().any():
        ref, boxes = reference_note(gold, "images"), on_reference(boxes, gold)
        lb = localisation_bias(boxes, gold, IOU, by=("annotator_id",))
        for r in lb.itertuples(index=False):
            v, lo, hi = abs_interval(r.log_area_ratio, r.log_area_ratio_ci_low, r.log_area_ratio_ci_high)
            b.add("region_size_bias", f"annotator {r.annotator_id}", v, lo, hi, r.n, kind="index",
                  note=f"area {100 * (r.area_ratio - 1):+.1f}% vs gold (95% CI "
                       f"{100 * (np.exp(r.log_area_ratio_ci_low) - 1):+.1f} to "
                       f"{100 * (np.exp(r.log_area_ratio_ci_high) - 1):+.1f}%) over {r.n} matched boxes; {ref}")
        _miss_checks(b, miss_rates(boxes, gold, IOU, by=("label",)), tiers,
                     f"gold boxes with no same-label IoU >= {IOU} match among an annotator's boxes; {ref}")
    return _evaluation(project_id, label, b, th)


def evaluate_spans(con, project_id: str, scope=None, thresholds=None):
    """``KindSpec.rules`` of the spans kind."""
    from analytics.kinds.spans import db as sdb
    from analytics.kinds.spans.accuracy import span_errors
    from analytics.kinds.spans.agreement import span_agreement

    th, b, tiers, f, label = _setup(con, project_id, scope, thresholds)
    spans = sdb.spans_from_db(con, f)
    if spans["label"].notna().sum() == 0:
        raise NoData(f"no spans in project {project_id!r} for {label}")
    try:
        agr = span_agreement(spans, n_boot=500)
        _f1_checks(b, agr["per_label"], tiers, "identical spans (start, end, label)")
    except NoData:
        pass
    gold = sdb.gold_spans_from_db(con, f)  # gold + reviewed spans on items without gold
    if gold["label"].notna().any():
        ref, spans = reference_note(gold, "items"), on_reference(spans, gold)
        # grouped by a copy of the label: span_errors' error kinds include one named "label"
        e = span_errors(spans.assign(cls=spans["label"]), gold.assign(cls=gold["label"]), by=("cls",))
        e = e[e["n_gold"].notna() & (e["n_gold"] > 0)].astype({"n_gold": int}).rename(columns={"cls": "label"})
        _miss_checks(b, e, tiers, f"gold spans no span of the annotator overlaps; {ref}")
    return _evaluation(project_id, label, b, th)


def evaluate_multilabel(con, project_id: str, scope=None, thresholds=None):
    """``KindSpec.rules`` of the multilabel kind."""
    from analytics.kinds.multilabel import db as mdb

    th, b, _tiers, f, label = _setup(con, project_id, scope, thresholds)
    try:
        r = mdb.multilabel_agreement_from_db(con, f, n_boot=500)
    except NoData as exc:
        raise NoData(f"no label sets in project {project_id!r} for {label}: {exc}") from exc
    o = r["overall"]
    b.add("masi_alpha", "overall", o.get("masi_alpha"), o.get("masi_alpha_ci_low"), o.get("masi_alpha_ci_high"),
          o.get("n_items"), kind="index", note=f"Krippendorff's alpha, MASI distance; {o.get('n_pairs')} pairs")
    return _evaluation(project_id, label, b, th)
