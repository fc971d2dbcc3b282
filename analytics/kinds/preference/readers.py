"""Readers for preference files: pairs + judgments (CSV / Parquet / JSONL) and the DPO/TRL JSONL shape.

Every reader returns frames in the declared shapes of :mod:`.shapes` (checked). ``columns`` renames source
columns to the declared names; ``choices`` maps source verdicts (e.g. ``left/right/tie``) to ``a/b/tie``.
Label Studio's pairwise export: :mod:`.label_studio` (``read_pairwise_export``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import pandas as pd

from analytics.kinds.preference.shapes import check_judgments, check_pairs

__all__ = ["read_table", "read_pairs", "read_judgments", "read_dpo_jsonl"]


def read_table(path) -> pd.DataFrame:
    """CSV (ids as text), TSV, Parquet or JSON Lines by the file's suffix."""
    f = Path(path)
    if not f.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suf = f.suffix.lower()
    if suf in (".parquet", ".pq"):
        return pd.read_parquet(f)
    if suf in (".jsonl", ".ndjson"):
        return pd.read_json(f, lines=True, dtype=False)
    return pd.read_csv(f, dtype=str, sep="\t" if suf == ".tsv" else ",", keep_default_na=False, na_values=[""])


def read_pairs(path, columns: Mapping[str, str] | None = None, allow_identical: bool = False) -> pd.DataFrame:
    df = read_table(path).rename(columns=dict(columns or {}))
    return check_pairs(df, allow_identical=allow_identical, what=f"pairs file {Path(path).name}")


def read_judgments(path, columns: Mapping[str, str] | None = None, choices: Mapping[str, str] | None = None,
                   require_position: bool = False, annotator_id: str | None = None) -> pd.DataFrame:
    """A judgments file; ``annotator_id`` names the one judge of a file without that column (a model judge)."""
    df = read_table(path).rename(columns=dict(columns or {}))
    if annotator_id is not None and "annotator_id" not in df.columns:
        df["annotator_id"] = annotator_id
    if choices and "choice" in df.columns:
        df["choice"] = df["choice"].map(lambda v: choices.get(v, v))
    return check_judgments(df, require_position=require_position, what=f"judgments file {Path(path).name}")


def read_dpo_jsonl(path, dimension: str = "overall") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The DPO/TRL shape, one object per line: ``prompt, chosen, rejected`` (+ ``id``, ``annotator_id``).

    ``chosen`` becomes response ``a`` and every judgment is ``a`` (the file records verdicts, not positions, so
    no ``shown_first``). Returns ``(pairs, judgments)``.
    """
    f = Path(path)
    if not f.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    recs = []
    with f.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{f.name} line {i}: not JSON ({exc.msg})") from None
            if "_metadata" in r:
                continue
            for k in ("prompt", "chosen", "rejected"):
                if k not in r:
                    raise ValueError(f"{f.name} line {i}: missing field {k!r}")
            recs.append({"pair_id": str(r.get("id", r.get("pair_id", i))), "prompt": r["prompt"],
                         "text_a": r["chosen"], "text_b": r["rejected"],
                         "annotator_id": str(r.get("annotator_id", "source")),
                         "dimension": r.get("dimension", dimension)})
    d = pd.DataFrame(recs)
    pairs = check_pairs(d[["pair_id", "prompt", "text_a", "text_b"]], what=f"pairs in {f.name}")
    judg = check_judgments(d[["pair_id", "annotator_id", "dimension"]].assign(choice="a"),
                           what=f"judgments in {f.name}")
    return pairs, judg
