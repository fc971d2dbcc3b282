"""Human in the loop, no I/O: pre-label acceptance per annotator and the automation-bias test (the frame twin
of ``sql/prelabel_acceptance.sql`` and the shared finish)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import require_columns
from analytics.metrics.correlation import _reasons
from analytics.metrics.results import wilson_interval

__all__ = ["prelabel_acceptance", "prelabel_acceptance_counts"]

_PRELABEL_COUNTS = ("annotator_id", "n_prelabelled", "n_accepted", "n_wrong_suggestions", "n_wrong_accepted")


def prelabel_acceptance_counts(df: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """Per-annotator pre-label counts from a long frame (the DataFrame twin of ``sql/prelabel_acceptance.sql``).

    ``df``: ``item_id, annotator_id, label, model_suggestion`` (+ ``team``, ``source`` if present); rows without
    a suggestion and ``source == 'model_auto'`` rows are ignored. ``gold``: ``item_id, label``.
    """
    require_columns(df, ("item_id", "annotator_id", "label", "model_suggestion"), "annotations")
    require_columns(gold, ("item_id", "label"), "gold")
    d = df[df["model_suggestion"].notna()]
    if "source" in d.columns:
        d = d[d["source"].fillna("") != "model_auto"]
    g = d["item_id"].map(gold.set_index("item_id")["label"])
    has_gold = g.notna().to_numpy()
    accepted = (d["label"] == d["model_suggestion"]).to_numpy()
    wrong = has_gold & (d["model_suggestion"].to_numpy() != g.to_numpy())
    parts = pd.DataFrame({
        "annotator_id": d["annotator_id"].to_numpy(),
        "team": d["team"].to_numpy() if "team" in d.columns else None,
        "n_prelabelled": 1, "n_accepted": accepted.astype(int), "n_wrong_suggestions": wrong.astype(int),
        "n_wrong_accepted": (wrong & accepted).astype(int), "n_with_gold": has_gold.astype(int),
    })
    out = parts.groupby("annotator_id", sort=True).agg(
        team=("team", "max"), n_prelabelled=("n_prelabelled", "sum"), n_accepted=("n_accepted", "sum"),
        n_wrong_suggestions=("n_wrong_suggestions", "sum"), n_wrong_accepted=("n_wrong_accepted", "sum"),
        n_with_gold=("n_with_gold", "sum"))
    return out.reset_index()


def prelabel_acceptance(counts: pd.DataFrame, alpha: float = 0.05, min_n: int = 10) -> pd.DataFrame:
    """Pre-label acceptance per annotator and an automation-bias flag.

    ``counts``: ``annotator_id, n_prelabelled, n_accepted, n_wrong_suggestions, n_wrong_accepted`` (+ ``team``,
    ``n_with_gold``). Returns those plus:

    - ``acceptance_rate`` = n_accepted / n_prelabelled (``acc_ci_low/high``: Wilson 95%);
    - ``wrong_acceptance_rate`` = accepted suggestions that disagree with gold / suggestions that disagree with
      gold (``ci_low/high``: Wilson 95%) - how often a wrong pre-label survives;
    - ``peer_rate``: the same rate pooled over every other annotator;
    - ``p_value``: one-sided pooled two-proportion z-test, annotator rate > peer rate; ``p_adjusted``:
      Bonferroni over the annotators tested (those with ``n_wrong_suggestions >= min_n``);
    - ``automation_bias``: tested and ``p_adjusted < alpha``; ``reason`` when not tested.
    """
    require_columns(counts, _PRELABEL_COUNTS, "counts")
    out = counts.copy()
    for c in _PRELABEL_COUNTS[1:]:
        out[c] = out[c].fillna(0).astype(np.int64)
    n_pre, n_acc = out["n_prelabelled"].to_numpy(float), out["n_accepted"].to_numpy(float)
    n_w, n_wa = out["n_wrong_suggestions"].to_numpy(float), out["n_wrong_accepted"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["acceptance_rate"] = np.where(n_pre > 0, n_acc / n_pre, np.nan)
        out["wrong_acceptance_rate"] = np.where(n_w > 0, n_wa / n_w, np.nan)
        peer_n, peer_x = n_w.sum() - n_w, n_wa.sum() - n_wa
        peer = np.where(peer_n > 0, peer_x / peer_n, np.nan)
        pooled = (n_wa + peer_x) / (n_w + peer_n)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n_w + 1 / peer_n))
        z = (out["wrong_acceptance_rate"].to_numpy() - peer) / se
    out["acc_ci_low"], out["acc_ci_high"] = wilson_interval(n_acc, n_pre)
    out["ci_low"], out["ci_high"] = wilson_interval(n_wa, n_w)
    out["peer_rate"] = peer
    tested = (n_w >= min_n) & (peer_n > 0)
    p = np.where(tested, stats.norm.sf(np.nan_to_num(z, nan=0.0)), np.nan)
    # se == 0 happens when annotator and peers all accepted (or all rejected) every wrong suggestion: no evidence.
    p = np.where(tested & (se == 0), 1.0, p)
    m = max(int(tested.sum()), 1)
    out["p_value"] = p
    out["p_adjusted"] = np.minimum(p * m, 1.0)
    out["automation_bias"] = tested & (out["p_adjusted"].to_numpy() < alpha)
    reason = np.full(len(out), None, dtype=object)
    reason[~tested] = f"fewer than {min_n} wrong suggestions with gold"
    reason[n_pre == 0] = "no pre-labelled annotations"
    out["reason"] = _reasons(reason, out.index)
    first = ["annotator_id"] + (["team"] if "team" in out.columns else [])
    cols = first + ["n_prelabelled", "n_accepted", "acceptance_rate", "acc_ci_low", "acc_ci_high",
                    "n_wrong_suggestions", "n_wrong_accepted", "wrong_acceptance_rate", "ci_low", "ci_high",
                    "peer_rate", "p_value", "p_adjusted", "automation_bias", "reason"]
    return out[cols].sort_values("annotator_id", kind="stable").reset_index(drop=True)
