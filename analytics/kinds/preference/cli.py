"""``labelqa preference JUDGMENTS [--pairs PAIRS] [--by dimension|annotator|week|category] [--dpo] [--json]``
or ``labelqa preference --project P [--db URL] [--by ...] [--json]`` (the database: what ``labelqa load`` put in
``preference_pairs`` / ``preference_judgments``; the same document from SQL sufficient statistics).

JUDGMENTS (CSV, TSV, Parquet or JSON Lines) has ``pair_id, annotator_id, choice`` (``a``, ``b`` or ``tie``) and
optional ``dimension, shown_first (a|b), created_at`` (+ the other judgment columns of
:mod:`analytics.kinds.preference.shapes`). PAIRS has ``pair_id`` and optional ``prompt_id, response_a,
response_b`` (ids of the compared objects, e.g. model names), ``len_a, len_b`` (or ``text_a, text_b``),
``category``. With ``--dpo`` JUDGMENTS is a DPO/TRL JSON Lines file (``prompt, chosen, rejected``) that holds
both the pairs and the verdicts (``chosen`` is response ``a``); ``--pairs`` is then refused.

``--json`` prints the document of :func:`analytics.kinds.preference.report.preference_report` (per group:
``n_pairs, n_judgments, tie_rate, agreement, position_bias, length_bias, transitivity, bradley_terry``; with
``--by`` a list of those each with its ``group``); otherwise a short table. Bad input (a choice outside
{a, b, tie}, a judgment of a pair missing from PAIRS, a missing column) is one line on stderr naming the file,
the row (1 = first data row) and the column, exit code 2 (see ``analytics.cli.main``).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["add_parser", "run"]

_BY = ("dimension", "annotator", "week", "category")


def add_parser(sub) -> None:
    p = sub.add_parser("preference", help="quality of pairwise preference judgments (a/b/tie) in a file",
                       description="Agreement (MT-Bench percent with and without ties, Fleiss, Krippendorff), tie "
                                   "rate, position and length bias, transitivity and Bradley-Terry strengths of "
                                   "pairwise judgments. Rows are counted from 1 at the first data row.")
    p.add_argument("judgments", metavar="JUDGMENTS", nargs="*",
                   help="judgments file: pair_id, annotator_id, choice (+ dimension, shown_first, created_at); "
                        "leave out with --project to read the database. 'export [JUDGMENTS]' writes the clean set "
                        "as DPO JSON Lines (prompt, chosen, rejected) instead")
    p.add_argument("--pairs", metavar="PAIRS",
                   help="pairs file: pair_id (+ prompt_id, response_a, response_b, len_a, len_b or text_a, "
                        "text_b, category)")
    p.add_argument("--by", choices=_BY, help="one result per dimension, annotator, ISO week or prompt category")
    p.add_argument("--dpo", action="store_true",
                   help="JUDGMENTS is a DPO/TRL JSONL file (prompt, chosen, rejected) holding pairs and verdicts")
    p.add_argument("--project", help="read the judgments of this preference project from the database instead")
    p.add_argument("--db", help="SQLAlchemy URL with --project (default: LABELQA_DB_URL, secrets.toml, embedded)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (0: no interval)")
    p.add_argument("--seed", type=int, default=0)
    e = p.add_argument_group("export (labelqa preference export ...): the clean set, see "
                             "analytics/kinds/preference/clean_set.py")
    e.add_argument("--out", metavar="PATH", help="write the JSON Lines here (default: standard output)")
    e.add_argument("--min-margin", type=float, default=0.5, help="smallest |n_a - n_b| / n of a clean pair (0.5)")
    e.add_argument("--min-votes", type=int, default=2, help="fewest verdicts on a clean pair (2)")
    e.add_argument("--max-similarity", type=float, default=0.9,
                   help="token Jaccard of the two texts from which a pair is near-identical (0.9)")
    e.add_argument("--alpha", type=float, default=0.05, help="Holm level that flags a judge's position/length bias")
    e.add_argument("--min-strength", type=float, default=None,
                   help="with graded verdicts (strength): smallest mean strength toward the chosen response of a "
                        "clean pair (e.g. 2 on a -3..3 scale); default: no pair left out by strength")
    e.add_argument("--exclude", metavar="JUDGE", action="append", default=[], help="leave out this judge too")
    p.set_defaults(func=run)


def _load(args):
    from analytics.kinds.preference.readers import read_dpo_jsonl, read_judgments, read_pairs

    if args.dpo:
        if args.pairs:
            raise ValueError("--dpo reads the pairs from JUDGMENTS; drop --pairs")
        pairs, judgments = read_dpo_jsonl(args.judgments)
        return judgments, pairs, f"judgments in {Path(args.judgments).name}"
    judgments = read_judgments(args.judgments)
    pairs = read_pairs(args.pairs, allow_identical=True) if args.pairs else None
    jname = f"judgments file {Path(args.judgments).name}"
    if pairs is not None:  # named here so that the message names both files
        from analytics.kinds.preference._boot import known

        unknown = ~known(judgments["pair_id"], pairs["pair_id"])
        if unknown.any():
            pos = int(np.flatnonzero(unknown)[0])
            raise ValueError(f"{jname} row {pos + 1}, column 'pair_id': {judgments['pair_id'].iloc[pos]!r} is not "
                             f"a pair in pairs file {Path(args.pairs).name} ({int(unknown.sum())} row(s) in all)")
    return judgments, pairs, jname


def _export(args) -> int:
    """``labelqa preference export [JUDGMENTS] [--pairs P | --dpo | --project P] [--out F]``."""
    import sys

    from analytics.kinds.preference.clean_set import clean_set, write_jsonl

    if args.project is not None:
        if args.judgments or args.pairs or args.dpo:
            raise ValueError("export --project reads the database; drop JUDGMENTS, --pairs and --dpo")
        from analytics.db import make_engine, resolve_url
        from analytics.kinds.preference import db as pdb

        engine = make_engine(resolve_url(args.db), read_only=True)
        try:
            info = pdb.project_from_db(engine, args.project)
            if info is None or info["task_type"] != "preference":
                what = "not in this database" if info is None else f"a {info['task_type']} project"
                raise ValueError(f"project {args.project!r} is {what}; export --project needs a preference project")
            judgments, pairs = pdb.scope_rows_from_db(engine, args.project), pdb.pairs_from_db(engine, args.project)
        finally:
            engine.dispose()
        source = f"project {args.project}"
    elif not args.judgments:
        raise ValueError("export needs a JUDGMENTS file (with --pairs or --dpo) or --project")
    else:
        args.judgments = args.judgments[0]
        judgments, pairs, source = _load(args)
    if not 0 <= args.min_margin <= 1:
        raise ValueError(f"--min-margin must lie in [0, 1], got {args.min_margin}")
    res = clean_set(judgments, pairs, min_margin=args.min_margin, min_votes=args.min_votes,
                    max_similarity=args.max_similarity, alpha=args.alpha, exclude=args.exclude,
                    n_boot=max(args.n_boot, 0) or 500, seed=args.seed, min_strength=args.min_strength)
    text = write_jsonl(res, pairs, source=source)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        log = sys.stdout
    else:
        sys.stdout.write(text)
        log = sys.stderr
    c = res["counts"]
    print(f"clean set of {source}: {int(c['clean'].sum()):,} of {int(c['units'].sum()):,} pairs"
          + (f" -> {args.out}" if args.out else ""), file=log)
    for r in c.itertuples(index=False):
        print(f"  {r.dimension}: {r.clean:,} of {r.units:,} ({100 * r.share:.1f}%); left out: {r.tie_or_low_margin:,} "
              f"tie or low margin, {r.near_identical:,} near-identical"
              + (f", {r.weak:,} below the strength floor" if r.weak else "")
              + (", dimension at chance" if r.dimension_at_chance else ""), file=log)
    if res["flagged"]:
        print(f"  flagged judges (verdicts left out): {', '.join(res['flagged'])}", file=log)
    for r in res.get("flagged_on", []):
        print(f"  {r['judge']} left out on {r['dimension']}: agrees with the human majority on "
              f"{100 * r['agreement_with_humans']:.1f}% of {r['n']:,} pairs (not above chance)", file=log)
    print(f"  rule: {res['rule']} (the file's first line, _metadata)", file=log)
    return 0


def run(args) -> int:
    from analytics.kinds.preference.report import preference_report

    if args.judgments and args.judgments[0] == "export":
        args.judgments = args.judgments[1:]
        return _export(args)
    if len(args.judgments) > 1:
        raise ValueError(f"give one JUDGMENTS file, got {len(args.judgments)}: {' '.join(args.judgments)}")
    args.judgments = args.judgments[0] if args.judgments else None
    if args.n_boot < 0:
        raise ValueError(f"--n-boot must be >= 0, got {args.n_boot}")
    if args.project is not None:
        if args.judgments or args.pairs or args.dpo:
            raise ValueError("--project reads the database; drop JUDGMENTS, --pairs and --dpo (or drop --project)")
        from analytics.db import make_engine, resolve_url
        from analytics.kinds.preference.db import project_from_db
        from analytics.kinds.preference.report import preference_report_from_db

        engine = make_engine(resolve_url(args.db), read_only=True)
        try:
            info = project_from_db(engine, args.project)
            if info is None or info["task_type"] != "preference":
                what = "not in this database" if info is None else f"a {info['task_type']} project"
                raise ValueError(f"project {args.project!r} is {what}; --project needs a preference project "
                                 "(load one with labelqa load)")
            doc = preference_report_from_db(engine, args.project, by=args.by, n_boot=args.n_boot, seed=args.seed)
        finally:
            engine.dispose()
        args.judgments = f"project {args.project}"
    elif args.judgments is None:
        raise ValueError("give a JUDGMENTS file, or --project to read the database")
    else:
        judgments, pairs, _ = _load(args)
        doc = preference_report(judgments, pairs, by=args.by, n_boot=args.n_boot, seed=args.seed)
    if args.json:
        print(json.dumps(doc))
        return 0
    _print_table(doc if args.by else [doc], args)
    return 0


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _f3(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _ci(e: dict, fmt) -> str:
    v = fmt(e.get("value"))
    if e.get("ci_low") is None or e.get("value") is None:
        return v
    return f"{v} [{fmt(e['ci_low'])}, {fmt(e['ci_high'])}]"


def _print_table(docs: list[dict], args) -> None:
    src = args.judgments + (f" + {args.pairs}" if args.pairs else "")
    print(f"Pairwise preferences -- {src}")
    head = (["group"] if args.by else []) + ["pairs", "judgments", "ties", "agree w/ ties", "agree w/o ties",
                                             "Fleiss kappa", "Kripp. alpha", "first", "longer", "cycles"]
    rows = []
    for d in docs:
        a = d["agreement"]
        pb, lb, tr = d["position_bias"], d["length_bias"], d["transitivity"]
        rows.append(([str(d["group"])] if args.by else []) + [
            f"{d['n_pairs']:,}", f"{d['n_judgments']:,}", _ci(d["tie_rate"], _pct),
            _ci(a["percent_with_ties"], _pct), _ci(a["percent_without_ties"], _pct),
            _ci(a["fleiss_kappa"], _f3), _ci(a["krippendorff_alpha"], _f3),
            "-" if pb is None else f"{_pct(pb['share_first'])} (p={pb['p_value']:.2g})",
            "-" if lb is None else f"{_pct(lb['share_longer'])} (p={lb['p_value']:.2g})",
            "-" if tr is None or not tr["triads"] else f"{tr['cyclic_triads']}/{tr['triads']}"])
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if not args.by and docs[0]["bradley_terry"]:
        bt = sorted(docs[0]["bradley_terry"], key=lambda r: r["rank"])
        print(f"Bradley-Terry, top {min(5, len(bt))} of {len(bt)}:")
        for r in bt[:5]:
            lo, hi = r["interval"]
            ci = "" if lo is None else f" [{lo:.3f}, {hi:.3f}]"
            print(f"  {r['rank']:>3}. {r['object']}  {r['score']:.3f}{ci}  "
                  f"(W {r['wins']} / L {r['losses']} / T {r['ties']})")
    if args.n_boot > 0:
        n_bt = min(args.n_boot, 200)  # preference_report caps the Bradley-Terry bootstrap at 200 replicates
        reps = f"{args.n_boot} replicates" + (f", {n_bt} for Bradley-Terry" if n_bt != args.n_boot else "")
        print(f"intervals: 95%, Wilson for shares, percentile bootstrap over pairs for agreement and "
              f"Bradley-Terry ({reps}, seed {args.seed})")
