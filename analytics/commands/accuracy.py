"""``labelqa accuracy``: accuracy against gold of an annotation file, overall, per group, or post-stratified.

    labelqa accuracy FILE --gold GOLD [--by COL] [--json]
    labelqa accuracy FILE --gold GOLD --strata COL --population POP [--json]

FILE: annotations (``item_id, annotator_id, label`` + any grouping column); GOLD: ``item_id, label``;
POP: ``stratum, population`` (items of each stratum in the whole data set). CSV or Parquet.
Output (``--json``): ``{"value", "ci_low", "ci_high", "n"}`` (Wilson interval; ``n`` = annotations scored against
gold), a list of those with a ``"group"`` key for ``--by``, or ``{"pooled": {...}, "stratified": {"value", "se",
"ci_low", "ci_high", "n"}, "uncovered_share"}`` for ``--strata``. User errors exit 2 with one line.

``--kind spans|boxes|multilabel`` (issue 13): FILE and GOLD are the kind's frames (see its ``kind.py``; GOLD has
the same columns without ``annotator_id``) and the output is the kind's accuracy JSON, computed by the metric the
kind declares (``KindSpec.metrics["accuracy_json"]``): spans and boxes ``{"kind", "overall": {precision, recall,
f1 + Wilson intervals, n_annotated, n_gold}, "per_label": {...}, ...}`` (boxes: ``--iou`` threshold, default 0.5,
plus localisation bias, missed / hallucinated boxes and label confusions; spans: per-annotator boundary / label
errors and misses); multilabel ``{"kind", "overall": {hamming_accuracy, subset_accuracy + intervals},
"per_label": {label: {precision, recall}}, "per_annotator": {...}}``.
"""
from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from analytics import kinds
from analytics.accuracy import accuracy_by, stratified_accuracy
from analytics.frames import require_columns
from analytics.io.files import MISSING_RULE, read_table

_FIELDS = ("value", "ci_low", "ci_high", "n")


def _file_kinds() -> list[str]:
    return [k.name for k in kinds.all_kinds() if k.name == kinds.DEFAULT_KIND or "accuracy_json" in k.metrics]


