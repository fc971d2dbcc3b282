"""The dashboard's data path on a big database: ours (SQL sufficient statistics + Python finishing) against
the peer approach (pull the filtered annotation table into pandas, then compute per group with the peer
libraries).

Two pages' numbers, each a case of its own:

* ``page_agreement_week``: Krippendorff's alpha (nominal) per week of the main project.
  Ours: ``analytics.agreement.agreement_from_db(engine, filters, metric='krippendorff', by='week')`` with
  its default 1000-replicate bucket bootstrap (what the Agreement page calls). Peers: the filtered
  annotations (the same ``fa`` CTE, ``sql/_filtered_annotations.sql``, so the same rows) pulled into
  pandas, then per week ``krippendorff.alpha``. A unit is an item within a week (an item's annotations made
  in that week), exactly as ours groups it.
* ``page_accuracy_class``: accuracy against gold per gold class.
  Ours: ``analytics.accuracy.accuracy_from_db(engine, filters, by='gold_label')`` (counts in SQL, Wilson
  interval in numpy). Peers: the filtered annotations and ``gold_labels`` pulled into pandas, merged,
  ``groupby('gold_label')``, Wilson interval with ``statsmodels.stats.proportion.proportion_confint``.

Two pull routes for the peers: ``pd.read_sql`` through the SQLAlchemy engine (the generic route every
database offers) and DuckDB's native Arrow fetch ``.df()`` (the fastest way to get a DuckDB table into
pandas). The values compared: per-group point estimates and the counts (and for accuracy the Wilson bounds).
Every database is opened read-only.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["PAGE_IMPLS", "PAGE_METRICS", "PROJECT", "page_impls_for"]

PROJECT = "streetscene"
Values = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class PageImpl:
    key: str
    metric: str
    label: str
    ours: bool
    setup: Callable[..., Callable[[Any], Values]]
    note: str = ""


def _filters():
    from analytics.filters import Filters

    return Filters(project_id=PROJECT)


def _peer_sql(columns: str) -> str:
    """``WITH fa AS (<the shared filtered-annotations CTE>) SELECT <columns> FROM fa``: static project text,
    every value stays a bound parameter."""
    from analytics.db import sql_text

    return "WITH\n" + sql_text("_filtered_annotations") + f"\nSELECT {columns} FROM fa"


def _engine(db: str):
    from analytics.db import make_engine

    return make_engine(f"duckdb:///{db}", read_only=True)


def _read_sql(engine, sql: str, params: dict) -> pd.DataFrame:
    from sqlalchemy import text

    with engine.connect() as con:
        return pd.read_sql(text(sql), con, params=params)


def _read_native(db: str, sql: str, params: dict) -> pd.DataFrame:
    """DuckDB's own client with its Arrow-backed ``.df()``; named ``$param`` placeholders."""
    import duckdb
    import re

    native = re.sub(r"(?<!:):(\w+)", r"$\1", sql)
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(native, params).df()
    finally:
        con.close()


def _week_key(s: pd.Series) -> np.ndarray:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)


# --------------------------------------------------------------------------- agreement by week

def _alpha_values(weeks: np.ndarray, alpha: np.ndarray, n_items: np.ndarray) -> Values:
    order = np.argsort(weeks)
    return {"week": weeks[order].astype(str), "value": alpha[order].astype(float),
            "n_items": n_items[order].astype(np.int64)}


def _ours_agreement(db: str):
    from analytics.agreement import agreement_from_db

    engine, filters = _engine(db), _filters()

    def run(_inp) -> Values:
        out = agreement_from_db(engine, filters, metric="krippendorff", by="week")
        return _alpha_values(_week_key(out["week"]), out["value"].to_numpy(dtype=float),
                             out["n_items"].to_numpy())
    return run


def _peer_alpha_per_week(df: pd.DataFrame, route: str) -> Values:
    """Per week: keep items with >= 2 annotations that week, then ``krippendorff.alpha`` (nominal)."""
    import krippendorff

    weeks, alphas, n_items = [], [], []
    for week, g in df.groupby("week", sort=True):
        g = g[g.groupby("item_id")["item_id"].transform("size") >= 2]
        if route == "pivot":
            codes = pd.factorize(g["label"], sort=True)[0].astype(float)
            rd = (pd.DataFrame({"c": g["annotator_id"].to_numpy(), "u": g["item_id"].to_numpy(), "v": codes})
                  .pivot_table(index="c", columns="u", values="v", aggfunc="first").to_numpy())
            a = krippendorff.alpha(reliability_data=rd, level_of_measurement="nominal")
        else:
            item = pd.factorize(g["item_id"])[0]
            lab, labels = pd.factorize(g["label"], sort=True)
            k = len(labels)
            vc = np.bincount(item * k + lab, minlength=(item.max() + 1) * k).reshape(-1, k)
            a = krippendorff.alpha(value_counts=vc, level_of_measurement="nominal")
        weeks.append(str(pd.Timestamp(week).date()))
        alphas.append(float(a))
        n_items.append(g["item_id"].nunique())
    return _alpha_values(np.array(weeks, dtype=object), np.array(alphas), np.array(n_items))


