"""How ``labelqa load`` fills the preference tables (``KindSpec.validate`` of the kind refers to :data:`RULES`).

Files (CSV, Parquet, JSON Lines; columns as in :mod:`.shapes`, renamed with ``--column``/``--map`` like any
table; the target table comes from the file name ``preference_pairs.*`` / ``preference_judgments.*`` or from the
columns: ``pair_id, annotator_id, choice`` is a judgments file, ``pair_id`` + pair columns a pairs file):

- **pairs** ``preference_pairs``: ``pair_id`` unique (within the load and against the database), ``project_id``
  (or ``--project``) a project of ``task_type = 'preference'``; the two responses differ (``response_a`` vs
  ``response_b`` ids, ``text_a`` vs ``text_b`` texts); lengths >= 0.
- **judgments** ``preference_judgments``: ``pair_id`` of a pair in the database or in this load; ``choice`` one
  of ``a, b, tie``; ``shown_first`` ``a`` or ``b``; ``strength`` a whole number whose sign matches ``choice``
  (negative favours a, positive b, 0 = tie); ``duration_s`` >= 0; ``dimension`` defaults to ``overall``.
  **Position:** a project whose judgments record which response was shown first (any judgment of the project's
  pairs in the database or in this load has ``shown_first``) requires it on every judgment. Every judge named
  becomes an annotator if new. With ``--project``, a judged pair must belong to it.
- **gold pairs** ``preference_gold``: ``pair_id`` of a known pair, ``choice`` one of ``a, b, tie`` (the
  expert-adjudicated verdict), ``dimension`` (default ``overall``); one row per (pair, dimension).
  Judgments may name a ``batch_id`` of the database's ``batches`` (the gate's ``--batch`` scope).
- **DPO/TRL JSON Lines** (one object per line with ``prompt, chosen, rejected``; optional ``id`` or ``pair_id``,
  ``annotator_id``, ``dimension``, ``prompt_id``, ``category``, ``project_id``, ``created_at``): one pair per line
  (``chosen`` -> ``text_a``, ``rejected`` -> ``text_b``, ``pair_id`` = ``id`` or the line number) and one
  judgment ``a`` by ``annotator_id`` (default ``source``), without a position. A ``_metadata`` line (the clean-set
  export's) is skipped.

- **Label Studio pairwise export** (the ``pairwise`` template; :mod:`.label_studio`): one pair per task, one
  judgment per annotation (``left`` -> a, ``right`` -> b, shown_first a), ``ground_truth`` annotations as gold.

Every problem names the file, the row and the column; one problem anywhere and nothing is written.
"""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analytics.io.ingest.kinds import KindRules
from analytics.io.ingest.kind_support import SHOWN, fetch, first_rows
from analytics.kinds.preference.shapes import CHOICES, DEFAULT_DIMENSION

__all__ = ["RULES", "PAIRS", "JUDGMENTS", "DPO_ANNOTATOR", "row_checks", "load_checks", "read_dpo"]

PAIRS, JUDGMENTS, GOLD = "preference_pairs", "preference_judgments", "preference_gold"
DPO_ANNOTATOR = "source"


def row_checks(table: str, typed: pa.Table) -> list[tuple[int, str, str]]:
    """Per-file problems ``(row, column, message)`` of typed rows (values already trimmed and typed)."""
    rows = typed.column("_row").to_numpy()
    cols = set(typed.column_names)
    out: list[tuple[int, str, str]] = []
    if table == PAIRS:
        for a, b, what in (("response_a", "response_b", "response"), ("text_a", "text_b", "text")):
            if a in cols and b in cols:
                same = pc.fill_null(pc.equal(typed.column(a), typed.column(b)), False).to_numpy(zero_copy_only=False)
                va = typed.column(a).to_pylist()
                out += first_rows(same, rows, b, lambda i, va=va, a=a, what=what: (
                    f"{_short(va[i])} is the same {what} as {a} (identical responses): a pair compares two "
                    "different responses"))
    if table == JUDGMENTS and "strength" in cols and "choice" in cols:
        st = typed.column("strength").to_numpy(zero_copy_only=False)
        st = np.array([np.nan if v is None else v for v in st], dtype=float) if st.dtype == object else st
        ch = np.asarray(typed.column("choice").to_pylist(), dtype=object)
        expect = np.select([ch == "a", ch == "b"], [-1.0, 1.0], 0.0)
        bad = np.isfinite(st) & (np.sign(st) != expect) & np.isin(ch, CHOICES)
        out += first_rows(bad, rows, "strength", lambda i: (
            f"{int(st[i])} does not match choice {ch[i]!r} (negative favours a, positive b, 0 is a tie)"))
    return out


