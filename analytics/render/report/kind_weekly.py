"""The QA lead's weekly report for a project of a region kind (boxes, spans, multilabel; issue 13):
``kind_weekly_report(engine, project_id, week) -> KindWeeklyReport`` and ``render_kind_weekly_html(report)``.

The week is judged by the kind's own rules (``analytics.quality.evaluate`` hands the project to its
``KindSpec.rules``: the same evaluation as ``labelqa gate --project P --since MON --until SUN`` and the overview).
Around the checks: the week's regions, items and annotators (``sql/<kind>_scope_totals.sql``); the trend up to that
week of the pairwise F1 between annotators per label (boxes: same-label IoU >= 0.5 one-to-one matches; spans:
identical spans; multilabel: MASI alpha) and of F1 against the reference (gold, or reviewed regions where there is
no gold: :mod:`analytics.kinds.region_reviews`), each with its bootstrap interval over item buckets and n; and the
kind's findings for the week: boxes, the localisation bias per annotator, label confusions among matched boxes and
the miss rate by team x lighting x object size; spans, per annotator the instance and token F1 against gold and the
error kinds (boundary, label, spurious, missed); multilabel, the binary alpha per label. An internal report: real
annotator ids. Every value from the data is escaped; plotly.js is inlined, nothing loads from the network.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics import kinds
from analytics.db import query_df
from analytics.filters import Filters
from analytics.io.ingest.kind_support import scope_params
from analytics.metrics.results import NoData
from analytics.quality import ScopeRequest, evaluate
from analytics.render.report.kind_weekly_html import render_kind_weekly_html
from analytics.render.report.tables import _now, _project, parse_iso_week
from analytics.thresholds import Thresholds, load_thresholds

__all__ = ["REGION_KINDS", "KindWeeklyReport", "kind_weekly_report", "render_kind_weekly_html"]

REGION_KINDS = ("boxes", "spans", "multilabel")
_TOTALS = {"boxes": "box_scope_totals", "spans": "span_scope_totals", "multilabel": "region_multilabel_totals"}
N_BOOT = 500


@dataclasses.dataclass
class KindWeeklyReport:
    """``agreement``: rows ``week, label ('' = all labels), mean, ci_low, ci_high, n_items, n_pairs`` up to the
    report's week (pairwise F1; multilabel: MASI alpha, label ''). ``accuracy``: rows ``week, f1, f1_ci_low,
    f1_ci_high, precision, recall, n_annotated, n_gold, n_items`` against the reference (empty for multilabel or
    without gold). ``findings``: name -> frame (see the module docstring). ``gate``: the week's Evaluation."""

    project_id: str
    project_name: str
    client: str
    kind: str
    kind_title: str
    week: str
    week_start: dt.date
    week_end: dt.date
    n_regions: int
    n_items: int
    n_annotators: int
    gate: Any
    agreement: pd.DataFrame
    accuracy: pd.DataFrame
    labels: pd.DataFrame  # the week's label counts (+ agreement F1 this week)
    findings: dict[str, pd.DataFrame]
    reference: str = ""
    generated_at: str = ""


def _weeks(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) and "week" in df.columns:
        df = df.assign(week=pd.to_datetime(df["week"]))
    return df


def _region_frames(con, kind: str, f: Filters):
    """(regions, reference, texts) of a boxes / spans scope; the reference is gold + reviewed regions."""
    if kind == "boxes":
        from analytics.kinds.boxes import db as mod

        return mod.boxes_from_db(con, f), mod.gold_boxes_from_db(con, f), None
    from analytics.kinds.spans import db as mod

    return mod.spans_from_db(con, f), mod.gold_spans_from_db(con, f), mod.texts_from_db(con, f)


def _label_counts(con, kind: str, f: Filters) -> pd.DataFrame:
    if kind == "boxes":
        from analytics.kinds.boxes.db import label_counts_from_db
    elif kind == "spans":
        from analytics.kinds.spans.db import label_counts_from_db
    else:
        from analytics.kinds.multilabel.db import label_counts_from_db
    return label_counts_from_db(con, f)


