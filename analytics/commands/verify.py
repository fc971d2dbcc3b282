"""``labelqa verify [--db URL] [--json]``: prove the history of the labels (issue 14, part 4).

Recomputes the hash chain of the ingest log (every ``labelqa load`` appends one chained record, see
:mod:`analytics.io.history`) and compares the current annotations, gold labels and reviews with the row
fingerprints each load stored: rows changed, deleted or added outside LabelQA since they were loaded, and the load
each changed or deleted row belongs to. Rows present before the first recorded load (a database written directly,
such as the demo) count as added.

Exit code: 0 intact, 1 tampered (a broken chain link or any row changed, added or deleted), 2 on an error (no
ingest log, database errors: the CLI's convention, see :mod:`analytics.cli`).

``--json`` prints ``{"ok", "status", "n_loads", "broken_loads", "loads": [{"load_id", "loaded_at", "loaded_by",
"digest"}], "tables": {table: {"rows", "added", "deleted", "changed", "changed_by_load": {load_id: n},
"deleted_by_load": {load_id: n}, "examples": {"added": [key...], "deleted": [...], "changed": [...]}}}}``
(up to :data:`EXAMPLES` keys per kind of edit).
"""
from __future__ import annotations

import json

from analytics.db import make_engine, resolve_url, table_counts

EXAMPLES = 20


def add_parser(sub) -> None:
    p = sub.add_parser(
        "verify",
        help="check the ingest log's hash chain against the tables (exit 0 intact, 1 tampered, 2 error)",
        description="Recompute the hash chain of the ingest log and compare annotations, gold labels and reviews "
                    "with the fingerprints stored when they were loaded: say what was changed, added or deleted "
                    "outside LabelQA and which load it belongs to. Exit code 0 intact, 1 tampered, 2 on an error.",
    )
    p.add_argument("--db", help="SQLAlchemy URL (default: LABELQA_DB_URL, secrets.toml, embedded demo)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def _by_load(frame) -> dict[str, int]:
    if frame is None or frame.empty or "load_id" not in frame:
        return {}
    return {str(int(k)): int(n) for k, n in frame.groupby("load_id").size().sort_index().items()}


def summary(result: dict, counts: dict[str, int]) -> dict:
    """The JSON-able summary of :func:`analytics.io.history.verify_db`'s result."""
    tables = {}
    for t, v in result["tables"].items():
        d = v["details"]
        key = [c for c in d["added"].columns]
        tables[t] = {"rows": int(counts.get(t, 0)), "added": v["added"], "deleted": v["deleted"],
                     "changed": v["changed"], "changed_by_load": _by_load(d["changed"]),
                     "deleted_by_load": _by_load(d["deleted"]),
                     "examples": {k: [str(x) for x in d[k][key[0]].head(EXAMPLES)] for k in ("added", "deleted",
                                                                                            "changed")}}
    loads = [{"load_id": int(r.load_id), "loaded_at": str(r.loaded_at), "loaded_by": str(r.loaded_by),
              "digest": str(r.digest)} for r in result["loads"].itertuples(index=False)]
    ok = bool(result["ok"])
    return {"ok": ok, "status": "intact" if ok else "tampered", "n_loads": int(result["n_loads"]),
            "broken_loads": [int(x) for x in result["broken_loads"]], "loads": loads, "tables": tables}


def _text(s: dict) -> str:
    lines = []
    last = s["loads"][-1] if s["loads"] else None
    head = "INTACT" if s["ok"] else "TAMPERED"
    lines.append(f"{head}: {s['n_loads']} load(s) in the ingest log"
                 + (f", newest #{last['load_id']} at {last['loaded_at']} digest {last['digest'][:16]}" if last else ""))
    if s["broken_loads"]:
        lines.append("  hash chain broken at load(s) " + ", ".join(f"#{x}" for x in s["broken_loads"])
                     + " (the log record was edited; every later link fails too)")
    else:
        lines.append("  hash chain: every link verified")
    for t, v in s["tables"].items():
        if not (v["added"] or v["deleted"] or v["changed"]):
            lines.append(f"  {t:<12} {v['rows']:>10,} rows  unchanged since loaded")
            continue
        lines.append(f"  {t:<12} {v['rows']:>10,} rows  changed {v['changed']:,}, deleted {v['deleted']:,}, "
                     f"added {v['added']:,} outside labelqa load")
        for kind, by in (("changed", v["changed_by_load"]), ("deleted", v["deleted_by_load"])):
            if by:
                lines.append(f"    {kind} rows by load: " + ", ".join(f"#{k}: {n:,}" for k, n in by.items()))
        for kind in ("changed", "deleted", "added"):
            ex = v["examples"][kind]
            if ex:
                more = v[kind] - len(ex)
                lines.append(f"    {kind}: " + ", ".join(x if x.isprintable() else repr(x) for x in ex) + (f" (+{more:,} more)" if more > 0 else ""))
    return "\n".join(lines) + "\n"


def run(args) -> int:
    from analytics.io.history import verify_db

    engine = make_engine(resolve_url(args.db), read_only=True)
    try:
        counts = table_counts(engine)  # a broken or foreign database fails here with the CLI's database wording
        s = summary(verify_db(engine), counts)
    finally:
        engine.dispose()
    print(json.dumps(s) if args.json else _text(s), end="\n" if args.json else "")
    return 0 if s["ok"] else 1
