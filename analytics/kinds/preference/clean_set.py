"""The clean set: the pairs a DPO trainer should get, and their export as ``prompt, chosen, rejected`` JSON Lines.

A unit (a pair on one dimension) is **clean** when, after the verdicts of flagged judges are left out:

1. its majority is not a tie and its margin ``|n_a - n_b| / n`` (signal.margins) is at least ``min_margin``,
   with at least ``min_votes`` votes;
2. the judges agree beyond chance on that dimension: the lower bound of the 95% bootstrap interval of
   Krippendorff's alpha (nominal, {a, b, tie}) of the dimension's remaining verdicts is above 0;
3. the two responses are not near-identical: token Jaccard of ``text_a``/``text_b`` below ``max_similarity``
   (pairs without texts pass);
4. with graded verdicts (``strength``, negative favours ``a``, positive ``b``) and ``min_strength`` given: the
   unit's **strength toward the chosen response** -- the mean of its graded verdicts' strengths signed toward the
   majority's side (a verdict for the other side counts negatively) -- is at least ``min_strength`` (a pair
   whose judges only "slightly" prefer one response is left out); units without any graded verdict pass;
5. no flagged judge's verdict counts: judges whose position or length test (``bias.judge_bias``, Holm-adjusted
   p < ``alpha``) flags them, plus any named in ``exclude``; and on one dimension, a model judge (``team``
   ``model``, :mod:`.judges`) whose agreement with the human majority there is not above chance (the Wilson
   interval's lower bound <= 0.5: the demo's model judge on safety).

:func:`clean_set` returns the clean units (``pair_id, dimension, category, chosen_side, margin, n_votes``) and
the counts per dimension and category (``weak``: units below ``min_strength``); :func:`write_jsonl` writes them: the **first line** is
``{"_metadata": {...}}`` (the rule, its parameters, the flagged judges, the counts; ``labelqa load`` and
``read_dpo_jsonl`` skip it), then one object per unit ``{"id": "<pair_id>/<dimension>", "prompt", "chosen",
"rejected", "pair_id", "dimension", "category", "chosen_response", "rejected_response", "margin", "n_votes"}``
(``chosen`` / ``rejected`` the texts; ``*_response`` the compared objects' ids), and with graded verdicts
``"strength"`` (the strength toward the chosen response) and ``"strength_n"`` (graded verdicts); the metadata
then says the scale observed and how the strength was used (``strength`` object), so a trainer can weight pairs
by it.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.kinds.preference.agreement import agreement
from analytics.kinds.preference.bias import judge_bias
from analytics.kinds.preference.shapes import check_judgments
from analytics.kinds.preference.signal import margins, token_jaccard

__all__ = ["RULE", "clean_set", "write_jsonl"]

RULE = ("non-tie majority with margin |n_a - n_b| / n >= {min_margin} and >= {min_votes} votes; the dimension's "
        "Krippendorff alpha lower 95% bound > 0; token Jaccard of the two texts < {max_similarity}; verdicts of "
        "flagged judges (position or length bias, Holm p < {alpha}; a model judge on a dimension where its agreement with "
        "the human majority is not above chance) left out")


STRENGTH_RULE = "; mean graded strength toward the chosen response >= {min_strength}"


def _strength(kept: pd.DataFrame, u: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per unit of ``u``: the mean strength of its graded verdicts signed toward the majority's side, and their n."""
    if "strength" not in kept.columns or not len(u):
        return np.full(len(u), np.nan), np.zeros(len(u), dtype=np.int64)
    g = kept[kept["strength"].notna()]
    agg = g.groupby(["dimension", "pair_id"])["strength"].agg(["sum", "size"])
    idx = pd.MultiIndex.from_frame(u[["dimension", "pair_id"]])
    tot, n = agg["sum"].reindex(idx).to_numpy(float), agg["size"].reindex(idx).fillna(0).to_numpy(np.int64)
    sign = np.select([u["majority"].to_numpy() == "b", u["majority"].to_numpy() == "a"], [1.0, -1.0], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, sign * tot / np.maximum(n, 1), np.nan), n


