"""The client's delivery report for one batch: ``delivery_report(engine, project_id, batch_id) -> DeliveryReport``
and ``render_delivery_html(report)``; the dashboard's delivery page shows the same sections, words and charts.

What a client asks first comes first: the contracted targets with a verdict each (from the quality layer's
evaluation of the batch, ``analytics.quality.evaluate``), the known issues of the batch (a note from the delivery
settings, ``analytics.render.report.client``), a note when the batch spans a guideline / schema change, then the
figures per class. Annotators appear only as project-stable pseudonyms, and by default (``annotators =
"aggregate"``) not one by one at all. Only the chosen project's data is read. The charts are static SVG (no
script, nothing from the network), so the file is tens of kilobytes instead of megabytes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from analytics import agreement as ag
from analytics import kinds
from analytics.db import query_df
from analytics.filters import Filters
from analytics.metrics.results import SMALL_N, Estimate, NoData
from analytics.quality import ScopeRequest, batch_row, evaluate
from analytics.render.report.client import (
    VERDICTS, DeliveryConfig, Target, check_verdict, contract_thresholds, load_delivery_config, target_verdicts,
)
from analytics.render.report.html import _date, _document, _e, _idx_ci, _int, _kpi, _pct, _pct_ci, _table
from analytics.render.report.svg import VERDICT_COLOURS, VERDICT_WORDS, bars_svg, forest_svg, legend_html
from analytics.render.report.tables import (
    _annotator_table, _class_table, _now, _overall_accuracy, _project, _qa_totals, _scope_summary, _ts,
    project_pseudonyms,
)
from analytics.thresholds import Thresholds, load_thresholds

__all__ = ["DeliveryReport", "delivery_report", "render_delivery_html", "delivery_texts", "annotator_summary",
           "leakage_text", "provenance_text",
           "target_rows", "CLASS_LEGEND", "NOTES"]


@dataclasses.dataclass
class DeliveryReport:
    """Everything the client's delivery report shows (numbers only; no annotator ids).

    ``classes``: one row per class ``label, tier, annotations, share, items, accuracy, ci_low, ci_high,
    n_gold, small_sample, agreement, agreement_ci_low, agreement_ci_high, agreement_n_items,
    items_checked, qa_rate, status, verdict`` (accuracy is per gold class; NaN where the class has no
    gold-checked labels; ``status`` / ``verdict``: the quality layer's accuracy check of the class and what it
    means against its target: met / not met / not enough evidence).
    ``annotators``: ``pseudonym, annotations, share, accuracy, ci_low, ci_high, n_gold, small_sample`` (the
    vendor view); ``annotator_view`` says what the client sees (``aggregate``, ``hide`` or ``pseudonyms``).
    ``targets``: the contracted targets and their verdicts; ``note``: the batch's known issues and what is
    being done; ``schema_versions``: ``schema_version, first_week, last_week, annotations`` in the batch.
    """

    project_id: str
    project_name: str
    client: str
    batch_id: str
    batch_name: str
    delivered_at: dt.datetime | None
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    n_annotations: int
    n_items: int
    n_annotators: int
    accuracy: Estimate
    accuracy_pooled: Estimate
    agreement: Estimate
    items_checked: int
    qa_rate: float
    classes: pd.DataFrame
    annotators: pd.DataFrame
    confidence: float = 0.95
    small_n: int = SMALL_N
    generated_at: str = ""
    targets: list[Target] = dataclasses.field(default_factory=list)
    note: str | None = None
    schema_versions: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    annotator_view: str = "aggregate"
    #: the quality layer's max_split_leakage checks of the batch (issue 14): ``key, n_leaked, n_items, outcome,
    #: note`` per fingerprint key; empty when the project has no fingerprints (leakage not checked)
    leakage: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    #: where the labels come from (``source, schema_version, n, first_at, last_at``) and the ingest log's newest
    #: record (``load_id, loaded_at, loaded_by, digest, n_loads``; None when nothing was loaded with labelqa load)
    provenance: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    history: dict | None = None


def delivery_report(engine: Engine | Connection, project_id: str, batch_id: str,
                    thresholds: Thresholds | None = None, config: DeliveryConfig | None = None) -> DeliveryReport:
    """Build the client's delivery report for one batch. Unknown project or batch -> ``ValueError``.

    ``config``: the delivery settings (default: ``load_delivery_config`` for the project's client)."""
    th = thresholds or load_thresholds()
    if isinstance(engine, Engine):  # one connection for every query
        with engine.connect() as con:
            return delivery_report(con, project_id, batch_id, th, config)
    p = _project(engine, project_id)
    task = kinds.kind_of(p.get("task_type"))
    if task != kinds.DEFAULT_KIND:  # another kind judges its own batches
        raise NoData(f"project {project_id!r} is a {task} project: its batches are reported by "
                     "analytics.render.report.kind_delivery.kind_delivery_report (what `labelqa report delivery` "
                     "and the delivery page use for it)")
    cfg = config if config is not None else load_delivery_config(client=str(p["client"]), thresholds=th)
    b = batch_row(engine, project_id, batch_id)
    f = Filters(project_id, batch_id=batch_id)
    s = _scope_summary(engine, f)
    if int(s["n_annotations"] or 0) == 0:
        raise NoData(f"batch {batch_id!r} of project {project_id!r} has no annotations")
    conf = th.confidence(project_id)
    headline, pooled = _overall_accuracy(engine, f, conf)
    alpha = ag.agreement_from_db(engine, f, metric="krippendorff", confidence=conf)
    classes = _class_table(engine, f, conf)
    ann = _annotator_table(engine, f, conf)
    names = project_pseudonyms(engine, project_id)
    ann = ann.assign(pseudonym=ann["annotator_id"].astype(str).map(names)).drop(columns=["annotator_id"])
    small_n = th.small_n(project_id)
    ann["small_sample"] = ann["n_gold"] < small_n
    classes["small_sample"] = classes["n_gold"] < small_n
    checked, rate = _qa_totals(classes)

    # The quality layer judges the batch (with the client's contracted limits, if any): targets and class colours.
    cth = contract_thresholds(th, project_id, cfg)
    ev = evaluate(engine, project_id, ScopeRequest.batch(batch_id), cth)
    by_class = {c.scope.removeprefix("class "): c for c in ev.by_rule("accuracy") if c.scope.startswith("class ")}
    classes["status"] = [by_class[lab].status if lab in by_class else "grey" for lab in classes["label"]]
    classes["verdict"] = [check_verdict(by_class[lab], cth, project_id) if lab in by_class else "not enough evidence"
                          for lab in classes["label"]]
    versions = query_df(engine, "ui_schema_versions", **f.params())
    return DeliveryReport(
        project_id=project_id, project_name=str(p["name"]), client=str(p["client"]),
        batch_id=batch_id, batch_name=str(b["name"]) if pd.notna(b["name"]) and b["name"] else batch_id,
        delivered_at=_ts(b["delivered_at"]), first_at=_ts(s["first_at"]), last_at=_ts(s["last_at"]),
        n_annotations=int(s["n_annotations"]), n_items=int(s["n_items"]), n_annotators=int(s["n_annotators"]),
        accuracy=headline, accuracy_pooled=pooled, agreement=alpha, items_checked=checked, qa_rate=rate,
        classes=classes, annotators=ann[["pseudonym", "annotations", "share", "accuracy", "ci_low", "ci_high",
                                         "n_gold", "small_sample"]],
        confidence=conf, small_n=small_n, generated_at=_now(),
        targets=target_verdicts(ev, cth, project_id, cfg), note=cfg.notes.get(batch_id),
        schema_versions=versions, annotator_view=cfg.annotators, leakage=_leakage(ev),
        provenance=query_df(engine, "delivery_provenance", **f.params()), history=_history(engine),
    )


def _history(engine) -> dict | None:
    from sqlalchemy import inspect

    if not inspect(engine).has_table("ingest_log"):
        return None
    h = query_df(engine, "history_summary")
    return None if h.empty else h.iloc[0].to_dict()


_SOURCE_WORDS = {"human": "labelled by hand", "prelabel_accepted": "a model pre-label accepted unchanged",
                 "prelabel_edited": "a model pre-label edited", "model_auto": "a model label accepted automatically"}


def provenance_text(r: DeliveryReport) -> str:
    """The method note on where the labels come from and how to check they were not edited (plain text)."""
    p = r.provenance
    parts = []
    if p is not None and not p.empty:
        by = p.groupby("source")["n"].sum().sort_values(ascending=False)
        total = int(by.sum())
        parts.append("Provenance: of the " + f"{total:,} labels, "
                     + "; ".join(f"{int(n):,} ({_pct(n / total)}) {_SOURCE_WORDS.get(str(k), str(k))}"
                                 for k, n in by.items())
                     + "; guideline (schema) version" + ("s " if p["schema_version"].nunique() > 1 else " ")
                     + ", ".join(str(int(v)) for v in sorted(p["schema_version"].unique())) + ".")
    h = r.history
    if h:
        parts.append(f"History: the data was loaded in {int(h['n_loads']):,} recorded load(s), the newest on "
                     f"{_date(h['loaded_at'])}; its digest {h['digest']} pins every load before it, and "
                     "the command labelqa verify shows whether any label, gold label or review changed since it was loaded.")
    else:
        parts.append("History: these labels were not loaded with labelqa load, so no ingest log can show that they "
                     "are unchanged since delivery.")
    return " ".join(parts)

def _leakage(ev) -> pd.DataFrame:
    rows = [{"key": c.scope.removeprefix("key "), "n_leaked": int(c.value or 0), "n_items": int(c.n or 0),
             "outcome": c.outcome, "note": c.note or ""} for c in ev.by_rule("max_split_leakage")]
    return pd.DataFrame(rows, columns=["key", "n_leaked", "n_items", "outcome", "note"])


_KEY_WORDS = {"content_hash": "an exact copy (same content fingerprint)", "near_dup_key": "a near-duplicate",
              "group_id": "an item of the same source group"}


def leakage_text(r: DeliveryReport) -> str:
    """The delivery report's leakage sentence (plain text); ``""`` when leakage was not checked (no fingerprints)."""
    lk = r.leakage
    if lk is None or lk.empty:
        return ""
    bad = lk[lk["n_leaked"] > 0]
    checked = ", ".join(f"{k} ({n:,} items)" for k, n in zip(lk["key"], lk["n_items"]))
    if bad.empty:
        return (f"No item of batch {r.batch_id} has {' or '.join(_KEY_WORDS.get(k, k) for k in lk['key'])} in another "
                f"split (train vs validation / test). Checked: {checked}.")
    parts = [f"{int(row.n_leaked):,} of {int(row.n_items):,} items with a {row.key} have "
             f"{_KEY_WORDS.get(row.key, row.key)} in another split" for row in bad.itertuples(index=False)]
    return (f"Leakage between splits in batch {r.batch_id}: " + "; ".join(parts) + ". Items in both a training and an "
            "evaluation split make evaluation figures optimistic; the affected items are listed on the label-errors "
            "page of the dashboard.")


# ------------------------------------------------------------------------------------------- words
def _short_batch_name(r: DeliveryReport) -> str:
    """The batch's name without the project's name repeated ("Street scene objects, weeks 9-10" -> "weeks 9-10")."""
    name = r.batch_name.strip()
    if name == r.batch_id:
        return ""
    if name.lower().startswith(r.project_name.lower()):
        name = name[len(r.project_name):].lstrip(" ,:-–—")
    return name


def _limit_words(t: Target) -> str:
    if t.limit is None:
        return "–"
    op = "at least" if t.rule not in ("label_shift",) else "at most"
    v = f"{100 * t.limit:.0f}%" if t.rule in ("accuracy", "qa_rate") else f"{t.limit:.2f}"
    return f"{op} {v}" + (" (contracted)" if t.contracted else "")


def _target_detail(t: Target) -> str:
    if t.tier == "overall":
        c = t.checks[0]
        if c.value is None:
            return "no value"
        v = (_pct_ci(c.value, c.ci_low, c.ci_high) if t.rule in ("accuracy", "qa_rate")
             else _idx_ci(c.value, c.ci_low, c.ci_high))
        return f"{v}" + (f", n = {c.n:,}" if c.n else "")
    parts = [f"{t.n_met} met", f"{t.n_not_met} not met", f"{t.n_unknown} not enough evidence"]
    n = len(t.checks)
    return f"{n} {'class' if n == 1 else 'classes'}: " + ", ".join(parts)


def delivery_texts(r: DeliveryReport) -> dict[str, str]:
    """The report's sentences (plain text, data not escaped), shared by the HTML and the dashboard page:
    ``title``, ``subtitle``, ``dates``, ``schema`` (empty when the batch has one schema version)."""
    short = _short_batch_name(r)
    title = f"Delivery report: {r.project_name}, batch {r.batch_id}"
    subtitle = f"Prepared for {r.client}." + (f" Batch {r.batch_id}: {short}." if short else "")
    # Dates in the order they happened; a delivery date before the last label is said, not hidden.
    dates = f"Labelled {_date(r.first_at)} to {_date(r.last_at)}"
    if r.delivered_at is not None:
        if r.last_at is not None and r.delivered_at < r.last_at:
            dates = (f"Labelling started {_date(r.first_at)}; delivered {_date(r.delivered_at)}; the last label of "
                     f"the batch was made {_date(r.last_at)}, after the delivery date (labels made after delivery are "
                     "part of the batch and of every figure below)")
        else:
            dates += f"; delivered {_date(r.delivered_at)}"
    dates += "."
    schema = ""
    v = r.schema_versions
    if v is not None and len(v) > 1:
        def weeks(a, b) -> str:
            return f"week of {_date(a)}" if _date(a) == _date(b) else f"weeks of {_date(a)} to {_date(b)}"
        parts = [f"version {row.schema_version} ({int(row.annotations):,} labels, {weeks(row.first_week, row.last_week)})"
                 for row in v.sort_values("first_week").itertuples(index=False)]
        schema = ("This batch spans a change of the labelling guideline (schema): " + "; ".join(parts) + ". "
                  "Figures combine both versions; classes whose definition changed may differ between the two parts.")
    acc = r.accuracy
    if acc.defined:
        headline = (f"Of the {r.n_annotations:,} labels delivered in batch {r.batch_id}, we estimate {_pct(acc.value)} "
                    f"({_pct(acc.ci_low)}–{_pct(acc.ci_high)}) are correct, based on {acc.n:,} labels checked against "
                    "expert (gold) labels.")
        if r.accuracy_pooled is not None and r.accuracy_pooled.defined:
            headline += f" Counting every checked label equally gives {_pct(r.accuracy_pooled.value)}."
    else:
        headline = (f"{r.n_annotations:,} labels were delivered in batch {r.batch_id}. Their accuracy could not be "
                    f"estimated: {acc.reason or 'no labels were checked against expert labels'}.")
    return {"title": title, "subtitle": subtitle, "dates": dates, "schema": schema, "headline": headline}


def target_rows(r: DeliveryReport) -> pd.DataFrame:
    """The contracted targets as a table (words, not rule names): ``Target, Required, This batch, Verdict``."""
    return pd.DataFrame([{"Target": t.words, "Required": _limit_words(t), "This batch": _target_detail(t),
                          "Verdict": t.verdict} for t in r.targets],
                        columns=["Target", "Required", "This batch", "Verdict"])


def annotator_summary(r: DeliveryReport) -> str:
    """The client view's one line about annotators (no per-person figures)."""
    a = r.annotators
    judged = a[~a["small_sample"] & a["accuracy"].notna()]
    text = f"{r.n_annotators} annotators labelled this batch; the largest share by one annotator was {_pct(a['share'].max())}."
    if len(judged):
        text += (f" Of the {len(judged)} with at least {r.small_n} labels checked against expert labels, accuracy "
                 f"ranged from {_pct(judged['accuracy'].min())} to {_pct(judged['accuracy'].max())}.")
    return text


NOTES = [
    "<b>Accuracy.</b> Some items in the batch were also labelled by experts (gold labels). We compare each label "
    "on those items with the expert's label. The overall figure weights the classes by how often each occurs in "
    "the batch (a stratified estimate), so classes we checked more heavily do not tilt it.",
    "<b>Ranges in brackets</b> are {conf} confidence intervals: given how many labels we checked, the true value "
    "very likely lies inside. A range is wide when few labels were checked.",
    "<b>Verdicts.</b> A target is <i>met</i> when the checks show it (for accuracy, the whole range lies at or above "
    "the target), <i>not met</i> when the whole range lies below it, and <i>not enough evidence</i> when the range "
    "straddles the target or fewer than {small_n} labels were checked.",
    "<b>Agreement</b> (Krippendorff's alpha) measures how often independent annotators chose the same label for the "
    "same item, beyond chance: 1 is perfect agreement, 0 is chance level; 0.8 or more is conventionally reliable. "
    "Per class: when one annotator chose the class, how often another annotator of the same item chose it too.",
    "<b>QA coverage</b> counts items checked by an expert label or a reviewer.",
]


# ------------------------------------------------------------------------------------------- HTML
_CSS_EXTRA = """
.legend { color: var(--muted); font-size: .85rem; margin: 2px 0 14px; display: flex; flex-wrap: wrap; gap: 14px; }
.v-met { color: #166534; font-weight: 600; } .v-not-met { color: #b91c1c; font-weight: 700; }
.v-not-enough-evidence { color: #4b5563; font-weight: 600; }
.note { background: #fffbeb; border-left: 4px solid #f0a202; padding: 10px 14px; margin: 12px 0; }
svg.chart { display: block; margin: 10px 0 4px; }
"""


def _verdict_html(v: str) -> str:
    return (f'<span class="v-{v.replace(" ", "-")}"><span class="dot" style="background:{VERDICT_COLOURS[v]}"></span>'
            f"{_e(v)}</span>")


def _class_rows(classes: pd.DataFrame) -> list[list[str]]:
    rows = []
    for r in classes.itertuples(index=False):
        tier = " ★ critical" if r.tier == "critical" else ""
        rows.append([
            _e(r.label) + (f'<span class="crit">{tier}</span>' if tier else ""),
            _int(r.annotations), _pct(r.share, 2),
            _pct_ci(r.accuracy, r.ci_low, r.ci_high) if r.n_gold else "–", _int(r.n_gold),
            _verdict_html(r.verdict) if r.n_gold else "not checked against expert labels",
            _idx_ci(r.agreement, r.agreement_ci_low, r.agreement_ci_high),
            f"{_int(r.items_checked)} of {_int(r.items)} ({_pct(r.qa_rate)})",
        ])
    return rows


CLASS_HEADERS = [("Class", False), ("Labels", True), ("Share", True), ("Accuracy (95% CI)", True),
                 ("Labels checked", True), ("Against its target", False), ("Agreement (95% CI)", True),
                 ("Items checked by QA", True)]


# The legend of the per-class chart, word for word on the page and in the HTML: (colour, words).
CLASS_LEGEND = ([(VERDICT_COLOURS[v], VERDICT_WORDS[v]) for v in VERDICTS]
                + [("#2f6690", "dashed line: the batch overall"), ("#555555", "bar: 95% interval"),
                   ("#ffffff", "★ critical class")])


def _legend() -> str:
    return legend_html(CLASS_LEGEND)


def render_delivery_html(r: DeliveryReport, annotators: str | None = None) -> str:
    """The client's delivery report as one self-contained HTML document (``annotators``: override the
    configured view, e.g. ``"pseudonyms"`` for the vendor's own copy)."""
    view = annotators or r.annotator_view
    conf = f"{round(100 * r.confidence)}%"
    tx = delivery_texts(r)
    acc = r.accuracy
    if acc.defined:
        head = (f"Of the {r.n_annotations:,} labels delivered in batch {_e(r.batch_id)}, we estimate "
                f"<b>{_pct(acc.value)}</b> ({_pct(acc.ci_low)}–{_pct(acc.ci_high)}) are correct, based on "
                f"{acc.n:,} labels checked against expert (gold) labels.")
    else:
        head = (f"{r.n_annotations:,} labels were delivered in batch {_e(r.batch_id)}. Their accuracy could not "
                f"be estimated: {_e(acc.reason or 'no labels were checked against expert labels')}.")
    if r.accuracy_pooled is not None and r.accuracy_pooled.defined and acc.defined:
        head += f" Counting every checked label equally gives {_pct(r.accuracy_pooled.value)}."
    g = r.agreement
    kpis = "".join([
        _kpi("Labels delivered", f"{r.n_annotations:,}", f"on {r.n_items:,} items by {r.n_annotators} annotators"),
        _kpi("Accuracy", _pct(acc.value),
             f"{conf} CI {_pct(acc.ci_low)}–{_pct(acc.ci_high)}; {acc.n:,} labels checked" if acc.defined
             else (acc.reason or "")),
        _kpi("Agreement (α)", _idx_ci(g.value, None, None),
             f"{conf} CI {g.ci_low:.2f}–{g.ci_high:.2f}; {g.n_items or g.n:,} items labelled twice or more"
             if g.defined else (g.reason or "")),
        _kpi("Items checked by QA", f"{r.items_checked:,}", f"{_pct(r.qa_rate)} of {r.n_items:,} items"),
    ])
    trows = [[_e(t.words), _e(_limit_words(t)), _e(_target_detail(t)), _verdict_html(t.verdict)]
                   for t in r.targets]
    shown = r.classes.dropna(subset=["accuracy"])
    shown = shown[shown["n_gold"] > 0].sort_values(["accuracy", "label"])
    charts = []
    if not shown.empty:
        charts.append(forest_svg(shown, f"Accuracy per class in batch {r.batch_id}",
                                 ref=(acc.value, f"batch overall {_pct(acc.value)}") if acc.defined else None)
                      + _legend())
    mix = r.classes[r.classes["annotations"] > 0].sort_values(["annotations", "label"], ascending=[False, True])
    if not mix.empty:
        charts.append(bars_svg(mix, "What the batch contains (share of labels per class)"))
    if view == "pseudonyms":
        ann_html = _table([("Annotator", False), ("Labels", True), ("Share", True), ("Accuracy (95% CI)", True),
                           ("Labels checked", True), ("Note", False)],
                          [[_e(a.pseudonym), _int(a.annotations), _pct(a.share),
                            _pct_ci(a.accuracy, a.ci_low, a.ci_high) if a.n_gold else "–", _int(a.n_gold),
                            f"fewer than {r.small_n} labels checked: too few to judge" if a.small_sample else ""]
                           for a in r.annotators.itertuples(index=False)]) + \
            '<p class="sub">Pseudonyms are stable across the project\'s batches (Annotator A started first).</p>'
    elif view == "aggregate":
        ann_html = f"<p>{_e(annotator_summary(r))}</p>"
    else:
        ann_html = ""
    body = [
        f"<h1>{_e(tx['title'])}</h1>",
        f'<p class="sub">{_e(tx["subtitle"])} {_e(tx["dates"])}</p>',
        f'<div class="headline">{head}</div>',
        f'<div class="kpis">{kpis}</div>',
        "<h2>Contracted targets</h2>",
        (_table([("Target", False), ("Required", False), ("This batch", False), ("Verdict", False)], trows)
         + legend_html([(VERDICT_COLOURS[v], v) for v in VERDICTS])) if trows else "<p>No targets apply.</p>",
        "<h2>Known issues and what is being done</h2>",
        f'<div class="note">{_e(r.note)}</div>' if r.note else "<p>No known issues were recorded for this batch.</p>",
        f'<div class="note">{_e(tx["schema"])}</div>' if tx["schema"] else "",
        *(["<h2>Leakage between splits</h2>", f"<p>{_e(leakage_text(r))}</p>"] if leakage_text(r) else []),
        "<h2>Quality per class</h2>",
        *charts[:1],
        _table(CLASS_HEADERS, _class_rows(r.classes)),
        *charts[1:],
        *(["<h2>Annotators</h2>", ann_html] if ann_html else []),
        "<h2>How these numbers were computed</h2>",
        '<ul class="notes">' + "".join(f"<li>{n.format(conf=conf, small_n=r.small_n)}</li>" for n in NOTES)
        + f"<li>{_e(provenance_text(r))}</li></ul>",
        f"<footer>Generated {_e(r.generated_at)} by LabelQA. Only data of project {_e(r.project_name)} is used.</footer>",
    ]
    doc = _document(tx["title"], "\n".join(b for b in body if b), False)
    return doc.replace("</style>", _CSS_EXTRA + "</style>", 1)
