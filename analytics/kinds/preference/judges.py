"""Judges of a preference campaign: a model judge against the human majority (RLAIF), and each judge over time.

* **Model judge vs humans** (:func:`model_vs_humans`): per dimension and model judge, the units (a pair on one
  dimension) where the *human* verdicts have a non-tie majority (more ``a`` than ``b`` votes or the reverse, each
  human one vote as in :func:`.agreement.unit_votes`, at least ``min_humans`` humans) and the model gave a non-tie
  verdict; ``agreement`` = share of those where the model picks the majority's side, Wilson 95% interval, ``n``
  units (units are distinct pairs, so independent). Beside it the humans' own ``percent_without_ties`` (MT-Bench,
  bootstrap interval over pairs) on the same dimension: AI feedback may stand in for humans where the model agrees
  with the majority about as often as humans agree with each other, not where it falls far below (safety in the
  demo). ``model_tie_rate``: the model's share of ties on those units.
* **Per-judge drift** (:func:`weekly_judge_counts`, :func:`judge_drift`): per (Monday ``week``, judge) the
  verdicts on gold pairs that equal the gold verdict (``correct`` of ``n`` gold-scored) and the agreement with the
  judge's peers (``agree`` = sum over the judge's verdicts of the share of the *other* human judges of the unit
  with the same verdict, ``n`` verdicts with at least one peer); then the classification drift test,
  :func:`analytics.drift.annotator_drift` (one-sided two-proportion z-test of the last weeks against the judge's
  first weeks, CUSUM start week), on each series.

A judge is a **model** when its annotators row has ``team = 'model'`` (:data:`MODEL_TEAM`; the demo's
``llm_judge``), or when the caller names it. Frames are the judgments shape of :mod:`.shapes` plus ``team``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.preference.agreement import agreement, unit_votes
from analytics.kinds.preference.shapes import check_judgments
from analytics.metrics.results import wilson_interval

__all__ = ["MODEL_TEAM", "model_judges", "model_vs_humans", "weekly_judge_counts", "judge_drift"]

MODEL_TEAM = "model"


def model_judges(judgments: pd.DataFrame) -> list[str]:
    """Judges whose ``team`` is :data:`MODEL_TEAM` (case-insensitive); none without a ``team`` column."""
    if "team" not in judgments.columns:
        return []
    t = judgments["team"].astype("string").str.strip().str.lower()
    return sorted(judgments.loc[(t == MODEL_TEAM).fillna(False).to_numpy(dtype=bool), "annotator_id"]
                  .astype(str).unique().tolist())


def model_vs_humans(judgments: pd.DataFrame, models: list[str] | None = None, min_humans: int = 2,
                    n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Per (dimension, model judge): ``agreement, ci_low, ci_high, n, model_tie_rate, human_agreement,
    human_ci_low, human_ci_high, human_n, reason`` (see the module docstring)."""
    j = check_judgments(judgments)
    models = model_judges(judgments) if models is None else list(models)
    cols = ["dimension", "judge", "agreement", "ci_low", "ci_high", "n", "model_tie_rate", "human_agreement",
            "human_ci_low", "human_ci_high", "human_n", "reason"]
    if not models:
        return pd.DataFrame(columns=cols)
    is_model = j["annotator_id"].isin(models).to_numpy()
    humans = j[~is_model]
    hu = unit_votes(humans, checked=True)
    hu = hu[(hu["n_a"] + hu["n_b"] + hu["n_tie"] >= min_humans) & (hu["n_a"] != hu["n_b"])]
    hu = hu.assign(majority=np.where(hu["n_a"] > hu["n_b"], "a", "b"))[["dimension", "pair_id", "majority"]]
    hh = (agreement(humans.assign(_dim=humans["dimension"]), by="_dim", metrics=("percent_without_ties",),
                    n_boot=n_boot, seed=seed).set_index("_dim") if len(humans) else pd.DataFrame())
    rows = []
    for judge in models:
        one = unit_votes(j[j["annotator_id"] == judge], checked=True) if (j["annotator_id"] == judge).any() \
            else pd.DataFrame(columns=["dimension", "pair_id", "n_a", "n_b", "n_tie"])
        one = one.assign(verdict=np.select([one["n_a"] > 0, one["n_b"] > 0], ["a", "b"], "tie"))
        m = one.merge(hu, on=["dimension", "pair_id"], how="inner")
        dims = sorted(set(j["dimension"]))
        for d in dims:
            md = m[m["dimension"] == d]
            decided = md[md["verdict"] != "tie"]
            k, n = int((decided["verdict"] == decided["majority"]).sum()), len(decided)
            lo, hi = wilson_interval(k, n)
            h = hh.loc[d] if len(hh) and d in hh.index else None
            rows.append({
                "dimension": d, "judge": judge, "agreement": k / n if n else np.nan, "ci_low": float(lo),
                "ci_high": float(hi), "n": n, "model_tie_rate": (md["verdict"] == "tie").mean() if len(md) else np.nan,
                "human_agreement": np.nan if h is None else h["value"],
                "human_ci_low": np.nan if h is None else h["ci_low"],
                "human_ci_high": np.nan if h is None else h["ci_high"],
                "human_n": 0 if h is None else int(h["n"]),
                "reason": None if n else f"no pair with a non-tie human majority ({min_humans}+ humans) and a "
                                         f"non-tie verdict of {judge}"})
    return pd.DataFrame(rows, columns=cols)


