"""What both reports tabulate, read from the metric modules (SQL sufficient statistics): the scope summary,
the per-class table (distribution, accuracy vs gold, specific agreement, QA coverage), the per-annotator table
and the project-stable pseudonyms. No HTML here."""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics import accuracy as acc
from analytics import agreement as ag
from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import Estimate
from analytics.quality import headline_accuracy, project_row
from analytics.sources import coverage_db as cov


def pseudonyms(first_seen: pd.DataFrame, id_col: str = "annotator_id", order_col: str = "first_at") -> dict[str, str]:
    """Pseudonyms stable within a project: ordered by first annotation in the project (ties by id), "Annotator A",
    ..., "Annotator Z", "Annotator AA", ... (spreadsheet column letters). A newcomer gets the next letter and no
    existing letter moves, so "Annotator C" is the same person in every batch of the project. No hash of the id is
    involved: nothing links a pseudonym to an id, or to the same person's pseudonym in another client's project."""
    order = first_seen.sort_values([order_col, id_col], ascending=[True, True])[id_col].astype(str).tolist()
    return {a: f"Annotator {_letters(i)}" for i, a in enumerate(order)}


def project_pseudonyms(engine: Engine | Connection, project_id: str) -> dict[str, str]:
    """:func:`pseudonyms` over every annotator of the whole project (not only of one batch)."""
    return pseudonyms(query_df(engine, "annotator_first_seen", **Filters(project_id).params()))


def _letters(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def parse_iso_week(week: str) -> tuple[dt.date, dt.date]:
    """``YYYY-Www`` -> (Monday, Sunday); raises ``ValueError`` naming the expected format."""
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", week.strip())
    if not m:
        raise ValueError(f"week must look like 2026-W35 (ISO year-week), got {week!r}")
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ValueError(f"invalid ISO week {week!r}: {exc}") from None
    return monday, monday + dt.timedelta(days=6)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _ts(x: Any) -> dt.datetime | None:
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return None
    t = pd.Timestamp(x)
    return None if pd.isna(t) else t.to_pydatetime()


def _project(engine: Engine, project_id: str) -> pd.Series:
    return project_row(engine, project_id)


def _scope_summary(engine: Engine, f: Filters) -> pd.Series:
    return query_df(engine, "gate_scope_summary", **f.params()).iloc[0]


def _overall_accuracy(engine: Engine, f: Filters, conf: float) -> tuple[Estimate, Estimate]:
    """(headline, pooled): ``analytics.quality.headline_accuracy``, the figure the gate and the overview show."""
    headline, pooled, _ = headline_accuracy(engine, f, conf)
    return headline, pooled


def _class_table(engine: Engine, f: Filters, conf: float) -> pd.DataFrame:
    """Per class: distribution, accuracy vs gold, specific agreement, QA coverage (one row per class)."""
    dist = cov.class_distribution_from_db(engine, f)
    dist = dist[["label", "items", "annotations"]].copy()
    total = dist["annotations"].sum()
    dist["share"] = dist["annotations"] / total if total else np.nan

    a = acc.accuracy_from_db(engine, f, by="gold_label", confidence=conf)
    a = a.rename(columns={"gold_label": "label", "n": "n_gold"})[["label", "accuracy", "ci_low", "ci_high", "n_gold"]]

    pc = ag.per_category_agreement_from_db(engine, f, confidence=conf)
    pc = pc.rename(columns={"specific_agreement": "agreement", "ci_low": "agreement_ci_low",
                            "ci_high": "agreement_ci_high", "n_items": "agreement_n_items"})
    pc = pc[["label", "agreement", "agreement_ci_low", "agreement_ci_high", "agreement_n_items"]]

    qa = cov.qa_coverage_from_db(engine, f, confidence=conf)
    checked_col = "items_qa" if "items_qa" in qa.columns else None
    qa = qa.assign(items_checked=qa[checked_col] if checked_col else np.rint(qa["qa_rate"] * qa["items"]))
    qa = qa[["label", "tier", "items_checked", "qa_rate"]]

    out = dist.merge(a, on="label", how="outer").merge(pc, on="label", how="left").merge(qa, on="label", how="left")
    out["label"] = out["label"].astype(str)
    for c in ("items", "annotations", "n_gold", "items_checked", "agreement_n_items"):
        out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype(int)
    for c in ("accuracy", "ci_low", "ci_high", "agreement", "agreement_ci_low", "agreement_ci_high", "qa_rate", "share"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["tier"] = out["tier"].fillna("standard").astype(str)
    out = out[(out["annotations"] > 0) | (out["n_gold"] > 0)]
    return out.sort_values(["annotations", "label"], ascending=[False, True]).reset_index(drop=True)


def _annotator_table(engine: Engine, f: Filters, conf: float) -> pd.DataFrame:
    """Per annotator: volume (all annotations in scope) and accuracy vs gold: ``annotator_id, team,
    annotations, share, accuracy, ci_low, ci_high, n_gold``."""
    vol = query_df(engine, "gate_annotator_volume", **f.params())
    vol = (vol.assign(team=vol["team"].astype(object).where(vol["team"].notna(), None))
              .groupby("annotator_id", as_index=False, dropna=False)
              .agg(annotations=("n_annotations", "sum"), team=("team", "first")))
    vol["share"] = vol["annotations"] / vol["annotations"].sum()
    a = acc.accuracy_from_db(engine, f, by="annotator_id", confidence=conf)
    a = a.rename(columns={"n": "n_gold"})[["annotator_id", "accuracy", "ci_low", "ci_high", "n_gold"]]
    out = vol.merge(a, on="annotator_id", how="left")
    out["n_gold"] = pd.to_numeric(out["n_gold"], errors="coerce").fillna(0).astype(int)
    out["annotator_id"] = out["annotator_id"].astype(str)
    return out.sort_values(["annotations", "annotator_id"], ascending=[False, True]).reset_index(drop=True)


def _qa_totals(classes: pd.DataFrame) -> tuple[int, float]:
    items = int(classes["items"].sum())
    checked = int(classes["items_checked"].sum())
    return checked, (checked / items if items else math.nan)


