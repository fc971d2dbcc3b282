"""``labelqa agreement FILE``: inter-annotator agreement of a label file (CSV or Parquet).

FILE has the columns ``item_id, annotator_id, label`` (+ any grouping columns). Prints one JSON object
``{"metric", "value", "ci_low", "ci_high", "n_items", "n_annotations"}`` (+ ``"level"`` for Krippendorff,
``"weights"`` for Cohen, ``"reason"`` when undefined), with ``--by`` a list of those each with a ``"group"`` key;
without ``--json`` a readable table. Errors (missing column, unknown metric, non-numeric labels for a numeric
level) are one line on stderr with exit code 2 (see ``analytics.cli.main``).

``--kind spans|boxes|multilabel`` (issue 13) reads the kind's frame instead (columns in its ``kind.py``) and prints
the kind's agreement JSON (``{"kind", "overall": {...}, "per_label": {label: {...}}, ...}``), computed by the
metric the kind declares (``KindSpec.metrics["agreement_json"]``, the library function itself):

* spans: ``item_id, annotator_id, start, end, label``; pairwise F1 (bratiaa); ``--match exact|overlap``,
  ``--unit instance|token`` (token needs ``--texts FILE`` with ``item_id, text``; ``--token-pattern REGEX``);
* boxes: ``item_id, annotator_id, label, x, y, width, height``; ``--iou`` threshold (default 0.5);
* multilabel: ``item_id, annotator_id, label``, one row per chosen label; MASI alpha, exact-set agreement,
  mean Jaccard, per-label binary alpha.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from analytics import agreement as ag
from analytics import kinds
from analytics.commands import _text
from analytics.frames import require_columns
from analytics.io.files import MISSING_RULE, read_table

CLI_METRICS = ("percent", "cohen", "fleiss", "krippendorff", "gwet_ac1", "scott_pi")


def _file_kinds() -> list[str]:
    """Kinds the file CLI knows: the default one and every kind declaring an ``agreement_json`` metric."""
    return [k.name for k in kinds.all_kinds() if k.name == kinds.DEFAULT_KIND or "agreement_json" in k.metrics]


def add_parser(sub) -> None:
    p = sub.add_parser("agreement", help="inter-annotator agreement of a label file (CSV or Parquet)",
                       description="Agreement with a cluster-bootstrap confidence interval. FILE needs the "
                                   "columns item_id, annotator_id, label (--kind classification, the default), "
                                   "or the kind's columns (spans: item_id, annotator_id, start, end, label; "
                                   "boxes: item_id, annotator_id, label, x, y, width, height; multilabel: "
                                   "item_id, annotator_id, label, one row per chosen label). Rows are counted "
                                   f"from 1 at the first data row. Missing values: {MISSING_RULE}; a CSV label "
                                   "'NA' is a label, not a missing rating.")
    p.add_argument("file", help="CSV or Parquet file (item_id, annotator_id, label, + grouping columns); "
                                "--kind spans: also a brat folder or a Label Studio JSON export; --kind boxes: "
                                "also a Label Studio or COCO JSON export")
    p.add_argument("--kind", default=kinds.DEFAULT_KIND, choices=_file_kinds(),
                   help=f"annotation kind of FILE (default {kinds.DEFAULT_KIND})")
    g = p.add_argument_group("classification")
    g.add_argument("--metric", help=f"one of {', '.join(CLI_METRICS)} (default krippendorff)")
    g.add_argument("--level", help="Krippendorff level: nominal, ordinal, interval, ratio")
    g.add_argument("--weights", help="Cohen weights: none, linear, quadratic")
    g.add_argument("--by", help="a column to group by (one result per group); 'week' without a week column: "
                                "the Monday of created_at")
    g = p.add_argument_group("spans")
    g.add_argument("--texts", metavar="TEXTS", help="item_id, text (CSV or Parquet); needed by --unit token")
    g.add_argument("--unit", choices=("instance", "token"), help="instance (whole spans, default) or token")
    g.add_argument("--token-pattern", metavar="REGEX", help=r"token regex for --unit token (default \S+)")
    g.add_argument("--match", choices=("exact", "overlap"), help="exact (default) or overlap (one-to-one)")
    g = p.add_argument_group("boxes")
    g.add_argument("--iou", type=float, help="IoU threshold of a match (default 0.5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (0: no interval)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


_KIND_OPTIONS = {"classification": ("metric", "level", "weights", "by"),
                 "spans": ("texts", "unit", "token_pattern", "match"), "boxes": ("iou",)}


def _check_options(args) -> None:
    """An option of another kind is an error (one line), not silently ignored."""
    for kind, names in _KIND_OPTIONS.items():
        if kind == args.kind:
            continue
        for name in names:
            if getattr(args, name, None) is not None:
                raise ValueError(f"--{name.replace('_', '-')} applies to --kind {kind} only (this is --kind {args.kind})")


def _read(path: str) -> pd.DataFrame:
    """The shared reader (:mod:`analytics.io.files`): text columns, only an empty cell is a missing rating."""
    return read_table(path, "annotations")


def week_of(created_at: pd.Series, path: str) -> pd.Series:
    """The week of each timestamp as its Monday's ISO date (``2026-05-25``), as the database's
    ``CAST(date_trunc('week', created_at) AS DATE)``; an empty cell has no week (its row is left out)."""
    try:
        ts = pd.to_datetime(created_at, format="ISO8601", errors="coerce")
    except ValueError:  # offsets that differ between rows: compare in UTC
        ts = pd.to_datetime(created_at, format="ISO8601", errors="coerce", utc=True)
    bad = ts.isna() & created_at.notna()
    if bad.any():
        pos = int(bad.to_numpy().argmax())
        raise ValueError(f"{path}: row {pos + 1}, column 'created_at': not a date or timestamp "
                         f"({created_at.iloc[pos]!r}); --by week derives the week from it")
    day = ts.dt.normalize()
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return monday.dt.strftime("%Y-%m-%d").where(ts.notna())


def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, (pd.Timestamp, dt.date, dt.datetime)):
        return v.isoformat()
    if v is pd.NA or v is pd.NaT:
        return None
    return v if isinstance(v, (str, int, bool)) else str(v)


def _record(metric: str, level: str, weights: str | None, value, lo, hi, n_items, n_ann, reason) -> dict:
    rec: dict[str, Any] = {"metric": metric}
    if metric == "krippendorff":
        rec["level"] = level
    if metric == "cohen":
        rec["weights"] = weights or "none"
    rec.update(value=_jsonable(value), ci_low=_jsonable(lo), ci_high=_jsonable(hi), n_items=int(n_items),
               n_annotations=int(n_ann))
    if isinstance(reason, str):
        rec["reason"] = reason
    return rec


def run(args) -> int:
    _check_options(args)
    if args.kind != kinds.DEFAULT_KIND:
        return _run_kind(args)
    args.metric = args.metric or "krippendorff"
    args.level = args.level or "nominal"
    args.weights = args.weights or "none"
    if args.metric not in CLI_METRICS:
        raise ValueError(f"unknown metric {args.metric!r}; choose one of {', '.join(CLI_METRICS)}")
    if args.level not in ag.LEVELS:
        raise ValueError(f"unknown level {args.level!r}; choose one of {', '.join(ag.LEVELS)}")
    if args.weights not in ("none", "linear", "quadratic"):
        raise ValueError(f"unknown weights {args.weights!r}; choose one of none, linear, quadratic")
    if args.level != "nominal" and args.metric != "krippendorff":
        raise ValueError("--level applies to --metric krippendorff only")
    weights = None if args.weights == "none" else args.weights
    if weights and args.metric != "cohen":
        raise ValueError("--weights applies to --metric cohen only")
    df = _read(args.file)
    if args.by == "week" and "week" not in df.columns and "created_at" in df.columns:
        df = df.assign(week=week_of(df["created_at"], args.file))
    require_columns(df, ["item_id", "annotator_id", "label", *([args.by] if args.by else [])], args.file)
    numeric_for = f"--level {args.level}" if args.level != "nominal" else (f"--weights {weights}" if weights else None)
    if numeric_for:  # ordered categories: the labels' numeric order (text '10' < '9' would be wrong)
        df = df.assign(label=ag.numeric_labels(df["label"], numeric_for))
    res = ag.agreement(df, args.metric, by=args.by, level=args.level, weights=weights, n_boot=args.n_boot,
                       seed=args.seed)
    if args.by:
        records = [{"group": _jsonable(r[args.by]),
                    **_record(args.metric, args.level, weights, r["value"], r["ci_low"], r["ci_high"],
                              r["n_items"], r["n_annotations"], r["reason"])} for _, r in res.iterrows()]
    else:
        records = [_record(args.metric, args.level, weights, res.value, res.ci_low, res.ci_high, res.n_items,
                           res.n_annotations, res.reason)]
    if args.json:
        print(json.dumps(records if args.by else records[0]))
        return 0
    _print_table(records, args, res)
    return 0


def _print_table(records: list[dict], args, res) -> None:
    name = ag._NAMES[args.metric] + (f" ({args.level})" if args.metric == "krippendorff" else "") + \
        (f" ({args.weights} weights)" if args.metric == "cohen" and args.weights != "none" else "")
    head = ([args.by] if args.by else []) + ["value", "95% CI", "n_items", "n_annotations", "note"]
    rows = [([str(r["group"])] if args.by else [])
            + [_text.num(r["value"]), _text.ci(r["ci_low"], r["ci_high"]), _text.count(r["n_items"]),
               _text.count(r["n_annotations"]), r.get("reason") or _text.small_note(r["n_items"])]
            for r in records]
    notes = [f"interval: percentile cluster bootstrap over md5 item buckets, {args.n_boot} replicates, "
             f"seed {args.seed}" if args.n_boot > 0 else "interval: none (--n-boot 0)"]
    _text.print_table(f"{name} -- {args.file}", head, rows, notes)


# ------------------------------------------------------------------------------------------ other kinds
def _run_kind(args) -> int:
    if args.iou is not None and not 0 < args.iou <= 1:
        raise ValueError(f"--iou must be in (0, 1], got {args.iou:g}")
    spec = kinds.get(args.kind)
    src = spec.reader("file")(args.file)  # CSV/Parquet, or the kind's own shapes (brat folder, Label Studio, COCO)
    frame = src["frame"]
    if args.kind == "spans":
        from analytics.kinds.spans.tokens import DEFAULT_TOKEN_PATTERN

        unit, match = args.unit or "instance", args.match or "exact"
        if unit == "token" and not args.texts and src.get("texts") is None:
            raise ValueError("--unit token needs --texts FILE (item_id, text)")
        if args.token_pattern is not None and unit != "token":
            raise ValueError("--token-pattern applies to --unit token only")
        if unit == "token" and match != "exact":
            raise ValueError("--match overlap applies to --unit instance only (token units match exactly)")
        pattern = args.token_pattern or DEFAULT_TOKEN_PATTERN
        try:
            import re
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"--token-pattern {pattern!r} is not a regular expression: {exc}") from None
        texts = spec.reader("texts_csv")(args.texts) if args.texts else src.get("texts")
        if args.texts:  # spans outside their text, or items without text, name the spans file's row
            from analytics.io.files import with_file_rows
            from analytics.kinds.spans.frames import check_spans
            try:
                check_spans(with_file_rows(frame), texts)
            except ValueError as exc:
                raise ValueError(f"spans file {args.file}: {exc}") from None
        res = spec.metric("agreement_json")(frame, match=match, unit=unit, texts=texts, token_pattern=pattern,
                                            n_boot=args.n_boot, seed=args.seed)
    elif args.kind == "boxes":
        iou = 0.5 if args.iou is None else args.iou
        res = spec.metric("agreement_json")(frame, iou=iou, n_boot=args.n_boot, seed=args.seed)
    else:
        res = spec.metric("agreement_json")(frame, n_boot=args.n_boot, seed=args.seed)
    if args.json:
        print(json.dumps(res, default=_jsonable))
        return 0
    _print_kind(res, args)
    return 0


def _print_kind(res: dict, args) -> None:
    if res["kind"] == "multilabel":
        o = res["overall"]
        rows = [[name, _text.num(o[key]), _text.ci(o[f"{key}_ci_low"], o[f"{key}_ci_high"]),
                 _text.count(o["n_items"]), _text.small_note(o["n_items"])]
                for name, key in (("MASI alpha", "masi_alpha"), ("exact-set agreement", "exact_set_agreement"),
                                  ("mean Jaccard", "mean_jaccard"))]
        rows += [[f"alpha of {lab}", _text.num(d["alpha"]), _text.ci(d["ci_low"], d["ci_high"]),
                  _text.count(o["n_items"]), f"chosen {d['n_chosen']:,} time(s)"] for lab, d in res["per_label"].items()]
        _text.print_table(f"Multi-label agreement -- {args.file}", ["measure", "value", "95% CI", "n_items", "note"],
                          rows, [f"method: {res['method']}"])
        return
    boxes = res["kind"] == "boxes"
    head = ["label", "mean F1", "SD", "95% CI", "n_pairs", "n_items"] + (["mean IoU"] if boxes else []) + ["note"]

    def row(name: str, d: dict) -> list[str]:
        return ([name, _text.num(d["mean"]), _text.num(d["sd"]), _text.ci(d["ci_low"], d["ci_high"]),
                 _text.count(d["n_pairs"]), _text.count(d["n_items"])] + ([_text.num(d["mean_iou"])] if boxes else [])
                + [_text.small_note(d["n_items"])])

    rows = [row("(all labels)", res["overall"])] + [row(lab, d) for lab, d in res["per_label"].items()]
    what = (f"Box agreement (pairwise F1, IoU >= {res['iou_threshold']:g})" if boxes else
            f"Span agreement (pairwise F1, {res['match']} match, {res['unit']} units)")
    _text.print_table(f"{what} -- {args.file}", head, rows, [f"method: {res['method']}"])