_AGREEMENT_COLUMNS = "item_id, annotator_id, label, week"


def _peer_agreement_read_sql(db: str):
    import krippendorff  # noqa: F401

    engine, params = _engine(db), _filters().params()
    sql = _peer_sql(_AGREEMENT_COLUMNS)

    def run(_inp) -> Values:
        return _peer_alpha_per_week(_read_sql(engine, sql, params), route="pivot")
    return run


def _peer_agreement_native(db: str):
    import krippendorff  # noqa: F401

    params = _filters().params()
    sql = _peer_sql(_AGREEMENT_COLUMNS)

    def run(_inp) -> Values:
        return _peer_alpha_per_week(_read_native(db, sql, params), route="counts")
    return run


# --------------------------------------------------------------------------- accuracy by gold class

def _accuracy_values(labels, correct, n, n_items, low, high) -> Values:
    labels = np.asarray(labels, dtype=object).astype(str)
    order = np.argsort(labels)
    return {"gold_label": labels[order], "correct": np.asarray(correct, dtype=np.int64)[order],
            "n": np.asarray(n, dtype=np.int64)[order], "n_items": np.asarray(n_items, dtype=np.int64)[order],
            "accuracy": (np.asarray(correct, float) / np.asarray(n, float))[order],
            "ci_low": np.asarray(low, float)[order], "ci_high": np.asarray(high, float)[order]}


def _ours_accuracy(db: str):
    from analytics.accuracy import accuracy_from_db

    engine, filters = _engine(db), _filters()

    def run(_inp) -> Values:
        out = accuracy_from_db(engine, filters, by="gold_label")
        return _accuracy_values(out["gold_label"], out["correct"], out["n"], out["n_items"],
                                out["ci_low"], out["ci_high"])
    return run


def _peer_accuracy(ann: pd.DataFrame, gold: pd.DataFrame) -> Values:
    from statsmodels.stats.proportion import proportion_confint

    m = ann.merge(gold.rename(columns={"label": "gold_label"}), on="item_id", how="inner")
    m["correct"] = m["label"] == m["gold_label"]
    g = m.groupby("gold_label").agg(correct=("correct", "sum"), n=("correct", "size"),
                                    n_items=("item_id", "nunique"))
    low, high = proportion_confint(g["correct"].to_numpy(), g["n"].to_numpy(), alpha=0.05, method="wilson")
    return _accuracy_values(g.index.to_numpy(), g["correct"], g["n"], g["n_items"], low, high)


_GOLD_SQL = "SELECT item_id, label FROM gold_labels"


def _peer_accuracy_read_sql(db: str):
    import statsmodels.stats.proportion  # noqa: F401

    engine, params = _engine(db), _filters().params()
    sql = _peer_sql("item_id, label")

    def run(_inp) -> Values:
        return _peer_accuracy(_read_sql(engine, sql, params), _read_sql(engine, _GOLD_SQL, {}))
    return run


def _peer_accuracy_native(db: str):
    import statsmodels.stats.proportion  # noqa: F401

    params = _filters().params()
    sql = _peer_sql("item_id, label")

    def run(_inp) -> Values:
        return _peer_accuracy(_read_native(db, sql, params), _read_native(db, _GOLD_SQL, {}))
    return run


PAGE_IMPLS: dict[str, PageImpl] = {i.key: i for i in [
    PageImpl("page_agreement_week/ours", "page_agreement_week",
             "LabelQA `agreement_from_db(by='week')` (SQL stats + 1000-bootstrap CIs)", True, _ours_agreement),
    PageImpl("page_agreement_week/pandas_read_sql", "page_agreement_week",
             "pd.read_sql -> pandas -> krippendorff.alpha per week (pivot)", False, _peer_agreement_read_sql),
    PageImpl("page_agreement_week/pandas_duckdb_arrow", "page_agreement_week",
             "duckdb .df() (Arrow) -> pandas -> krippendorff.alpha per week (value_counts)", False,
             _peer_agreement_native),
    PageImpl("page_accuracy_class/ours", "page_accuracy_class",
             "LabelQA `accuracy_from_db(by='gold_label')` (SQL counts + Wilson CIs)", True, _ours_accuracy),
    PageImpl("page_accuracy_class/pandas_read_sql", "page_accuracy_class",
             "pd.read_sql -> pandas merge/groupby + statsmodels Wilson CI", False, _peer_accuracy_read_sql),
    PageImpl("page_accuracy_class/pandas_duckdb_arrow", "page_accuracy_class",
             "duckdb .df() (Arrow) -> pandas merge/groupby + statsmodels Wilson CI", False, _peer_accuracy_native),
]}

PAGE_METRICS = ("page_agreement_week", "page_accuracy_class")


def page_impls_for(metric: str) -> list[PageImpl]:
    return sorted((i for i in PAGE_IMPLS.values() if i.metric == metric), key=lambda i: (not i.ours, i.key))