def clean_set(judgments: pd.DataFrame, pairs: pd.DataFrame | None = None, min_margin: float = 0.5,
              min_votes: int = 2, max_similarity: float = 0.9, alpha: float = 0.05, exclude=(),
              n_boot: int = 500, seed: int = 0, min_strength: float | None = None) -> dict:
    """``{"units": frame, "counts": frame, "by_category": frame, "flagged": [...], "dimensions": frame,
    "params": {...}, "rule": str}``; see the module docstring."""
    j = check_judgments(judgments)
    params = {"min_margin": float(min_margin), "min_votes": int(min_votes), "max_similarity": float(max_similarity),
              "alpha": float(alpha)}
    graded = "strength" in j.columns and bool(j["strength"].notna().any())
    if min_strength is not None:
        params["min_strength"] = float(min_strength)
    flagged = set(map(str, exclude))
    has_pos = "shown_first" in j.columns and j["shown_first"].notna().any()
    has_len = pairs is not None and "len_a" in pairs.columns
    if has_pos or has_len:
        jb = judge_bias(j if has_pos else j.drop(columns="shown_first", errors="ignore"),
                        pairs if has_len else None, alpha=alpha)
        flagged |= set(jb.loc[jb["flagged"], "annotator_id"].astype(str))
    kept = j[~j["annotator_id"].isin(flagged)]
    on_dim: list[dict] = []
    if "team" in judgments.columns:
        from analytics.kinds.preference.judges import model_judges, model_vs_humans

        models = [m for m in model_judges(judgments) if m not in flagged]
        if models:
            mv = model_vs_humans(kept.assign(team=judgments.loc[kept.index, "team"].to_numpy()), models, n_boot=0)
            bad = mv[~(mv["ci_low"] > 0.5)]
            on_dim = [{"judge": r.judge, "dimension": r.dimension, "agreement_with_humans": _py(r.agreement),
                       "ci_low": _py(r.ci_low), "n": int(r.n)} for r in bad.itertuples(index=False)]
            drop = pd.Series(False, index=kept.index)
            for r in on_dim:
                drop |= (kept["annotator_id"] == r["judge"]) & (kept["dimension"] == r["dimension"])
            kept = kept[~drop]
    u = margins(kept) if len(kept) else pd.DataFrame(columns=["dimension", "pair_id", "n", "majority", "margin"])
    alpha_k = (agreement(kept.assign(_dim=kept["dimension"]), by="_dim", metrics=("krippendorff_alpha",),
                         n_boot=n_boot, seed=seed).rename(columns={"_dim": "dimension"}) if len(kept) else
               pd.DataFrame(columns=["dimension", "value", "ci_low", "ci_high", "n"]))
    beyond = set(alpha_k.loc[alpha_k["ci_low"] > 0, "dimension"]) if len(alpha_k) else set()
    sim = pd.Series(np.nan, index=u["pair_id"].unique()) if len(u) else pd.Series(dtype=float)
    cat = pd.Series(None, index=sim.index, dtype=object)
    if pairs is not None and len(pairs):
        p = pairs.drop_duplicates("pair_id").set_index("pair_id")
        if "text_a" in p.columns and "text_b" in p.columns:
            s = pd.Series(token_jaccard(p["text_a"], p["text_b"]), index=p.index)
            sim = s.reindex(sim.index)
        if "category" in p.columns:
            cat = p["category"].reindex(sim.index)
    u = u.assign(similarity=sim.reindex(u["pair_id"]).to_numpy(), category=cat.reindex(u["pair_id"]).to_numpy())
    strength, strength_n = _strength(kept, u)
    u = u.assign(strength=strength, strength_n=strength_n)
    ok_major = u["majority"].isin(["a", "b"]) & (u["margin"] >= min_margin) & (u["n"] >= min_votes)
    ok_dim = u["dimension"].isin(beyond)
    ok_sim = ~(u["similarity"] >= max_similarity)
    ok_str = ~(u["strength"] < min_strength) if min_strength is not None else pd.Series(True, index=u.index)
    clean = ok_major & ok_dim & ok_sim & ok_str
    units = u[clean].rename(columns={"majority": "chosen_side", "n": "n_votes"})[
        ["pair_id", "dimension", "category", "chosen_side", "margin", "n_votes", "similarity", "strength",
         "strength_n"]].reset_index(drop=True)
    all_units = j.drop_duplicates(["dimension", "pair_id"])[["dimension", "pair_id"]]
    all_units = all_units.assign(category=cat.reindex(all_units["pair_id"]).to_numpy() if len(cat) else None)
    cl = units.groupby("dimension").size()
    tot = all_units.groupby("dimension").size()
    counts = pd.DataFrame({"dimension": tot.index, "units": tot.to_numpy(),
                           "clean": cl.reindex(tot.index).fillna(0).astype(int).to_numpy()})
    counts["share"] = counts["clean"] / counts["units"]
    for name, mask in (("tie_or_low_margin", ~ok_major), ("near_identical", ~ok_sim),
                       ("dimension_at_chance", ~ok_dim), ("weak", ~ok_str)):
        counts[name] = u[mask].groupby("dimension").size().reindex(counts["dimension"]).fillna(0).astype(int).to_numpy()
    bc = (all_units.assign(category=all_units["category"].fillna("(none)"))
          .groupby(["dimension", "category"]).size().rename("units").reset_index())
    bcc = units.assign(category=units["category"].fillna("(none)")).groupby(["dimension", "category"]).size()
    bc["clean"] = bcc.reindex(pd.MultiIndex.from_frame(bc[["dimension", "category"]])).fillna(0).astype(int).to_numpy()
    bc["share"] = bc["clean"] / bc["units"]
    rule = RULE.format(**params) + (STRENGTH_RULE.format(**params) if min_strength is not None else "")
    scale = None
    if graded:
        st = j["strength"].dropna()
        scale = {"observed": [_py(float(st.min())), _py(float(st.max()))], "graded_verdicts": int(len(st)),
                 "min_strength": params.get("min_strength"),
                 "use": "each record's strength = mean graded strength of its verdicts signed toward the chosen "
                        "response (negative strengths favour a); "
                        + ("pairs below min_strength left out" if min_strength is not None else "no pair left out "
                           "by strength") + "; usable as a per-pair weight"}
    return {"units": units, "counts": counts, "by_category": bc, "flagged": sorted(flagged), "flagged_on": on_dim,
            "dimensions": alpha_k, "params": params, "rule": rule, "strength": scale}