def add_parser(sub) -> None:
    p = sub.add_parser("accuracy", help="accuracy against gold (Wilson intervals; post-stratified with --strata)",
                       description="Accuracy of annotations against gold labels. FILE/GOLD/POP are CSV or Parquet. "
                                   f"Missing values: {MISSING_RULE}.")
    p.add_argument("file", metavar="FILE", help="annotations: item_id, annotator_id, label (+ grouping columns)")
    p.add_argument("--gold", required=True, metavar="GOLD", help="gold labels: item_id, label")
    p.add_argument("--kind", default=kinds.DEFAULT_KIND, choices=_file_kinds(),
                   help=f"annotation kind of FILE and GOLD (default {kinds.DEFAULT_KIND})")
    p.add_argument("--iou", type=float, help="--kind boxes: IoU threshold of a match to gold (default 0.5)")
    p.add_argument("--by", metavar="COL", help="report one estimate per value of this column of FILE "
                                                "(or 'gold_label')")
    p.add_argument("--strata", metavar="COL", help="post-stratify by this column of FILE (or 'gold_label'); "
                                                   "needs --population")
    p.add_argument("--population", metavar="POP", help="stratum, population (items per stratum in the data set)")
    p.add_argument("--small-n", type=int, help="flag estimates with fewer scored annotations (default 30)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    if hasattr(x, "item"):  # numpy scalar
        return _clean(x.item())
    return x


def _record(row: pd.Series | dict) -> dict[str, Any]:
    value = row["accuracy"] if "accuracy" in row else row["value"]
    out = {"value": _clean(value), "ci_low": _clean(row["ci_low"]), "ci_high": _clean(row["ci_high"]),
           "n": int(row["n"])}
    reason = row.get("reason") if hasattr(row, "get") else None
    if reason:
        out["reason"] = reason
    return out


def _with_gold(ann: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    require_columns(ann, ("item_id", "annotator_id", "label"), "annotations file")
    require_columns(gold, ("item_id", "label"), "gold file")
    if gold["item_id"].duplicated().any():
        dup = gold.loc[gold["item_id"].duplicated(), "item_id"].iloc[0]
        raise ValueError(f"gold file has more than one label for item {dup!r}")
    g = gold[["item_id", "label"]].rename(columns={"label": "gold_label"})
    if "gold_label" in ann.columns:
        ann = ann.drop(columns="gold_label")
    return ann.merge(g, on="item_id", how="left")


def _row(rec: dict[str, Any], small_n: int, group: list[str] = ()) -> list[str]:
    from analytics.commands import _text

    note = rec.get("reason") or _text.small_note(rec["n"], "annotations", small_n)
    return [*group, _text.num(rec["value"]), _text.ci(rec["ci_low"], rec["ci_high"]), _text.count(rec["n"]), note]


_WILSON = "interval: Wilson score 95%; n = annotations scored against gold"


def _run_kind(args) -> int:
    for name in ("by", "strata", "population", "small_n"):
        if getattr(args, name) is not None:
            raise ValueError(f"--{name.replace('_', '-')} applies to --kind classification only "
                             f"(this is --kind {args.kind})")
    if args.iou is not None and args.kind != "boxes":
        raise ValueError(f"--iou applies to --kind boxes only (this is --kind {args.kind})")
    iou = 0.5 if args.iou is None else args.iou
    if not 0 < iou <= 1:
        raise ValueError(f"--iou must be in (0, 1], got {iou:g}")
    spec = kinds.get(args.kind)
    frame = spec.reader("file")(args.file)["frame"]
    gold = spec.reader("file")(args.gold, role="gold")["frame"]  # a Label Studio export: its ground_truth
    if args.kind == "boxes":
        res = spec.metric("accuracy_json")(frame, gold, iou=iou)
    else:
        res = spec.metric("accuracy_json")(frame, gold)
    if args.json:
        print(json.dumps(res))
        return 0
    _print_kind(res, args)
    return 0


def _print_kind(res: dict, args) -> None:
    from analytics.commands import _text

    if res["kind"] == "multilabel":
        head = ["label", "precision", "95% CI", "recall", "95% CI", "n_gold", "note"]
        rows = [[lab, _text.num(d["precision"]), _text.ci(d["precision_ci_low"], d["precision_ci_high"]),
                 _text.num(d["recall"]), _text.ci(d["recall_ci_low"], d["recall_ci_high"]),
                 _text.count(d["n_recall"]), _text.small_note(d["n_recall"], "gold sets with the label")]
                for lab, d in res["per_label"].items()]
        o = res["overall"]
        notes = [f"Hamming accuracy {_text.num(o['hamming_accuracy'])} "
                 f"{_text.ci(o['hamming_accuracy_ci_low'], o['hamming_accuracy_ci_high'])} "
                 f"n={_text.count(o['n_hamming_accuracy'])} decisions; subset accuracy "
                 f"{_text.num(o['subset_accuracy'])} {_text.ci(o['subset_accuracy_ci_low'], o['subset_accuracy_ci_high'])}"
                 f" n={_text.count(o['n_subset_accuracy'])} sets", f"method: {res['method']}"]
        _text.print_table(f"Multi-label accuracy -- {args.file}", head, rows, notes)
        return
    head = ["label", "precision", "95% CI", "recall", "95% CI", "F1", "n_annotated", "n_gold", "note"]

    def row(name: str, d: dict) -> list[str]:
        return [name, _text.num(d["precision"]), _text.ci(d["precision_ci_low"], d["precision_ci_high"]),
                _text.num(d["recall"]), _text.ci(d["recall_ci_low"], d["recall_ci_high"]), _text.num(d["f1"]),
                _text.count(d["n_annotated"]), _text.count(d["n_gold"]),
                _text.small_note(min(d["n_annotated"], d["n_gold"]), "regions")]

    rows = [row("(all labels)", res["overall"])] + [row(lab, d) for lab, d in res["per_label"].items()]
    what = f"Box accuracy (IoU >= {res['iou_threshold']:g})" if res["kind"] == "boxes" else "Span accuracy (exact match)"
    _text.print_table(f"{what} -- {args.file}", head, rows, [f"method: {res['method']}"])


def run(args) -> int:
    if args.kind != kinds.DEFAULT_KIND:
        return _run_kind(args)
    if args.iou is not None:
        raise ValueError("--iou applies to --kind boxes only (this is --kind classification)")
    args.small_n = 30 if args.small_n is None else args.small_n
    df = _with_gold(read_table(args.file, "annotations"), read_table(args.gold, "gold"))
    if args.strata or args.population:
        if not (args.strata and args.population):
            raise ValueError("--strata and --population go together")
        if args.by:
            raise ValueError("use either --by or --strata, not both")
        return _run_stratified(args, df)
    if args.by:
        table = accuracy_by(df, args.by, small_n=args.small_n)
        group_col = table.columns[0]  # 'attr:<key>' is reported as column '<key>'
        recs = [{"group": _clean(r[group_col]), **_record(r)} for _, r in table.iterrows()]  # a few groups
        if args.json:
            print(json.dumps(recs))
        else:
            from analytics.commands import _text
            _text.print_table(f"Accuracy against gold by {args.by} -- {args.file}",
                              [args.by, "value", "95% CI", "n", "note"],
                              [_row(r, args.small_n, [str(r["group"])]) for r in recs], [_WILSON])
        return 0
    rec = _record(accuracy_by(df, None, small_n=args.small_n).iloc[0])
    if args.json:
        print(json.dumps(rec))
    else:
        from analytics.commands import _text
        _text.print_table(f"Accuracy against gold -- {args.file}", ["value", "95% CI", "n", "note"],
                          [_row(rec, args.small_n)], [_WILSON])
    return 0


def _run_stratified(args, df: pd.DataFrame) -> int:
    col = args.strata
    require_columns(df, (col,), "annotations file")
    pop = read_table(args.population, "population")
    require_columns(pop, ("stratum", "population"), "population file")
    counts = accuracy_by(df, col)[[col, "correct", "n", "n_items"]].rename(columns={col: "stratum"})
    counts = counts[counts["stratum"].notna()]
    counts["stratum"] = counts["stratum"].astype(str)
    pop = pop.assign(stratum=pop["stratum"].astype(str),
                     population=pd.to_numeric(pop["population"], errors="coerce"))
    if pop["population"].isna().any():
        raise ValueError("population file: column 'population' must hold numbers")
    unknown = sorted(set(counts["stratum"]) - set(pop["stratum"]))
    if unknown:
        raise ValueError(f"population file has no population for stratum {unknown[0]!r}"
                         + (f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""))
    strata = pop[["stratum", "population"]].merge(counts, on="stratum", how="left").fillna(
        {"correct": 0, "n": 0, "n_items": 0})
    res = stratified_accuracy(strata, small_n=args.small_n)
    pooled = _record({"value": res.pooled.value, "ci_low": res.pooled.ci_low, "ci_high": res.pooled.ci_high,
                      "n": res.pooled.n, "reason": res.pooled.reason})
    s = res.stratified
    strat = {"value": _clean(s.value), "se": _clean(res.se), "ci_low": _clean(s.ci_low), "ci_high": _clean(s.ci_high),
             "n": int(s.n)}
    if s.reason:
        strat["reason"] = s.reason
    out = {"pooled": pooled, "stratified": strat, "uncovered_share": res.uncovered_share}
    if args.json:
        print(json.dumps(out))
    else:
        from analytics.commands import _text
        rows = [["pooled", *_row(pooled, args.small_n)[:2], "", *_row(pooled, args.small_n)[2:]],
                ["stratified", *_row(strat, args.small_n)[:2], _text.num(strat["se"]), *_row(strat, args.small_n)[2:]]]
        _text.print_table(f"Accuracy against gold, post-stratified by {col} -- {args.file}",
                          ["estimate", "value", "95% CI", "se", "n", "note"], rows,
                          [_WILSON + " (pooled); stratified: normal interval from se"]
                          + [f"note: {note}" for note in res.notes])
    return 0