def _trend(kind: str, regions, ref):
    """The weekly pairwise-F1 agreement per label and the weekly F1 against the reference."""
    from analytics.kinds.region_reviews import on_reference

    if kind == "boxes":
        from analytics.kinds.boxes.quality import agreement_by, f1_vs_gold

        agr = agreement_by(regions, by="week", n_boot=N_BOOT)
        gold_f1 = lambda r, g: f1_vs_gold(r, g, by=("week",), n_boot=N_BOOT)  # noqa: E731
    else:
        from analytics.kinds.spans.quality import agreement_by, f1_vs_gold

        agr = agreement_by(regions, by="week", n_boot=N_BOOT)
        gold_f1 = lambda r, g: f1_vs_gold(r, g, by=("week",), n_boot=N_BOOT)  # noqa: E731
    cols = ["week", "f1", "f1_ci_low", "f1_ci_high", "precision", "recall", "n_annotated", "n_gold", "n_items"]
    acc = pd.DataFrame(columns=cols)
    if ref["label"].notna().any():
        try:
            acc = gold_f1(on_reference(regions, ref), ref)[cols]
        except NoData:
            pass
    return _weeks(agr), _weeks(acc)


def _box_findings(con, project_id, boxes, ref, gate) -> dict[str, pd.DataFrame]:
    from analytics.kinds.boxes.accuracy import label_confusions, localisation_bias, miss_rates
    from analytics.kinds.region_reviews import on_reference
    from analytics.kinds.regions_db import item_attributes

    if not ref["label"].notna().any():
        return {}
    boxes = on_reference(boxes, ref)
    bias = localisation_bias(boxes, ref, 0.5, by=("annotator_id",))
    team = boxes.drop_duplicates("annotator_id").set_index("annotator_id")["team"]
    outcome = {c.scope.removeprefix("annotator "): c.outcome for c in gate.by_rule("region_size_bias")}
    bias = bias.assign(team=bias["annotator_id"].map(team), outcome=bias["annotator_id"].map(outcome))
    conf = label_confusions(boxes, ref, 0.5)
    conf = conf[conf["gold_label"] != conf["label"]]  # strongest evidence first: the share's lower bound
    conf = conf.sort_values(["share_ci_low", "n", "gold_label"], ascending=[False, False, True]).head(8)
    items = item_attributes(con, project_id)
    by = ["team", *(["lighting"] if "lighting" in items.columns else []), "size"]
    miss = miss_rates(boxes, ref, 0.5, by=by, items=items)
    miss = miss[miss["n_gold"] > 0].sort_values(["miss_rate", "n_gold"], ascending=[False, False])
    return {"size_bias": bias.sort_values("log_area_ratio").reset_index(drop=True),
            "confusions": conf.reset_index(drop=True), "misses": miss.head(10).reset_index(drop=True)}


def _span_findings(spans, ref, texts) -> dict[str, pd.DataFrame]:
    from analytics.kinds.region_reviews import on_reference
    from analytics.kinds.spans.accuracy import span_errors
    from analytics.kinds.spans.quality import f1_vs_gold

    if not ref["label"].notna().any():
        return {}
    spans = on_reference(spans, ref)
    try:
        inst = f1_vs_gold(spans, ref, "instance", by=("annotator_id",), n_boot=N_BOOT)
        tok = f1_vs_gold(spans, ref, "token", texts=texts, by=("annotator_id",), n_boot=N_BOOT)
    except NoData:
        return {}
    err = span_errors(spans, ref, by=("annotator_id",))
    d = inst[["annotator_id", "f1", "f1_ci_low", "f1_ci_high", "n_items"]].merge(
        tok[["annotator_id", "f1", "f1_ci_low", "f1_ci_high"]], on="annotator_id", suffixes=("", "_token"))
    d = d.merge(err[["annotator_id", "n_spans", "boundary_rate", "label_rate", "spurious_rate", "miss_rate",
                     "n_gold"]], on="annotator_id", how="left")
    # merges or splits entities: instance F1 below the other annotators' median beyond its interval, and the
    # shortfall at instance level more than twice the one at token level (the covered text is mostly right, the
    # entity boundaries are not; an annotator who is simply worse falls short at both levels alike)
    med = lambda c: np.array([d[c].drop(index=k).median() for k in d.index])  # noqa: E731
    short, short_tok = med("f1") - d["f1"].to_numpy(), med("f1_token") - d["f1_token"].to_numpy()
    d["merges"] = (d["f1_ci_high"].to_numpy() < med("f1")) & (short > 2 * np.maximum(short_tok, 0))
    return {"annotators": d.sort_values("f1").reset_index(drop=True)}


