"""``labelqa accuracy``: accuracy against gold of an annotation file, overall, per group, or post-stratified.

    labelqa accuracy FILE --gold GOLD [--by COL] [--json]
    labelqa accuracy FILE --gold GOLD --strata COL --population POP [--json]

FILE: annotations (``item_id, annotator_id, label`` + any grouping column); GOLD: ``item_id, label``;
POP: ``stratum, population`` (items of each stratum in the whole data set). CSV or Parquet.
Output (``--json``): ``{"value", "ci_low", "ci_high", "n"}`` (Wilson interval; ``n`` = annotations scored against
gold), a list of those with a ``"group"`` key for ``--by``, or ``{"pooled": {...}, "stratified": {"value", "se",
"ci_low", "ci_high", "n"}, "uncovered_share"}`` for ``--strata``. User errors exit 2 with one line.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.accuracy import accuracy_by, stratified_accuracy
from analytics.frames import require_columns

_FIELDS = ("value", "ci_low", "ci_high", "n")


def add_parser(sub) -> None:
    p = sub.add_parser("accuracy", help="accuracy against gold (Wilson intervals; post-stratified with --strata)",
                       description="Accuracy of annotations against gold labels. FILE/GOLD/POP are CSV or Parquet.")
    p.add_argument("file", metavar="FILE", help="annotations: item_id, annotator_id, label (+ grouping columns)")
    p.add_argument("--gold", required=True, metavar="GOLD", help="gold labels: item_id, label")
    p.add_argument("--by", metavar="COL", help="report one estimate per value of this column of FILE "
                                                "(or 'gold_label')")
    p.add_argument("--strata", metavar="COL", help="post-stratify by this column of FILE (or 'gold_label'); "
                                                   "needs --population")
    p.add_argument("--population", metavar="POP", help="stratum, population (items per stratum in the data set)")
    p.add_argument("--small-n", type=int, default=30, help="flag estimates with fewer scored annotations (default 30)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def read_table(path: str, what: str) -> pd.DataFrame:
    """Read a CSV or Parquet file with every column as text (ids stay ids)."""
    f = Path(path)
    if not f.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    suffix = f.suffix.lower()
    if suffix == ".parquet" or suffix == ".pq":
        return pd.read_parquet(f).astype("str")  # missing values stay missing
    if suffix in (".csv", ".txt", ".tsv"):
        return pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""],
                           sep="\t" if suffix == ".tsv" else ",")
    raise ValueError(f"{what} file {path}: unknown format {suffix or '(no extension)'!r}; use .csv or .parquet")


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


def _fmt(rec: dict[str, Any]) -> str:
    if rec["value"] is None:
        return f"undefined ({rec.get('reason', 'no data')}), n={rec['n']}"
    return f"{rec['value']:.4f}  95% CI [{rec['ci_low']:.4f}, {rec['ci_high']:.4f}]  n={rec['n']}"


def run(args) -> int:
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
            for r in recs:
                print(f"{args.by}={r['group']}: {_fmt(r)}")
        return 0
    rec = _record(accuracy_by(df, None, small_n=args.small_n).iloc[0])
    print(json.dumps(rec) if args.json else f"accuracy: {_fmt(rec)}")
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
        print(f"pooled:       {_fmt(pooled)}")
        print(f"stratified:   {_fmt(strat)}" + (f"  se={strat['se']:.4f}" if strat["se"] is not None else ""))
        for note in res.notes:
            print(f"note: {note}")
    return 0
