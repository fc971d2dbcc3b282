"""``labelqa label-errors``: likely label errors of a labelled set from out-of-sample model scores
(confident learning, :mod:`analytics.metrics.label_errors`; issue 14 section 1).

    labelqa label-errors --labels LABELS --scores SCORES [--filter-by RULE] [--rank-by RANKING] [--json | --out FILE]

LABELS: ``item_id, label`` (one row per item). SCORES, either layout:

- long: ``item_id, label, score`` (other columns ignored). Top-k is allowed: a class without a row for an item
  has score 0, so an item's scores may sum to less than 1 (never more); an item with a row for every class
  must sum to 1.
- wide: ``item_id`` plus one column per class, named ``<label>`` or ``prob_<label>`` (all columns alike);
  every row sums to 1.

Files are CSV, Parquet (``.parquet``/``.pq``) or JSON Lines (``.jsonl``/``.ndjson``); ids and labels are read as
text (``007`` stays ``007``). Scores must be finite, non-negative and sum to 1 within ``SUM_TOLERANCE``.
Every labelled item needs scores, every scored item a label, and every given label a score column (wide)
or at least one score row (long); classes only the model predicts are allowed.

Output: ``--json`` prints ``{"n_items", "n_issues", "issues": [{"item_id", "given_label", "suggested_label",
"score"}, ...], "per_class": {label: {"n", "n_issues", "share"}}}`` with the issues ranked (lowest label quality
first; ``score`` is the label quality under ``--rank-by``, ``suggested_label`` the most likely other class).
``--out FILE`` writes the ranked issues as CSV through :mod:`analytics.render.csv` (text cells starting with
``= + - @``, tab or CR get a leading ``'``). Otherwise a readable summary: counts per class and the top 20.

User errors print one line naming the file, the row (data rows counted from 1; in a CSV, line = row + 1) and
the column, and exit 2.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.cli import UsageError
from analytics.metrics.label_errors import FILTERS, RANKINGS, label_errors_document, label_errors_from_frames
from analytics.render.csv import write_csv

SUM_TOLERANCE = 1e-3
TOP = 20
_PARQUET = (".parquet", ".pq")
_JSONL = (".jsonl", ".ndjson")
_CSV = (".csv", ".txt")


def add_parser(sub) -> None:
    p = sub.add_parser("label-errors", help="likely label errors from model scores (confident learning)",
                       description="Find labels that are likely wrong from out-of-sample class scores "
                                   "(Northcutt, Jiang & Chuang 2021). Files are CSV, Parquet or JSON Lines.")
    p.add_argument("--labels", required=True, metavar="LABELS", help="item_id, label")
    p.add_argument("--scores", required=True, metavar="SCORES",
                   help="long item_id, label, score (top-k allowed) or wide item_id + one column per class "
                        "(<label> or prob_<label>)")
    p.add_argument("--filter-by", choices=FILTERS, default="prune_by_noise_rate",
                   help="confident-learning rule (default prune_by_noise_rate)")
    p.add_argument("--rank-by", choices=RANKINGS, default="self_confidence",
                   help="label quality used to rank the issues (default self_confidence)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the JSON document")
    out.add_argument("--out", metavar="FILE", help="write the ranked issues as CSV")
    p.set_defaults(func=run)


def _where(path: str, row: int, column: str | None = None) -> str:
    line = f" (line {row + 1})" if Path(path).suffix.lower() in _CSV else ""
    return f"{path} row {row}{line}" + (f", column {column!r}" if column is not None else "")


def read_table(path: str, what: str) -> pd.DataFrame:
    """CSV / Parquet / JSONL as a frame (CSV: every cell text, empty = missing)."""
    f = Path(path)
    if not f.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    suffix = f.suffix.lower()
    try:
        if suffix in _PARQUET:
            df = pd.read_parquet(f)
        elif suffix in _JSONL:
            df = pd.read_json(f, lines=True, dtype=False)
        elif suffix in _CSV:
            df = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
        else:
            raise UsageError(f"{what} file {path}: unknown format {suffix or '(no extension)'!r}; "
                             "use .csv, .parquet or .jsonl")
    except UsageError:
        raise
    except Exception as exc:  # parser errors of three libraries: one line, exit 2
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"cannot read {what} file {path}: {first}") from None
    df.columns = [str(c) for c in df.columns]
    if df.empty:
        raise UsageError(f"{what} file {path} has no rows")
    return df


def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))  # JSON/Parquet numbers read as floats: 7.0 is the id 7
    return str(v)


def _text(df: pd.DataFrame, col: str, path: str) -> np.ndarray:
    """Column as text, refusing missing/empty cells (named by row)."""
    s = df[col]
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:  # text already (CSV, Parquet strings): no loop
        txt = s.to_numpy(object, na_value="")
    else:
        txt = np.array([_cell_text(v) for v in s.to_numpy(object)], dtype=object)
    empty = np.flatnonzero(txt == "")
    if len(empty):
        raise UsageError(f"{_where(path, int(empty[0]) + 1, col)}: empty {col}")
    return txt


def _require(df: pd.DataFrame, cols, path: str, what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise UsageError(f"{what} file {path} is missing column(s) {', '.join(map(repr, missing))}; "
                         f"it has {', '.join(map(repr, df.columns))}")


def _numbers(df: pd.DataFrame, cols: list[str], path: str) -> np.ndarray:
    """(rows, len(cols)) float array; refuses missing, non-numeric, non-finite or negative cells."""
    out = np.empty((len(df), len(cols)))
    for j, c in enumerate(cols):
        s = df[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            try:
                v = s.astype(float).to_numpy()  # Python float(): exact parse of what the file says
            except (TypeError, ValueError):
                num = pd.to_numeric(s, errors="coerce")
                r = int(np.flatnonzero(num.isna().to_numpy() & s.notna().to_numpy())[0])
                raise UsageError(f"{_where(path, r + 1, c)}: score {s.iloc[r]!r} is not a number") from None
        elif pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise UsageError(f"{path} column {c!r}: scores must be numbers, got {s.dtype}")
        else:
            v = s.to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(v))
        if len(bad):
            r = int(bad[0])
            what = "missing" if pd.isna(s.iloc[r]) else f"{s.iloc[r]!r}, not a finite number"
            raise UsageError(f"{_where(path, r + 1, c)}: score is {what}")
        neg = np.flatnonzero(v < 0)
        if len(neg):
            r = int(neg[0])
            raise UsageError(f"{_where(path, r + 1, c)}: score {v[r]!r} is negative")
        out[:, j] = v
    return out


def _first_dup(ids: np.ndarray) -> int | None:
    d = np.flatnonzero(pd.Index(ids).duplicated())
    return None if len(d) == 0 else int(d[0])


def read_inputs(labels_path: str, scores_path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validated ``labels`` (item_id, label as text) and a wide ``scores`` frame (item_id + one column per class)."""
    lab = read_table(labels_path, "labels")
    _require(lab, ("item_id", "label"), labels_path, "labels")
    lab_ids, lab_labels = _text(lab, "item_id", labels_path), _text(lab, "label", labels_path)
    d = _first_dup(lab_ids)
    if d is not None:
        raise UsageError(f"{_where(labels_path, d + 1, 'item_id')}: item {lab_ids[d]!r} is labelled twice")

    sc = read_table(scores_path, "scores")
    if "item_id" not in sc.columns:
        raise UsageError(f"scores file {scores_path} is missing column 'item_id'; it has "
                         f"{', '.join(map(repr, sc.columns))}")
    sc_ids = _text(sc, "item_id", scores_path)
    long = {"label", "score"} <= set(sc.columns)
    if not long and {"label", "score"} & set(sc.columns):
        have, lack = ("label", "score") if "label" in sc.columns else ("score", "label")
        raise UsageError(f"scores file {scores_path} has column {have!r} but is missing column {lack!r}: the long "
                         "layout is item_id, label, score; the wide one item_id plus one column per class")
    if long:
        sc_labels = _text(sc, "label", scores_path)
        val = _numbers(sc, ["score"], scores_path)[:, 0]
        d = _first_dup(pd.MultiIndex.from_arrays([sc_ids, sc_labels]))
        if d is not None:
            raise UsageError(f"{_where(scores_path, d + 1, 'label')}: item {sc_ids[d]!r} has a second score "
                             f"for label {sc_labels[d]!r}")
        classes = sorted(set(sc_labels))
        row_codes, items = pd.factorize(sc_ids)
        col_codes = pd.Categorical(sc_labels, categories=classes).codes
        probs = np.zeros((len(items), len(classes)))
        probs[row_codes, col_codes] = val
        first_row = np.full(len(items), -1)
        first_row[row_codes[::-1]] = np.arange(len(sc_ids))[::-1]
        n_rows = np.bincount(row_codes, minlength=len(items))
        items = np.asarray(items, dtype=object)
        cols = ["score"]
        where_col = "score"
    else:
        cols = [c for c in sc.columns if c != "item_id"]
        if not cols:
            raise UsageError(f"scores file {scores_path} has only item_id: it needs item_id, label, score (long) "
                             "or item_id plus one column per class (wide)")
        pref = [c.startswith("prob_") for c in cols]
        if any(pref) and not all(pref):
            odd = cols[pref.index(False)]
            raise UsageError(f"scores file {scores_path}, column {odd!r}: in a wide layout with prob_<label> "
                             "columns every class column must be prob_<label> (or use item_id, label, score)")
        classes = [c[5:] if all(pref) else c for c in cols]
        if len(set(classes)) < len(classes):
            raise UsageError(f"scores file {scores_path} has two columns for one class")
        d = _first_dup(sc_ids)
        if d is not None:
            raise UsageError(f"{_where(scores_path, d + 1, 'item_id')}: item {sc_ids[d]!r} has a second row")
        probs = _numbers(sc, cols, scores_path)
        items = sc_ids
        first_row = np.arange(len(items))
        n_rows = None
        where_col = f"{cols[0]}..{cols[-1]}" if len(cols) > 1 else cols[0]

    total = probs.sum(axis=1)
    over = np.flatnonzero(total > 1 + SUM_TOLERANCE)
    full = np.ones(len(items), bool) if n_rows is None else n_rows == len(classes)
    under = np.flatnonzero(full & (total < 1 - SUM_TOLERANCE))
    for bad, how in ((over, "more than 1"), (under, "not 1")):
        if len(bad):
            i = int(bad[np.argmin(first_row[bad])])
            raise UsageError(f"{_where(scores_path, int(first_row[i]) + 1, where_col)}: scores of item "
                             f"{items[i]!r} sum to {total[i]:.6g}, {how}")

    # object indexes: pandas 3 would infer Arrow strings, whose isin loops in Python (5 s of 9 s at 200k items)
    known = pd.Index(lab_ids, dtype=object)
    unknown = np.flatnonzero(~pd.Index(items, dtype=object).isin(known))
    if len(unknown):
        i = int(unknown[np.argmin(first_row[unknown])])
        raise UsageError(f"{_where(scores_path, int(first_row[i]) + 1, 'item_id')}: item {items[i]!r} is not "
                         f"in the labels file {labels_path}")
    unscored = np.flatnonzero(~known.isin(pd.Index(items, dtype=object)))
    if len(unscored):
        r = int(unscored[0])
        raise UsageError(f"{_where(labels_path, r + 1, 'item_id')}: item {lab_ids[r]!r} has no scores in "
                         f"{scores_path}")
    absent = np.flatnonzero(~pd.Index(lab_labels, dtype=object).isin(pd.Index(classes, dtype=object)))
    if len(absent):
        r = int(absent[0])
        where = "no score rows with that label" if long else "no column for it"
        raise UsageError(f"{_where(labels_path, r + 1, 'label')}: label {lab_labels[r]!r} is absent from the "
                         f"scores: {scores_path} has {where} (classes: {', '.join(map(repr, classes[:10]))}"
                         f"{', ...' if len(classes) > 10 else ''})")
    # prob_ names: a class called "label" or "score" must not make the core read the frame as long
    wide = pd.DataFrame(probs, columns=[f"prob_{c}" for c in classes])
    wide.insert(0, "item_id", items)
    return pd.DataFrame({"item_id": lab_ids, "label": lab_labels}), wide


