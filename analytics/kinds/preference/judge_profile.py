"""Each judge's profile for the annotator drill-down of a preference project (issue 12: "the annotator drill-down
shows each judge's biases and drift"). One row per judge (human or model), every share with its n and a Wilson
95% interval, tiny samples flagged:

* ``tie``: share of the judge's verdicts that are ties;
* ``first``: position bias, share of its non-tie verdicts with a position that chose the response shown first,
  exact binomial p against 0.5 and ``first_p_holm`` (Holm over the judges);
* ``longer``: length bias, share of its non-tie verdicts on pairs of different lengths that chose the longer
  response, exact p, Holm over the judges; ``length_slope`` with its Wald interval (:mod:`.length_control`);
* ``majority``: agreement with the others' majority: among its non-tie verdicts on units (a pair on one dimension)
  whose *other human* judges have a non-tie majority (more ``a`` than ``b`` among them), the share on the
  majority's side (model judges are nobody's peers, as in :mod:`.judges`);
* ``gold``: agreement with gold where known: share of its verdicts on gold units equal to the gold verdict;
* ``flip``: swap consistency (:mod:`.swap`): among the (pair, dimension) units the judge saw in both orders, the
  share whose verdict reversed (a <-> b; changes to or from tie are not flips), ``flip_n`` = such units (a column
  of the judges' table, not one of the drill-down's :data:`MEASURES` cards);
* drift against gold and against peers: :func:`.judges.judge_drift` (the classification drift test).

``flags`` names what a test found (position bias, length bias, drift vs gold / peers, Holm p < ``alpha``) and
``small`` the measures with n below ``small_n`` (shown, not hidden). :func:`judge_weekly` gives one judge's weekly
agreement with gold and with peers, each week with n and an interval, for the drill-down's trend.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.kinds.preference.bias import binom_p_half, holm
from analytics.kinds.preference.judges import judge_drift, model_judges, weekly_judge_counts
from analytics.kinds.preference.shapes import check_judgments
from analytics.metrics.results import wilson_interval

__all__ = ["MEASURES", "judge_profiles", "judge_weekly"]

MEASURES = {"tie": "ties", "first": "chose first-shown", "longer": "chose longer", "majority": "with others' majority",
            "gold": "with gold"}


def _share(f: pd.DataFrame, name: str, k: np.ndarray, n: np.ndarray, p_value: bool = False) -> None:
    k, n = np.asarray(k, float), np.asarray(n, float)
    lo, hi = wilson_interval(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        f[name] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    f[f"{name}_ci_low"], f[f"{name}_ci_high"] = np.atleast_1d(lo), np.atleast_1d(hi)
    f[f"{name}_n"] = n.astype(np.int64)
    if p_value:
        f[f"{name}_p"] = binom_p_half(k, n)
        f[f"{name}_p_holm"] = holm(f[f"{name}_p"].to_numpy())


def _others_majority(j: pd.DataFrame, models: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per verdict: ``(has, agree)``: the unit's other humans have a non-tie majority; the verdict is on its side."""
    key = ["dimension", "pair_id"]
    human = ~j["annotator_id"].isin(models).to_numpy()
    is_a = (j["choice"] == "a").to_numpy() & human
    is_b = (j["choice"] == "b").to_numpy() & human
    cnt = pd.DataFrame({"a": is_a.astype(int), "b": is_b.astype(int)}, index=pd.MultiIndex.from_frame(j[key]))
    tot = cnt.groupby(level=[0, 1]).transform("sum")
    oa = tot["a"].to_numpy() - is_a
    ob = tot["b"].to_numpy() - is_b
    has = (oa != ob) & (j["choice"] != "tie").to_numpy()
    side = np.where(oa > ob, "a", "b")
    return has, has & (j["choice"].to_numpy() == side)