def _weeks(ts: pd.Series) -> pd.Series:
    t = pd.to_datetime(ts, utc=True).dt.tz_convert(None)
    return t.dt.to_period("W-SUN").dt.start_time


def weekly_judge_counts(judgments: pd.DataFrame, gold: pd.DataFrame | None = None,
                        models: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(vs_gold, vs_peers)``: per (``week``, ``annotator_id``) ``correct, n`` against the gold verdicts and
    ``agree, n`` against the other human judges of the same unit (model judges are not anyone's peers)."""
    j = check_judgments(judgments)
    if "created_at" not in j.columns:
        raise ValueError("per-judge drift needs created_at in the judgments")
    models = model_judges(judgments) if models is None else list(models)
    j = j[j["created_at"].notna()].assign(week=lambda f: _weeks(f["created_at"]))
    empty_g = pd.DataFrame(columns=["week", "annotator_id", "correct", "n"])
    if gold is not None and len(gold):
        g = gold.rename(columns={"choice": "gold"})[["pair_id", "dimension", "gold"]].astype(str)
        m = j.merge(g, on=["pair_id", "dimension"], how="inner")
        vs_gold = (m.assign(correct=(m["choice"] == m["gold"]).astype(np.int64), n=1)
                   .groupby(["week", "annotator_id"], sort=True)[["correct", "n"]].sum().reset_index())
    else:
        vs_gold = empty_g
    # peers: per unit the human vote counts; a judge's peers are the unit's other humans
    human = ~j["annotator_id"].isin(models)
    key = ["dimension", "pair_id"]
    cnt = j[human].groupby([*key, "choice"]).size().unstack("choice", fill_value=0)
    for c in ("a", "b", "tie"):
        if c not in cnt.columns:
            cnt[c] = 0
    tot = cnt[["a", "b", "tie"]].sum(axis=1)
    idx = pd.MultiIndex.from_frame(j[key])
    same = cnt.reindex(idx)
    same_n = np.choose(pd.Categorical(j["choice"], categories=["a", "b", "tie"]).codes,
                       [same["a"].fillna(0).to_numpy(), same["b"].fillna(0).to_numpy(),
                        same["tie"].fillna(0).to_numpy()])
    total = tot.reindex(idx).fillna(0).to_numpy()
    own = human.to_numpy().astype(float)  # a human's own vote is in the counts; a model's is not
    peers = total - own
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (same_n - own) / peers
    ok = peers > 0
    vs_peers = (pd.DataFrame({"week": j["week"].to_numpy()[ok], "annotator_id": j["annotator_id"].to_numpy()[ok],
                              "agree": share[ok], "n": 1})
                .groupby(["week", "annotator_id"], sort=True)[["agree", "n"]].sum().reset_index())
    return vs_gold, vs_peers


def judge_drift(judgments: pd.DataFrame, gold: pd.DataFrame | None = None, baseline_weeks: int = 8,
                alpha: float = 0.01, min_n: int = 20, models: list[str] | None = None) -> pd.DataFrame:
    """The drift test of :func:`analytics.drift.annotator_drift` per judge, against gold (``against='gold'``) and
    against peers (``against='peers'``): its columns plus ``against``."""
    from analytics.metrics.drift import annotator_drift
    from analytics.metrics.results import NoData

    vs_gold, vs_peers = weekly_judge_counts(judgments, gold, models)
    out = []
    for name, w, col in (("gold", vs_gold, "correct"), ("peers", vs_peers, "agree")):
        if len(w):
            try:
                out.append(annotator_drift(w, baseline_weeks=baseline_weeks, alpha=alpha, min_n=min_n,
                                           success_col=col).assign(against=name))
            except NoData:
                pass
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
