"""The review queue's database signals and its measured yield (issue 14 sec. 2).

:func:`queue_signals_from_db`: for the queued (flagged) items, the votes of the filtered annotations
(``sql/review_queue_votes.sql``) give the vote entropy and whether a flagged annotator gave the item its label;
a Dawid-Skene fit over the scope's multiply-annotated items (``sql/consensus_multi_annotations.sql``, skipped above
``ds_limit`` rows: the signal is then absent, and said so) gives the posterior of each item's winning label.
:func:`queue_yield_from_db`: reviews of the queued items' given labels (``sql/review_queue_yield.sql``) and of the
other reviewed scored items, finished by :func:`analytics.metrics.review_queue.queue_yield`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.label_errors import LabelErrors
from analytics.sources.label_errors_db import read_scoped as _read
from analytics.metrics.review_queue import queue_yield, vote_entropy

__all__ = ["DS_LIMIT", "queue_signals_from_db", "queue_yield_from_db"]

DS_LIMIT = 2_000_000  # rows of (item, annotator, label) above which the Dawid-Skene posterior is not fitted


def queue_signals_from_db(engine: Engine | Connection, filters: Filters, res: LabelErrors, n_classes: int,
                          flagged: list[str] = (), ds_limit: int = DS_LIMIT) -> pd.DataFrame:
    """One row per flagged item of ``res``: ``item_id, n_votes, vote_entropy, ds_posterior, flagged_period``
    (``ds_posterior`` NaN where Dawid-Skene was not fitted or the item has a single annotation: no signal;
    ``flagged_period`` 1 when an annotator in ``flagged`` gave the item its given label). ``attrs["ds"]`` says
    whether and on how many items Dawid-Skene was fitted."""
    items = [str(x) for x in res.issues["item_id"]]
    base = pd.DataFrame({"item_id": items})
    if not items:
        return base.assign(n_votes=0, vote_entropy=0.0, ds_posterior=np.nan, flagged_period=0.0)
    votes = _read(engine, "review_queue_votes", {**filters.params(), "queue_items": items})
    votes["item_id"] = votes["item_id"].astype(str)
    ent = vote_entropy(votes, n_classes)
    given = res.issues.set_index(res.issues["item_id"].astype(str))["given_label"].astype(str)
    gave = votes[votes["label"].astype(str).to_numpy() == given.reindex(votes["item_id"]).to_numpy()]
    by_flagged = gave[gave["annotator_id"].astype(str).isin(set(map(str, flagged)))]["item_id"].unique()
    out = base.assign(n_votes=base["item_id"].map(votes.groupby("item_id")["n"].sum()).fillna(0).astype(int),
                      vote_entropy=base["item_id"].map(ent).fillna(0.0),
                      flagged_period=base["item_id"].isin(set(by_flagged)).astype(float), ds_posterior=np.nan)
    from analytics.consensus import DawidSkene

    rows = query_df(engine, "consensus_multi_annotations", **filters.params())
    if rows.empty or len(rows) > ds_limit:
        out.attrs["ds"] = ("not fitted: no item has two annotations" if rows.empty else
                           f"not fitted: {len(rows):,} vote rows exceed {ds_limit:,} (narrow the filters)")
        return out
    ds = DawidSkene(max_iter=50, tol=1e-6).fit(rows, weight_col="n")
    post = ds.posteriors_.max(axis=1)
    post.index = post.index.astype(str)
    out["ds_posterior"] = out["item_id"].map(post)
    out.attrs["ds"] = f"fitted on {len(ds.posteriors_):,} multiply-annotated items ({ds.n_iter_} EM iterations)"
    return out


def queue_yield_from_db(engine: Engine | Connection, filters: Filters, run_id: str, res: LabelErrors,
                        picked=None, confidence: float = 0.95) -> dict:
    """:func:`analytics.metrics.review_queue.queue_yield` of the queue (the flagged items of ``res``) from the
    reviews in the database (re-imported with ``labelqa load reviews.csv``)."""
    rows = _read(engine, "review_queue_yield", {**filters.params(), "run_id": run_id,
                                                 "queue_items": [str(x) for x in res.issues["item_id"]]})
    return queue_yield(rows, picked, confidence)