def judge_profiles(judgments: pd.DataFrame, pairs: pd.DataFrame | None = None, gold: pd.DataFrame | None = None,
                   baseline_weeks: int = 8, alpha_drift: float = 0.01, alpha: float = 0.05, small_n: int = 30,
                   models: list[str] | None = None) -> pd.DataFrame:
    """One row per judge: ``annotator_id, team, model, verdicts, pairs``, the share columns of each of
    :data:`MEASURES` (``<m>, <m>_ci_low, <m>_ci_high, <m>_n``; ``first_p, first_p_holm, longer_p,
    longer_p_holm``), ``length_slope, length_slope_ci_low, length_slope_ci_high``, the drift columns
    (``drift_gold, drift_gold_start, drift_gold_baseline, drift_gold_recent, drift_gold_p, drift_gold_reason`` and
    the same for ``peers``), ``flags`` (list) and ``small`` (list of measures with n < ``small_n``)."""
    j = check_judgments(judgments)
    if "team" in judgments.columns:
        j["team"] = judgments["team"].to_numpy()
    models = model_judges(judgments) if models is None else list(models)
    codes, who = pd.factorize(j["annotator_id"], sort=True)
    m = len(who)
    f = pd.DataFrame({"annotator_id": who.astype(str)})
    f["team"] = (j.groupby("annotator_id")["team"].first().reindex(f["annotator_id"]).to_numpy()
                 if "team" in j.columns else None)
    f["model"] = f["annotator_id"].isin(models).to_numpy()
    f["verdicts"] = np.bincount(codes, minlength=m)
    f["pairs"] = j.groupby("annotator_id")["pair_id"].nunique().reindex(f["annotator_id"]).to_numpy()

    def count(mask):
        return np.bincount(codes[mask], minlength=m)

    tie = (j["choice"] == "tie").to_numpy()
    _share(f, "tie", count(tie), f["verdicts"].to_numpy())
    if "shown_first" in j.columns:
        pos = ~tie & j["shown_first"].notna().to_numpy()
        _share(f, "first", count(pos & (j["choice"] == j["shown_first"]).to_numpy()), count(pos), p_value=True)
    else:
        _share(f, "first", np.zeros(m), np.zeros(m), p_value=True)
    la = lb = np.full(len(j), np.nan)
    if pairs is not None and {"len_a", "len_b"} <= set(pairs.columns):
        lens = pairs.drop_duplicates("pair_id").set_index("pair_id")[["len_a", "len_b"]]
        la = pd.to_numeric(lens["len_a"], errors="coerce").reindex(j["pair_id"]).to_numpy(float)
        lb = pd.to_numeric(lens["len_b"], errors="coerce").reindex(j["pair_id"]).to_numpy(float)
    diff = ~tie & np.isfinite(la) & np.isfinite(lb) & (la != lb)
    longer = np.where(lb > la, "b", "a")
    _share(f, "longer", count(diff & (j["choice"].to_numpy() == longer)), count(diff), p_value=True)
    has, agree = _others_majority(j, models)
    _share(f, "majority", count(agree), count(has))
    if gold is not None and len(gold):
        g = gold.assign(dimension=gold["dimension"].fillna("overall") if "dimension" in gold.columns else "overall")
        gm = g.drop_duplicates(["pair_id", "dimension"]).set_index(["pair_id", "dimension"])["choice"].astype(str)
        gv = gm.reindex(pd.MultiIndex.from_frame(j[["pair_id", "dimension"]])).to_numpy(dtype=object)
        on_gold = pd.notna(gv)
        _share(f, "gold", count(on_gold & (j["choice"].to_numpy() == gv)), count(on_gold))
    else:
        _share(f, "gold", np.zeros(m), np.zeros(m))
    _flips(f, j)
    _slopes(f, j, pairs)
    _drift(f, j, gold, baseline_weeks, alpha_drift, models)
    flags, small = [], []
    for r in f.itertuples(index=False):
        fl = [w for w, p in (("position bias", r.first_p_holm), ("length bias", r.longer_p_holm)) if p < alpha]
        fl += [f"drift vs {a}" for a in ("gold", "peers") if bool(getattr(r, f"drift_{a}"))]
        flags.append(fl)
        small.append([MEASURES[k] for k in MEASURES if 0 < getattr(r, f"{k}_n") < small_n]
                     + (["flipped when swapped"] if 0 < r.flip_n < small_n else []))
    f["flags"], f["small"] = flags, small
    return f


