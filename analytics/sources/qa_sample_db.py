"""QA sample planning from the database: the population per class and the seeded draw."""
from __future__ import annotations

import pandas as pd
from sqlalchemy.engine import Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.frames import require_columns

__all__ = ["qa_population_from_db", "draw_qa_sample"]

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