def _short(v) -> str:
    s = str(v)
    return repr(s if len(s) <= 40 else s[:37] + "...")


def load_checks(con, stage: str, staged: set[str], project: str | None) -> list[tuple[int, int, str, str, str]]:
    """Checks against the database after staging: ``(file index, row, table, column, message)``.

    SQL text from the fixed table names and ``stage`` prefix only; ``project`` is a bound parameter."""
    out: list[tuple[int, int, str, str, str]] = []
    pairs_all = f"SELECT pair_id, project_id FROM {PAIRS} UNION ALL SELECT pair_id, project_id FROM {stage}{PAIRS}"
    judg_all = (f"SELECT pair_id, shown_first FROM {JUDGMENTS} UNION ALL "
                f"SELECT pair_id, shown_first FROM {stage}{JUDGMENTS}")
    ranked = ("SELECT * FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY b._file, b.grp_ ORDER BY b._row) AS rn_, "
              "COUNT(*) OVER (PARTITION BY b._file, b.grp_) AS n_ FROM ({}) b) w WHERE rn_ <= {} "
              "ORDER BY _file, _row")
    if PAIRS in staged:  # the pair's project must be a preference project
        bad = (f"SELECT s._file, s._row, s.project_id AS grp_, p.task_type FROM {stage}{PAIRS} s JOIN "
               f"(SELECT project_id, task_type FROM projects UNION ALL SELECT project_id, task_type "
               f"FROM {stage}projects) p ON p.project_id = s.project_id WHERE p.task_type <> 'preference'")
        for r in fetch(con, ranked.format(bad, 1)):
            out.append((r["_file"], r["_row"], PAIRS, "project_id",
                        f"project {r['grp_']!r} has task_type {r['task_type']!r}, not 'preference': pairs belong "
                        f"to a preference project ({r['n_']} row(s) in all)"))
    if JUDGMENTS in staged:
        # a project that records positions requires one on every judgment
        bad = (f"SELECT s._file, s._row, p.project_id AS grp_, k.n_pos FROM {stage}{JUDGMENTS} s "
               f"JOIN ({pairs_all}) p ON p.pair_id = s.pair_id "
               f"JOIN (SELECT pp.project_id, COUNT(*) AS n_pos FROM ({judg_all}) jj JOIN ({pairs_all}) pp "
               f"ON pp.pair_id = jj.pair_id WHERE jj.shown_first IS NOT NULL GROUP BY pp.project_id) k "
               f"ON k.project_id = p.project_id WHERE s.shown_first IS NULL")
        found = fetch(con, ranked.format(bad, SHOWN))
        for r in found:
            if r["rn_"] != 1:
                continue
            also = [str(x["_row"]) for x in found if (x["_file"], x["grp_"]) == (r["_file"], r["grp_"])][1:]
            more = f"; also rows {', '.join(also)}{', ...' if r['n_'] > SHOWN else ''}" if also else ""
            out.append((r["_file"], r["_row"], JUDGMENTS, "shown_first",
                        f"missing position: project {r['grp_']!r} records which response was shown first "
                        f"({r['n_pos']} judgment(s) have shown_first), so every judgment needs shown_first (a or b)"
                        f"{more} ({r['n_']} row(s) in all)"))
        if project is not None:
            bad = (f"SELECT s._file, s._row, p.project_id AS grp_, s.pair_id FROM {stage}{JUDGMENTS} s "
                   f"JOIN ({pairs_all}) p ON p.pair_id = s.pair_id WHERE p.project_id <> :project")
            for r in fetch(con, ranked.format(bad, 1), {"project": project}):
                out.append((r["_file"], r["_row"], JUDGMENTS, "pair_id",
                            f"pair {r['pair_id']!r} belongs to project {r['grp_']!r}, not {project!r} (--project) "
                            f"({r['n_']} row(s) in all)"))
    return out


_DPO_KEYS = {"prompt", "chosen", "rejected"}
_DPO_PAIR = {"pair_id": "pair_id", "prompt": "prompt", "chosen": "text_a", "rejected": "text_b",
             "prompt_id": "prompt_id", "category": "category", "project_id": "project_id"}