def _flips(f: pd.DataFrame, j: pd.DataFrame) -> None:
    k = n = np.zeros(len(f))
    if "shown_first" in j.columns:
        from analytics.kinds.preference.swap import swap_from_counts, swap_unit_counts

        jd = swap_from_counts(swap_unit_counts(j))[1].set_index("annotator_id")
        k = jd["flips"].reindex(f["annotator_id"]).fillna(0).to_numpy(float)
        n = jd["n"].reindex(f["annotator_id"]).fillna(0).to_numpy(float)
    _share(f, "flip", k, n)


def _slopes(f: pd.DataFrame, j: pd.DataFrame, pairs: pd.DataFrame | None) -> None:
    cols = ("length_slope", "length_slope_ci_low", "length_slope_ci_high")
    for c in cols:
        f[c] = np.nan
    if pairs is None or not {"len_a", "len_b"} <= set(pairs.columns):
        return
    from analytics.kinds.preference.length_control import length_slope

    sl = length_slope(j, pairs, by="annotator_id")
    if len(sl):
        s = sl.set_index("group")
        for c, src in zip(cols, ("logistic_slope", "slope_ci_low", "slope_ci_high")):
            f[c] = s[src].reindex(f["annotator_id"]).to_numpy(float)


def _drift(f: pd.DataFrame, j: pd.DataFrame, gold, baseline_weeks: int, alpha: float, models) -> None:
    dr = (judge_drift(j, gold, baseline_weeks=baseline_weeks, alpha=alpha, models=models)
          if "created_at" in j.columns and j["created_at"].notna().any() else pd.DataFrame())
    for a in ("gold", "peers"):
        d = dr[dr["against"] == a].set_index("annotator_id") if len(dr) else pd.DataFrame()
        ids = f["annotator_id"]

        def col(c, fill):
            return d[c].reindex(ids).to_numpy() if len(d) and c in d.columns else np.full(len(ids), fill, dtype=object)

        f[f"drift_{a}"] = pd.Series(col("drift", False)).fillna(False).astype(bool).to_numpy()
        f[f"drift_{a}_start"] = col("start_week", None)
        f[f"drift_{a}_baseline"] = pd.to_numeric(pd.Series(col("baseline_acc", np.nan)), errors="coerce").to_numpy()
        f[f"drift_{a}_recent"] = pd.to_numeric(pd.Series(col("recent_acc", np.nan)), errors="coerce").to_numpy()
        f[f"drift_{a}_p"] = pd.to_numeric(pd.Series(col("p_value", np.nan)), errors="coerce").to_numpy()
        reason = col("reason", None)
        f[f"drift_{a}_reason"] = [("no gold verdicts" if a == "gold" else "no peers") if not len(d) or i not in d.index
                                  else r for i, r in zip(ids, reason)]


def judge_weekly(judgments: pd.DataFrame, gold: pd.DataFrame | None, judge: str,
                 models: list[str] | None = None) -> pd.DataFrame:
    """One judge's weeks: ``week, against`` (``gold`` / ``peers``), ``value, ci_low, ci_high, n`` (Wilson on the
    week's verdicts; against peers the successes are the summed peer shares, rounded)."""
    vs_gold, vs_peers = weekly_judge_counts(judgments, gold, models)
    out = []
    for name, w, col in (("gold", vs_gold, "correct"), ("peers", vs_peers, "agree")):
        w = w[w["annotator_id"] == judge]
        if not len(w):
            continue
        k, n = w[col].to_numpy(float), w["n"].to_numpy(float)
        lo, hi = wilson_interval(np.rint(k), n)
        out.append(pd.DataFrame({"week": pd.to_datetime(w["week"]).to_numpy(), "against": name, "value": k / n,
                                 "ci_low": lo, "ci_high": hi, "n": n.astype(np.int64)}))
    return (pd.concat(out, ignore_index=True) if out else
            pd.DataFrame(columns=["week", "against", "value", "ci_low", "ci_high", "n"]))