def _records(result: dict, pairs: pd.DataFrame | None):
    units = result["units"]
    p = pairs.drop_duplicates("pair_id").set_index("pair_id") if pairs is not None else pd.DataFrame()

    def col(c):
        return p[c].reindex(units["pair_id"]).to_numpy() if c in p.columns else np.full(len(units), None)

    a_side = units["chosen_side"].to_numpy() == "a"
    ta, tb, ra, rb, prompt = col("text_a"), col("text_b"), col("response_a"), col("response_b"), col("prompt")
    graded = result.get("strength") is not None
    for i, r in enumerate(units.itertuples(index=False)):
        rec = {"id": f"{r.pair_id}/{r.dimension}", "prompt": _py(prompt[i]),
               "chosen": _py(ta[i] if a_side[i] else tb[i]), "rejected": _py(tb[i] if a_side[i] else ta[i]),
               "pair_id": r.pair_id, "dimension": r.dimension, "category": _py(r.category),
               "chosen_response": _py(ra[i] if a_side[i] else rb[i]),
               "rejected_response": _py(rb[i] if a_side[i] else ra[i]),
               "margin": round(float(r.margin), 6), "n_votes": int(r.n_votes)}
        if graded:
            rec["strength"] = None if r.strength != r.strength else round(float(r.strength), 6)
            rec["strength_n"] = int(r.strength_n)
        yield rec


def _py(v):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def metadata(result: dict, source: str | None = None) -> dict:
    """The export's ``_metadata`` object: rule, parameters, flagged judges, counts per dimension and category."""
    return {"format": "labelqa preference clean set (DPO: prompt, chosen, rejected)", "source": source,
            "rule": result["rule"], "params": result["params"], "flagged_judges": result["flagged"],
            "flagged_on_dimension": result.get("flagged_on", []), "strength": result.get("strength"),
            "counts": [{k: _py(v) for k, v in r.items()} for r in result["counts"].to_dict("records")],
            "by_category": [{k: _py(v) for k, v in r.items()} for r in result["by_category"].to_dict("records")]}


def write_jsonl(result: dict, pairs: pd.DataFrame | None, path: str | Path | None = None,
                source: str | None = None) -> str:
    """The JSON Lines text (first line ``{"_metadata": ...}``); written to ``path`` when given."""
    lines = [json.dumps({"_metadata": metadata(result, source)})]
    lines += [json.dumps(r) for r in _records(result, pairs)]
    text = "\n".join(lines) + "\n"
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
