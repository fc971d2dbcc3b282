"""``labelqa agreement FILE``: inter-annotator agreement of a label file (CSV or Parquet).

FILE has the columns ``item_id, annotator_id, label`` (+ any grouping columns). Prints one JSON object
``{"metric", "value", "ci_low", "ci_high", "n_items", "n_annotations"}`` (+ ``"level"`` for Krippendorff,
``"weights"`` for Cohen, ``"reason"`` when undefined), with ``--by`` a list of those each with a ``"group"`` key;
without ``--json`` a readable table. Errors (missing column, unknown metric, non-numeric labels for a numeric
level) are one line on stderr with exit code 2 (see ``analytics.cli.main``).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics import agreement as ag
from analytics.frames import require_columns

CLI_METRICS = ("percent", "cohen", "fleiss", "krippendorff", "gwet_ac1", "scott_pi")


def add_parser(sub) -> None:
    p = sub.add_parser("agreement", help="inter-annotator agreement of a label file (CSV or Parquet)",
                       description="Agreement with a cluster-bootstrap confidence interval. FILE needs the "
                                   "columns item_id, annotator_id, label. Rows are counted from 1 at the first "
                                   "data row.")
    p.add_argument("file", help="CSV or Parquet file (item_id, annotator_id, label, + grouping columns)")
    p.add_argument("--metric", default="krippendorff", help=f"one of {', '.join(CLI_METRICS)} (default krippendorff)")
    p.add_argument("--level", default="nominal", help="Krippendorff level: nominal, ordinal, interval, ratio")
    p.add_argument("--weights", default="none", help="Cohen weights: none, linear, quadratic")
    p.add_argument("--by", help="a column to group by (one result per group)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (0: no interval)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _read(path: str) -> pd.DataFrame:
    f = Path(path)
    if not f.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if f.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(f)
    # ids and labels as text: '007' stays '007' (as in the database); missing cells are missing ratings
    return pd.read_csv(f, dtype=str, sep="\t" if f.suffix.lower() == ".tsv" else ",")


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
    print(f"{name} -- {args.file}")
    head = (["group"] if args.by else []) + ["value", "95% CI", "n_items", "n_annotations", "note"]
    rows = []
    for r in records:
        v = "undefined" if r["value"] is None else f"{r['value']:.3f}"
        ci = "" if r["ci_low"] is None else f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        rows.append(([str(r["group"])] if args.by else []) + [v, ci, f"{r['n_items']:,}", f"{r['n_annotations']:,}",
                                                             r.get("reason", "")])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    if args.n_boot > 0:
        print(f"interval: percentile cluster bootstrap over md5 item buckets, {args.n_boot} replicates, "
              f"seed {args.seed}")