def _pct(x) -> str:
    return "-" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.1f}%"


def _summary(res, args) -> str:
    pc = res.per_class
    n_issues = len(res.issues)
    lines = [f"labelqa label-errors: {res.n_items} items, {len(pc)} classes, {n_issues} likely label error(s) "
             f"({_pct(n_issues / res.n_items)}); filter {res.filter_by}, ranked by {res.rank_by}", "",
             "per given label:"]
    w = max(5, *(len(str(c)) for c in pc.index))
    lines.append(f"  {'label':<{w}}  {'n':>8}  {'issues':>7}  {'share':>7}  95% interval")
    for c, r in pc.iterrows():
        ci = "" if r.n == 0 else f"[{_pct(r.ci_low)}, {_pct(r.ci_high)}]"
        lines.append(f"  {str(c):<{w}}  {int(r.n):>8}  {int(r.n_issues):>7}  {_pct(r.share):>7}  {ci}")
    if n_issues:
        top = res.issues.head(TOP)
        lines += ["", f"top {len(top)} of {n_issues} (lowest {res.rank_by} first; --json or --out for all):"]
        wi = max(7, *(len(str(x)) for x in top.item_id))
        wg = max(5, *(len(str(x)) for x in top.given_label))
        ws = max(9, *(len(str(x)) for x in top.suggested_label))
        lines.append(f"  {'rank':>4}  {'item_id':<{wi}}  {'given':<{wg}}  {'suggested':<{ws}}  score")
        for k, r in enumerate(top.itertuples(index=False), 1):
            lines.append(f"  {k:>4}  {str(r.item_id):<{wi}}  {str(r.given_label):<{wg}}  "
                         f"{str(r.suggested_label):<{ws}}  {r.score:.4f}")
    return "\n".join(lines)


def run(args) -> int:
    labels, wide = read_inputs(args.labels, args.scores)
    res = label_errors_from_frames(labels, wide, filter_by=args.filter_by, rank_by=args.rank_by)
    if args.json:
        print(json.dumps(label_errors_document(res), ensure_ascii=False))
    elif args.out:
        try:
            write_csv(res.issues[["item_id", "given_label", "suggested_label", "score"]], args.out)
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        print(f"labelqa label-errors: {len(res.issues)} likely label error(s) of {res.n_items} items "
              f"(filter {res.filter_by}, ranked by {res.rank_by}); wrote {args.out}")
    else:
        print(_summary(res, args))
    return 0
