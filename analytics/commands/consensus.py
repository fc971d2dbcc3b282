"""``labelqa consensus FILE --method {majority,dawid_skene} --out OUT.csv [--annotators-out A.csv]
[--tie lowest|random] [--max-iter N]``: consensus labels of a CSV (or Parquet) file of annotations.

FILE has columns ``item_id, annotator_id, label`` (extra columns are ignored), read by the shared reader
:func:`analytics.io.files.read_table` (values as text so ids such as ``007`` survive; only an empty cell is
missing). OUT gets ``item_id, label, confidence`` (majority: the winning label's share of votes;
Dawid-Skene: its posterior probability). A gets ``annotator_id, estimated_accuracy, n_annotations``
(majority: the share of the annotator's labels that agree with the consensus label; Dawid-Skene: the
gold-free estimate ``sum_k prior_k * confusion[a, k, k]``). User errors exit 2 with one line on stderr.
"""
from __future__ import annotations


import pandas as pd

from analytics.cli import UsageError
from analytics.frames import ANNOTATION_COLUMNS
from analytics.io.files import MISSING_RULE, file_row, read_table, require_file_columns
from analytics.metrics.consensus import DawidSkene, majority_vote
from analytics.render.csv import write_csv


def add_parser(sub) -> None:
    p = sub.add_parser("consensus", help="consensus labels (majority vote or Dawid-Skene) of an annotations CSV",
                       description="Consensus labels of FILE (CSV or Parquet: item_id, annotator_id, label). "
                                   f"Missing values: {MISSING_RULE}; rows with an empty label are skipped.")
    p.add_argument("file", help="CSV or Parquet with item_id, annotator_id, label")
    p.add_argument("--method", choices=("majority", "dawid_skene"), default="majority")
    p.add_argument("--out", required=True, help="output CSV: item_id, label, confidence")
    p.add_argument("--annotators-out", help="optional CSV: annotator_id, estimated_accuracy, n_annotations")
    p.add_argument("--tie", choices=("lowest", "random"), default="lowest",
                   help="majority-vote ties: lowest label (sorted) or a seeded random draw (default lowest)")
    p.add_argument("--seed", type=int, default=0, help="seed for --tie random (default 0)")
    p.add_argument("--max-iter", type=int, default=100, help="Dawid-Skene EM iterations at most (default 100)")
    p.set_defaults(func=run)


def _read(path: str) -> pd.DataFrame:
    """The shared reader (:mod:`analytics.io.files`): text columns, only an empty cell is missing."""
    df = read_table(path, "annotations")
    require_file_columns(df, ANNOTATION_COLUMNS, path, "annotations")
    df = df[list(ANNOTATION_COLUMNS)]
    if df["item_id"].isna().any() or df["annotator_id"].isna().any():
        bad = df["item_id"].isna() | df["annotator_id"].isna()
        raise UsageError(f"annotations file {path}: row {file_row(bad.to_numpy().argmax())} has an empty item_id "
                         "or annotator_id")
    df = df[df["label"].notna()]
    if df.empty:
        raise UsageError(f"annotations file {path} has no labelled rows")
    return df


def run(args) -> int:
    if args.max_iter < 1:
        raise UsageError("--max-iter must be at least 1")
    df = _read(args.file)
    if args.method == "majority":
        mv = majority_vote(df, tie=args.tie, seed=args.seed)
        out = mv[["item_id", "label", "confidence"]]
        winner = df["item_id"].map(mv.set_index("item_id")["label"])
        agree = (df["label"] == winner).to_numpy()
        ann = (pd.DataFrame({"annotator_id": df["annotator_id"].to_numpy(), "agree": agree.astype(float)})
               .groupby("annotator_id", sort=True)["agree"].agg(["mean", "size"])
               .rename(columns={"mean": "estimated_accuracy", "size": "n_annotations"}).reset_index())
        note = f"{int(mv['tied'].sum())} tied item(s) resolved by tie rule '{args.tie}'"
    else:
        ds = DawidSkene(max_iter=args.max_iter).fit(df)
        out = ds.labels_
        ann = ds.annotator_skill_[["annotator_id", "estimated_accuracy", "n_annotations"]]
        note = f"EM {'converged' if ds.converged_ else 'stopped at --max-iter'} after {ds.n_iter_} iteration(s)"
    for frame, path in ((out, args.out), (ann, args.annotators_out)):
        if path:
            try:
                write_csv(frame, path)
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"labelqa consensus: {len(out)} items, {df['annotator_id'].nunique()} annotators, method {args.method}; "
          f"{note}; wrote {args.out}" + (f" and {args.annotators_out}" if args.annotators_out else ""))
    return 0

