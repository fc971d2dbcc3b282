"""Span agreement: pairwise F1 as bratiaa computes it (Kolditz et al. 2019, "bratiaa: inter-annotator agreement
for brat"), at instance or token level.

For each pair of annotators, pooled over the items both annotated: ``F1 = 2 TP / (n_first + n_second)``.
``match="exact"``: TP = spans identical in start, end and label (an annotator's duplicate spans count once, as
bratiaa's sets do). ``match="overlap"``: overlapping same-label spans, matched one-to-one maximising total
overlap IoU. ``unit="token"``: each span becomes the tokens it overlaps, each (token, label) one unit, TP the
multiset intersection (bratiaa ``exact_match_token_evaluation``). Mean and population SD over pairs, overall,
per label and per item; intervals: seeded bootstrap over md5 item buckets (:mod:`analytics.metrics.matching`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.spans.frames import check_spans
from analytics.kinds.spans.tokens import DEFAULT_TOKEN_PATTERN, span_tokens, tokenize
from analytics.metrics.matching import interval_iou, one_to_one, pair_stats, pairwise_f1, within_group_pairs
from analytics.metrics.results import NoData

__all__ = ["MATCHES", "UNITS", "span_pair_stats", "span_agreement", "span_agreement_json"]

MATCHES = ("exact", "overlap")
UNITS = ("instance", "token")


def _orient(df: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = df["annotator_id"].to_numpy()
    A, B = a[i], a[j]
    keep = A != B
    i, j, A, B = i[keep], j[keep], A[keep], B[keep]
    swap = A > B
    return np.where(swap, j, i), np.where(swap, i, j), keep


def _key(df: pd.DataFrame, cols: list[str]) -> np.ndarray:
    return pd.factorize(pd.MultiIndex.from_frame(df[cols]))[0]


def span_pair_stats(spans: pd.DataFrame, match: str = "exact", unit: str = "instance",
                    texts: pd.DataFrame | None = None, token_pattern: str = DEFAULT_TOKEN_PATTERN) -> pd.DataFrame:
    """Per (annotator pair, item, label) ``n_a, n_b, tp`` (see :func:`analytics.metrics.matching.pair_stats`)."""
    if match not in MATCHES:
        raise ValueError(f"match must be one of {MATCHES}, got {match!r}")
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    if unit == "token" and texts is None:
        raise ValueError("unit='token' needs texts (item_id, text)")
    sp = check_spans(spans, texts)
    sp = sp.assign(item_id=sp["item_id"].astype(str), annotator_id=sp["annotator_id"].astype(str))
    annotated = sp[["item_id", "annotator_id"]]
    sp = sp[sp["label"].notna()].assign(label=lambda d: d["label"].astype(str))
    sp = sp.drop_duplicates(["item_id", "annotator_id", "start", "end", "label"]).reset_index(drop=True)
    keys = ["item_id", "annotator_a", "annotator_b", "label"]
    if unit == "token":
        tok = span_tokens(sp, tokenize(texts.assign(item_id=texts["item_id"].astype(str)), token_pattern))
        units = tok.groupby(["item_id", "annotator_id", "label", "token"], observed=True).size().rename("c")
        units = units.reset_index()
        counts = units.groupby(["item_id", "annotator_id", "label"], observed=True)["c"].sum().rename("n")
        i, j = within_group_pairs(_key(units, ["item_id", "label", "token"]))
        i, j, _ = _orient(units, i, j)
        tp = np.minimum(units["c"].to_numpy()[i], units["c"].to_numpy()[j])
        m = pd.DataFrame({"item_id": units["item_id"].to_numpy()[i], "annotator_a": units["annotator_id"].to_numpy()[i],
                          "annotator_b": units["annotator_id"].to_numpy()[j], "label": units["label"].to_numpy()[i],
                          "tp": tp})
        return pair_stats(annotated, counts.reset_index(), m)
    counts = sp.groupby(["item_id", "annotator_id", "label"], observed=True).size().rename("n").reset_index()
    if match == "exact":
        i, j = within_group_pairs(_key(sp, ["item_id", "start", "end", "label"]))
        i, j, _ = _orient(sp, i, j)
        ok = np.ones(len(i), bool)
    else:
        i, j = within_group_pairs(_key(sp, ["item_id", "label"]))
        i, j, _ = _orient(sp, i, j)
        s, e = sp["start"].to_numpy(float), sp["end"].to_numpy(float)
        iou = interval_iou(s[i], e[i], s[j], e[j])
        cand = iou > 0
        i, j, iou = i[cand], j[cand], iou[cand]
        grp = pd.factorize(pd.MultiIndex.from_arrays([sp["item_id"].to_numpy()[i], sp["label"].to_numpy()[i],
                                                      sp["annotator_id"].to_numpy()[i],
                                                      sp["annotator_id"].to_numpy()[j]]))[0]
        ok = one_to_one(i, j, iou, grp)
    i, j = i[ok], j[ok]
    m = pd.DataFrame({"item_id": sp["item_id"].to_numpy()[i], "annotator_a": sp["annotator_id"].to_numpy()[i],
                      "annotator_b": sp["annotator_id"].to_numpy()[j], "label": sp["label"].to_numpy()[i],
                      "tp": np.ones(len(i), np.int64)})
    return pair_stats(annotated, counts, m)


def span_agreement(spans: pd.DataFrame, match: str = "exact", unit: str = "instance",
                   texts: pd.DataFrame | None = None, token_pattern: str = DEFAULT_TOKEN_PATTERN,
                   n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict:
    """Pairwise span F1: ``{"overall", "per_label", "per_item" (frame), "pairs" (frame)}``; each summary has
    ``mean, sd, ci_low, ci_high, n_pairs, n_items`` (dimensionless F1 in [0, 1])."""
    st = span_pair_stats(spans, match, unit, texts, token_pattern)
    if st.empty:
        raise NoData("no pair of annotators annotated a common item: span agreement is undefined")
    return pairwise_f1(st, n_boot=n_boot, seed=seed, confidence=confidence)


def span_agreement_json(spans: pd.DataFrame, match: str = "exact", unit: str = "instance",
                        texts: pd.DataFrame | None = None, token_pattern: str = DEFAULT_TOKEN_PATTERN,
                        n_boot: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict:
    """The JSON of ``labelqa agreement FILE --kind spans --json``."""
    r = span_agreement(spans, match, unit, texts, token_pattern, n_boot, seed, confidence)
    items = {str(row.item_id): {"mean": None if pd.isna(row.mean) else float(row.mean),
                                "sd": None if pd.isna(row.sd) else float(row.sd), "n_pairs": int(row.n_pairs)}
             for row in r["per_item"].itertuples(index=False)}
    return {"kind": "spans", "match": match, "unit": unit, "overall": r["overall"], "per_label": r["per_label"],
            "per_item": items,
            "method": f"pairwise F1 (Kolditz et al. 2019); {confidence:.0%} CI: percentile bootstrap over md5 "
                      f"item buckets ({n_boot} replicates, seed {seed})"}
