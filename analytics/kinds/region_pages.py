"""What the shared Agreement, Stratified accuracy and Annotators pages show for a project of a region kind (boxes,
spans, multilabel; issue 13), computed with the kinds' own metrics (the Regions page and the region weekly report
use the same functions):

* :func:`scope_frames`: the scope's regions (or label sets), the reference (gold, or reviewed regions where no gold
  exists: ``source`` column), texts and item attributes;
* :func:`weekly_agreement`: per-label pairwise F1 (multilabel: MASI alpha of the sets, binary alpha per label) per
  week with bootstrap intervals;
* :func:`pair_agreement`: one figure per annotator pair (pooled pairwise F1 of matched regions, or MASI alpha of
  the pair's sets) with a bootstrap interval over md5 item buckets and the shared items;
* :func:`per_class`: per-class F1 (boxes, spans; bootstrap interval over item buckets) with precision and recall
  (Wilson), or per-label precision / recall of chosen labels (multilabel), against the reference;
* :func:`per_annotator`: each annotator's figures against the reference;
* :func:`reference_words`: which reference the figures are against.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analytics.metrics.agreement import BUCKET_IDS, item_bucket
from analytics.metrics.matching import N_BUCKETS, bucket_weights
from analytics.metrics.results import NoData

__all__ = ["REGION_KINDS", "scope_frames", "weekly_agreement", "pair_agreement", "per_class", "per_annotator",
           "reference_words"]

REGION_KINDS = ("boxes", "spans", "multilabel")
N_BOOT = 500


def scope_frames(engine, kind: str, filters) -> dict:
    """``{"regions", "reference", "texts", "items"}`` of a boxes / spans / multilabel scope; ``reference`` is gold
    plus, for boxes and spans, the reviewed regions of items without gold (``source`` = ``gold`` / ``review``)."""
    from analytics.kinds.regions_db import item_attributes

    texts = None
    if kind == "boxes":
        from analytics.kinds.boxes import db as mod

        regions, ref = mod.boxes_from_db(engine, filters), mod.gold_boxes_from_db(engine, filters)
    elif kind == "spans":
        from analytics.kinds.spans import db as mod

        regions, ref, texts = (mod.spans_from_db(engine, filters), mod.gold_spans_from_db(engine, filters),
                               mod.texts_from_db(engine, filters))
    else:
        from analytics.kinds.multilabel import db as mod

        regions, ref = mod.sets_from_db(engine, filters), mod.gold_sets_from_db(engine, filters).assign(source="gold")
    return {"regions": regions, "reference": ref, "texts": texts, "items": item_attributes(engine, filters.project_id)}


def has_reference(ref: pd.DataFrame) -> bool:
    """Whether any item has a reference (a gold set may be empty: its one row has no label)."""
    return len(ref) > 0


def reference_words(ref: pd.DataFrame) -> str:
    """``gold (N items)``, ``reviewed regions (N items without gold)`` or both, or ``no reference``."""
    if ref is None or ref.empty:
        return "no reference"
    src = ref.get("source", pd.Series("gold", index=ref.index)).fillna("gold")
    n = ref.assign(_s=src.to_numpy()).groupby("_s")["item_id"].nunique()
    parts = [f"gold ({int(n['gold']):,} items)"] if "gold" in n else []
    if "review" in n:
        parts.append(f"reviewed regions ({int(n['review']):,} items without gold, whose every region was reviewed)")
    return " + ".join(parts)


def on_reference(kind: str, regions: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    if kind == "multilabel":
        return regions[regions["item_id"].astype(str).isin(set(ref["item_id"].astype(str)))]
    from analytics.kinds.region_reviews import on_reference as _on

    return _on(regions, ref)


def weekly_agreement(kind: str, regions: pd.DataFrame, n_boot: int = 200) -> pd.DataFrame:
    """Rows ``week, label ('' = all labels), mean, ci_low, ci_high, n_pairs, n_items``."""
    if kind == "boxes":
        from analytics.kinds.boxes.quality import agreement_by
    elif kind == "spans":
        from analytics.kinds.spans.quality import agreement_by
    else:
        from analytics.kinds.multilabel.quality import agreement_by
    return agreement_by(regions, "week", n_boot=n_boot)


def _pair_stats(kind: str, regions: pd.DataFrame, iou: float = 0.5) -> pd.DataFrame:
    if kind == "boxes":
        from analytics.kinds.boxes.agreement import box_pair_stats

        return box_pair_stats(regions, iou)
    from analytics.kinds.spans.agreement import span_pair_stats

    return span_pair_stats(regions)


def pair_agreement(kind: str, regions: pd.DataFrame, n_boot: int = N_BOOT, seed: int = 0,
                   confidence: float = 0.95) -> pd.DataFrame:
    """``annotator_a, annotator_b, value, ci_low, ci_high, n_items, n_regions``: boxes / spans, the pair's pooled
    F1 = 2 TP / (regions of a + regions of b) over the items both annotated (as ``pairwise_f1``'s pairs) with a
    percentile bootstrap over md5 item buckets; multilabel, the pair's MASI alpha."""
    if kind == "multilabel":
        from analytics.kinds.multilabel.quality import pair_agreement as ml_pairs

        return ml_pairs(regions, n_boot=min(n_boot, 200), seed=seed).assign(n_regions=np.nan)
    st = _pair_stats(kind, regions)
    if st.empty:
        raise NoData("no pair of annotators annotated a common item")
    st = st.assign(tot=st["n_a"] + st["n_b"])
    key = pd.MultiIndex.from_arrays([st["annotator_a"].astype(str), st["annotator_b"].astype(str)])
    pc, pu = pd.factorize(key)
    bc = np.searchsorted(BUCKET_IDS, item_bucket(st["item_id"].astype(str)).to_numpy())
    tp, tot = np.zeros((len(pu), N_BUCKETS)), np.zeros((len(pu), N_BUCKETS))
    np.add.at(tp, (pc, bc), st["tp"].to_numpy(float))
    np.add.at(tot, (pc, bc), st["tot"].to_numpy(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(tot.sum(1) > 0, 2 * tp.sum(1) / tot.sum(1), np.nan)
    lo = hi = np.full(len(pu), np.nan)
    occupied = tot.sum(0) > 0
    if n_boot > 0 and occupied.sum() >= 2:
        W = bucket_weights(n_boot, occupied, seed)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            a = (1 - confidence) / 2
            lo, hi = np.nanquantile(2 * (W @ tp.T) / (W @ tot.T), [a, 1 - a], axis=0)
    n_items = st.groupby(pc)["item_id"].nunique().reindex(range(len(pu))).to_numpy()
    return pd.DataFrame({"annotator_a": [p[0] for p in pu], "annotator_b": [p[1] for p in pu], "value": value,
                         "ci_low": lo, "ci_high": hi, "n_items": n_items, "n_regions": tot.sum(1).astype(int)})


def per_class(kind: str, regions: pd.DataFrame, ref: pd.DataFrame, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Per label against the reference. Boxes / spans: ``label, f1, f1_ci_low, f1_ci_high, precision, recall,
    n_annotated, n_gold, n_items`` (the kinds' ``f1_vs_gold`` by label; spans: exact match). Multilabel: ``label,
    precision(_ci_low/_ci_high), n_precision, recall(...), n_recall`` of the chosen labels (Wilson)."""
    if kind == "multilabel":
        from analytics.kinds.multilabel.accuracy import multilabel_accuracy

        return multilabel_accuracy(on_reference(kind, regions, ref), ref)["per_label"]
    if kind == "boxes":
        from analytics.kinds.boxes.quality import f1_vs_gold

        d = f1_vs_gold(on_reference(kind, regions, ref), ref, by=("label",), n_boot=n_boot)
    else:
        from analytics.kinds.spans.quality import f1_vs_gold

        d = f1_vs_gold(on_reference(kind, regions, ref), ref, "instance", by=("label",), n_boot=n_boot)
    return _wilson(_wilson(d, "precision", "n_annotated"), "recall", "n_gold")


def _wilson(d: pd.DataFrame, rate: str, n: str) -> pd.DataFrame:
    """``<rate>_ci_low/_ci_high``: the Wilson 95% interval of ``rate`` over ``n`` (its successes recovered)."""
    from analytics.metrics.results import wilson_interval

    den = d[n].to_numpy(float)
    lo, hi = wilson_interval(np.rint(d[rate].fillna(0).to_numpy(float) * den), den)
    return d.assign(**{f"{rate}_ci_low": lo, f"{rate}_ci_high": hi})


def per_annotator(kind: str, regions: pd.DataFrame, ref: pd.DataFrame, texts=None, n_boot: int = N_BOOT) -> pd.DataFrame:
    """One row per annotator against the reference. Boxes: detection F1 (bootstrap interval), precision, recall,
    miss rate (Wilson) and the log area ratio of matched boxes (t interval). Spans: instance and token F1
    (bootstrap), error shares. Multilabel: Hamming and subset accuracy (Wilson)."""
    r = on_reference(kind, regions, ref)
    if kind == "multilabel":
        from analytics.kinds.multilabel.accuracy import multilabel_accuracy

        return multilabel_accuracy(r, ref)["per_group"]
    if kind == "boxes":
        from analytics.kinds.boxes.accuracy import localisation_bias
        from analytics.kinds.boxes.quality import f1_vs_gold

        f1 = f1_vs_gold(r, ref, by=("annotator_id",), n_boot=n_boot)
        lb = localisation_bias(r, ref, by=("annotator_id",))[["annotator_id", "log_area_ratio", "log_area_ratio_ci_low",
                                                              "log_area_ratio_ci_high", "n"]]
        return f1.merge(lb.rename(columns={"n": "n_matched"}), on="annotator_id", how="left")
    from analytics.kinds.spans.accuracy import span_errors
    from analytics.kinds.spans.quality import f1_vs_gold

    inst = f1_vs_gold(r, ref, "instance", by=("annotator_id",), n_boot=n_boot)
    tok = f1_vs_gold(r, ref, "token", texts=texts, by=("annotator_id",), n_boot=n_boot)
    tok = tok.rename(columns={"f1": "f1_token", "f1_ci_low": "f1_token_ci_low", "f1_ci_high": "f1_token_ci_high",
                              "n_annotated": "n_annotated_token", "n_gold": "n_gold_token"})
    d = inst.merge(tok[["annotator_id", "f1_token", "f1_token_ci_low", "f1_token_ci_high", "n_annotated_token",
                        "n_gold_token"]], on="annotator_id")
    err = span_errors(r, ref, by=("annotator_id",))
    keep = [c for c in err.columns if c == "annotator_id" or c.endswith("_rate") or c.endswith("_rate_ci_low")
            or c.endswith("_rate_ci_high")]
    return d.merge(err[keep], on="annotator_id", how="left")


def span_miss_rates(spans: pd.DataFrame, ref: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Reference spans an annotator of the item did not overlap at all (``span_errors``' misses), pooled by team x
    the item attribute with the fewest values (topic...): ``team, <attr>, miss_rate, miss_rate_ci_low,
    miss_rate_ci_high, n_gold`` (Wilson 95%)."""
    from analytics.kinds.spans.accuracy import span_errors
    from analytics.metrics.results import wilson_interval

    attrs = sorted((items[a].nunique(), a) for a in items.columns if a != "item_id" and items[a].nunique() <= 6)
    sp = on_reference("spans", spans, ref).assign(item_id=lambda d: d["item_id"].astype(str))
    team = (sp.drop_duplicates("annotator_id").set_index("annotator_id")["team"]
            if "team" in sp.columns and sp["team"].notna().any() else None)
    parts = []
    if attrs:
        attr = attrs[0][1]
        val = items.assign(item_id=items["item_id"].astype(str)).set_index("item_id")[attr]
        groups = [(v, sp[sp["item_id"].map(val) == v]) for v in sorted(val.dropna().unique())]
    else:
        attr, groups = None, [("", sp)]
    for v, part in groups:
        if part.empty:
            continue
        e = span_errors(part, ref, by=("annotator_id",))
        e = e[e["n_gold"].fillna(0) > 0]
        e = e.assign(missed=np.rint(e["miss_rate"] * e["n_gold"]),
                     team=e["annotator_id"].map(team) if team is not None else "all annotators")
        g = e.groupby("team", dropna=False)[["missed", "n_gold"]].sum().reset_index()
        parts.append(g.assign(**({attr: v} if attr else {})))
    if not parts:
        return pd.DataFrame(columns=["team", "miss_rate", "miss_rate_ci_low", "miss_rate_ci_high", "n_gold"])
    d = pd.concat(parts, ignore_index=True)
    lo, hi = wilson_interval(d["missed"].to_numpy(float), d["n_gold"].to_numpy(float))
    keys = ["team", *([attr] if attr else [])]
    return d.assign(miss_rate=d["missed"] / d["n_gold"], miss_rate_ci_low=lo, miss_rate_ci_high=hi)[
        [*keys, "miss_rate", "miss_rate_ci_low", "miss_rate_ci_high", "n_gold"]].astype({"n_gold": int})