def _multilabel(con, upto: Filters, week: Filters):
    from analytics.kinds.multilabel import db as mdb

    rows = []
    weeks = pd.to_datetime(query_df(con, "region_multilabel_weeks", **scope_params(upto))["week"]).dropna()
    for w in weeks:
        f = upto.replace(date_from=w.date(), date_to=w.date() + dt.timedelta(days=6))
        try:
            o = mdb.multilabel_agreement_from_db(con, f, n_boot=N_BOOT)["overall"]
        except NoData:
            continue
        rows.append({"week": w, "label": "", "mean": o.get("masi_alpha"), "ci_low": o.get("masi_alpha_ci_low"),
                     "ci_high": o.get("masi_alpha_ci_high"), "n_items": o.get("n_items"), "n_pairs": o.get("n_pairs")})
    agr = pd.DataFrame(rows, columns=["week", "label", "mean", "ci_low", "ci_high", "n_items", "n_pairs"])
    try:
        per = mdb.multilabel_agreement_from_db(con, week, n_boot=N_BOOT)["per_label"]
        labels = pd.DataFrame([{"label": k, **v} for k, v in per.items()])
    except NoData:
        labels = pd.DataFrame()
    return agr, {"per_label": labels}


def kind_weekly_report(engine: Engine | Connection, project_id: str, week: str,
                       thresholds: Thresholds | None = None) -> KindWeeklyReport:
    """Build the weekly report of a boxes, spans or multilabel project for ISO week ``week``. ``ValueError`` for an
    unknown project, a malformed week or a project of another kind; ``NoData`` for a week without annotations."""
    th = thresholds or load_thresholds()
    start, end = parse_iso_week(week)
    if isinstance(engine, Engine):
        with engine.connect() as con:
            return kind_weekly_report(con, project_id, week, th)
    p = _project(engine, project_id)
    kind = kinds.get(kinds.kind_of(p.get("task_type")))
    if kind.name not in REGION_KINDS:
        raise ValueError(f"project {project_id!r} is a {kind.name} project: the region weekly report covers "
                         f"{', '.join(REGION_KINDS)}")
    f = Filters(project_id, date_from=start, date_to=end)
    tot = query_df(engine, _TOTALS[kind.name], **scope_params(f)).iloc[0]
    if int(tot["n_items"] or 0) == 0:
        raise NoData(f"project {project_id!r} has no annotations in week {week} ({start} to {end})")
    gate = evaluate(engine, project_id, ScopeRequest.dates(start, end), th)
    upto = Filters(project_id, date_to=end)
    labels = _label_counts(engine, kind.name, f)
    reference = ""
    if kind.name == "multilabel":
        agr, findings = _multilabel(engine, upto, f)
        acc = pd.DataFrame(columns=["week", "f1", "f1_ci_low", "f1_ci_high", "precision", "recall", "n_annotated",
                                    "n_gold", "n_items"])
    else:
        from analytics.kinds.region_reviews import reference_note

        regions, ref, texts = _region_frames(engine, kind.name, upto)
        agr, acc = _trend(kind.name, regions, ref)
        wk = regions[pd.to_datetime(regions["week"]) == pd.Timestamp(start)]
        wref = ref[ref["item_id"].isin(set(wk["item_id"]))]
        findings = (_box_findings(engine, project_id, wk, wref, gate) if kind.name == "boxes"
                    else _span_findings(wk, wref, texts))
        reference = reference_note(wref, "images" if kind.name == "boxes" else "items") if len(wref) else ""
    this = agr[agr["week"] == pd.Timestamp(start)] if len(agr) else agr
    if len(labels) and len(this):
        labels = labels.merge(this[["label", "mean", "ci_low", "ci_high", "n_items"]].rename(
            columns={"n_items": "n_pair_items"}), on="label", how="left")
    return KindWeeklyReport(
        project_id=project_id, project_name=str(p["name"]), client=str(p["client"]), kind=kind.name,
        kind_title=kind.title, week=week.strip(), week_start=start, week_end=end,
        n_regions=int(tot["n_regions"] or 0), n_items=int(tot["n_items"]), n_annotators=int(tot["n_annotators"]),
        gate=gate, agreement=agr, accuracy=acc, labels=labels, findings=findings, reference=reference,
        generated_at=_now())
