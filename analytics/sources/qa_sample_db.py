"""QA sample planning from the database: the population per class or per (class, flag) stratum and the seeded
draws (the stratified one exports attributes, stratum, inclusion probability and weight per item)."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.frames import require_columns

__all__ = ["qa_population_from_db", "draw_qa_sample", "qa_strata_from_db", "draw_qa_strata_sample"]

def qa_population_from_db(engine: Engine, filters: Filters) -> pd.DataFrame:
    """Items per class for QA planning: ``label, population, items_with_gold`` (class = the item's majority
    label over its filtered annotations, ties -> lowest label)."""
    out = query_df(engine, "qa_population", **filters.params())
    for c in ("population", "items_with_gold"):
        out[c] = out[c].astype("int64")
    return out


def draw_qa_sample(engine: Engine, filters: Filters, plan: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Draw the planned QA sample: per class the first ``n`` items in a seeded pseudo-random order.

    ``plan``: ``label, n`` (e.g. from :func:`plan_qa_sample`). Items are classed by majority label (as in
    :func:`qa_population_from_db`) and ordered by ``md5(item_id || seed)`` in SQL, so the sample is the same for
    a seed on every run and every engine, and each class's sample is a simple random sample of its items.
    Returns ``item_id, label`` sorted by label then draw order.
    """
    require_columns(plan, ("label", "n"), "plan")
    want = plan.assign(n=pd.to_numeric(plan["n"], errors="coerce"))
    if want["n"].isna().any() or (want["n"] < 0).any():
        raise ValueError("plan column 'n' must hold non-negative counts")
    want = want[want["n"] > 0]
    if want.empty:
        return pd.DataFrame({"item_id": pd.Series([], dtype=object), "label": pd.Series([], dtype=object)})
    limits = dict(zip(want["label"].astype(str), want["n"].astype("int64")))
    cand = query_df(engine, "qa_sample_candidates", **filters.params(), labels=sorted(limits),
                    seed_text=str(int(seed)), max_n=int(max(limits.values())))
    keep = cand["rk"].to_numpy() <= cand["label"].astype(str).map(limits).to_numpy()
    return cand.loc[keep, ["item_id", "label"]].reset_index(drop=True)


_NONE = [""]  # an IN list that matches nothing (no class, annotator or key is the empty string)


def _flag_params(systematic_keys, drift_annotators) -> dict:
    return {"systematic_keys": sorted(systematic_keys) or _NONE, "drift_annotators": sorted(drift_annotators) or _NONE}


def qa_strata_from_db(engine: Engine, filters: Filters, systematic_keys: Sequence[str] = (),
                      drift_annotators: Sequence[str] = (), include_checked: bool = False) -> pd.DataFrame:
    """Items per QA stratum (class x flag, see ``sql/_qa_strata_items.sql``): ``label, flag, items,
    items_with_gold, items_reviewed, items_checked, population`` where ``population`` is what the planner may draw
    from: the items not yet checked (gold or reviewed), or all items with ``include_checked``."""
    out = query_df(engine, "qa_strata_population", **filters.params(),
                   **_flag_params(systematic_keys, drift_annotators))
    for c in ("items", "items_with_gold", "items_reviewed", "items_checked"):
        out[c] = out[c].astype("int64")
    out["population"] = out["items"] if include_checked else out["items"] - out["items_checked"]
    return out


def draw_qa_strata_sample(engine: Engine, filters: Filters, plan: pd.DataFrame, seed: int = 0,
                          systematic_keys: Sequence[str] = (), drift_annotators: Sequence[str] = (),
                          include_checked: bool = False) -> pd.DataFrame:
    """Draw the planned stratified QA sample: per (class, flag) stratum the first ``n`` of its eligible items in
    the seeded order ``md5(item_id || seed)`` (a simple random sample of the stratum, the same for a seed on every
    engine). ``plan``: :func:`analytics.metrics.qa_plan.plan_qa_strata` output (same keys and flags as the
    population it was planned on).

    Returns one row per sampled item, the export a reviewer needs to reweight the estimate: ``item_id, class,
    stratum, why_oversampled, inclusion_probability, weight, stratum_population, stratum_sample, already_gold,
    already_reviewed`` and one column per item attribute (``attr_<key>``), sorted by stratum then draw order.
    """
    require_columns(plan, ("label", "flag", "stratum", "population", "n", "inclusion_probability", "weight"), "plan")
    want = plan[pd.to_numeric(plan["n"], errors="coerce").fillna(0) > 0]
    cols = ["item_id", "class", "stratum", "why_oversampled", "inclusion_probability", "weight",
            "stratum_population", "stratum_sample", "already_gold", "already_reviewed"]
    if want.empty:
        return pd.DataFrame(columns=cols)
    cand = query_df(engine, "qa_strata_candidates", **filters.params(),
                    **_flag_params(systematic_keys, drift_annotators), labels=sorted(want["label"].astype(str).unique()),
                    seed_text=str(int(seed)), max_n=int(want["n"].max()), include_checked=int(bool(include_checked)))
    key = want.assign(label=want["label"].astype(str), flag=want["flag"].astype(str)).set_index(["label", "flag"])
    idx = pd.MultiIndex.from_arrays([cand["label"].astype(str), cand["flag"].astype(str)])
    limit = key["n"].reindex(idx).fillna(0).to_numpy()
    cand = cand[cand["rk"].to_numpy() <= limit]
    items = cand.drop_duplicates("item_id")[["item_id", "label", "flag", "has_gold", "reviewed", "rk"]]
    k = key.reindex(pd.MultiIndex.from_arrays([items["label"].astype(str), items["flag"].astype(str)]))
    out = pd.DataFrame({
        "item_id": items["item_id"].to_numpy(), "class": items["label"].to_numpy(),
        "stratum": k["stratum"].to_numpy(), "why_oversampled": k["why"].to_numpy() if "why" in k else None,
        "inclusion_probability": k["inclusion_probability"].to_numpy(float), "weight": k["weight"].to_numpy(float),
        "stratum_population": k["population"].to_numpy("int64"), "stratum_sample": k["n"].to_numpy("int64"),
        "already_gold": items["has_gold"].astype(bool).to_numpy(), "already_reviewed": items["reviewed"].astype(bool).to_numpy(),
    })
    attrs = cand[cand["attr_key"].notna()]
    if not attrs.empty:
        wide = attrs.pivot_table(index="item_id", columns="attr_key", values="attr_value", aggfunc="first")
        wide.columns = [f"attr_{c}" for c in wide.columns]
        out = out.join(wide, on="item_id")
    return out.reset_index(drop=True)