_DPO_JUDGMENT = {"pair_id": "pair_id", "annotator_id": "annotator_id", "dimension": "dimension",
                 "created_at": "created_at"}


def _is_dpo(path) -> bool:
    if path.name.lower().endswith(".gz"):
        return False
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    return False
                if isinstance(rec, dict) and "_metadata" in rec:
                    continue
                return isinstance(rec, dict) and _DPO_KEYS <= set(rec)
    return False


def read_dpo(mem, src, table, project, mapping, problems):
    """The DPO/TRL JSON Lines shape -> typed ``preference_pairs`` + ``preference_judgments`` rows (None: not it)."""
    from analytics.io.ingest.readers import NotRecords, _read_raw, _report_not_records, _validate_rows, _with_rows

    if src.kind != "jsonl" or table not in (None, PAIRS, JUDGMENTS) or not _is_dpo(src.path):
        return None
    try:
        raw = _read_raw(mem, src)
    except NotRecords as exc:
        _report_not_records(exc, problems)
        return {}
    src.kind = "DPO/TRL JSON lines"
    n = raw.num_rows
    line_no = pa.array([str(i) for i in range(1, n + 1)])
    keep = np.ones(n, dtype=bool)
    if "_metadata" in raw.column_names:
        keep = pc.is_null(raw.column("_metadata")).to_numpy(zero_copy_only=False)
    cols = {c: raw.column(c) for c in raw.column_names}
    ids = cols.get("id", cols.get("pair_id"))
    cols["pair_id"] = line_no if ids is None else pc.coalesce(ids.cast(pa.string()), line_no)
    src.table = PAIRS
    out = {}
    for target, fields, shown in ((PAIRS, _DPO_PAIR, {"text_a": "chosen", "text_b": "rejected"}),
                                  (JUDGMENTS, _DPO_JUDGMENT, {})):
        data = {dst: cols[s] for s, dst in fields.items() if s in cols}
        if target == JUDGMENTS:
            data["choice"] = pa.repeat(pa.scalar("a"), n)
            judge = data.get("annotator_id")
            data["annotator_id"] = (pa.repeat(pa.scalar(DPO_ANNOTATOR), n) if judge is None
                                    else pc.coalesce(judge.cast(pa.string()), pa.scalar(DPO_ANNOTATOR)))
        if "pair_id" in data and ids is not None:
            shown["pair_id"] = "id" if "id" in cols else "pair_id"
        t = _with_rows(pa.table({k: (v if isinstance(v, pa.ChunkedArray) else pa.chunked_array([v]))
                                 for k, v in data.items()})).filter(pa.array(keep))
        src.shown_columns[target] = shown
        if target == PAIRS and project is None and "project_id" not in t.column_names:
            problems.add(src, "the pairs need a project: pass --project (or a project_id field)", column="project_id")
            return {}
        typed = _validate_rows(mem, src, target, t, project, problems)
        if typed is None:
            return {}
        src.rows[target] = typed.num_rows
        out[target] = typed
    return out


def _label_studio(mem, src, table, project, mapping, problems):
    from analytics.kinds.preference.label_studio import read_label_studio

    return read_label_studio(mem, src, table, project, mapping, problems)


RULES = KindRules(
    required={PAIRS: ("pair_id", "project_id"), JUDGMENTS: ("pair_id", "annotator_id", "choice"),
              GOLD: ("pair_id", "choice")},
    primary_keys={PAIRS: ("pair_id",), GOLD: ("pair_id", "dimension")},
    references=((PAIRS, "project_id", "projects", "project_id", "project"),
                (JUDGMENTS, "pair_id", PAIRS, "pair_id", "pair"),
                (JUDGMENTS, "batch_id", "batches", "batch_id", "batch"),
                (GOLD, "pair_id", PAIRS, "pair_id", "pair")),
    allowed={(JUDGMENTS, "choice"): CHOICES, (JUDGMENTS, "shown_first"): ("a", "b"), (GOLD, "choice"): CHOICES},
    non_negative=frozenset({(JUDGMENTS, "duration_s"), (PAIRS, "len_a"), (PAIRS, "len_b")}),
    defaults={(JUDGMENTS, "dimension"): DEFAULT_DIMENSION, (GOLD, "dimension"): DEFAULT_DIMENSION},
    annotators=(JUDGMENTS,),
    row_checks=row_checks,
    load_checks=load_checks,
    file_readers=(read_dpo, _label_studio),
)
