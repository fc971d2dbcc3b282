"""Span readers: brat standoff (one folder per annotator, ``.ann`` T-lines beside ``.txt``) and Label Studio
JSON exports (``labels`` results; ``ground_truth: true`` as gold). Each checks that a span's stored text
equals the text at its offsets."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analytics.kinds.spans.frames import SPAN_COLUMNS, check_spans

__all__ = ["read_brat", "read_label_studio_spans", "read_span_file", "read_gold_span_file", "read_text_file",
           "read_input"]


def _check_text(where: str, text: str, s: int, e: int, stored: str | None) -> None:
    if e > len(text) or e <= s:
        raise ValueError(f"{where}: span {s}-{e} is outside the text (length {len(text)}) or empty")
    if stored is not None and text[s:e] != stored:
        raise ValueError(f"{where}: span text {stored!r} does not match the offsets {s}-{e} ({text[s:e]!r})")


def read_brat(root) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(spans, texts)`` from ``root/<annotator>/<doc>.ann``; ``item_id`` is the ``.ann`` path relative to the
    annotator folder (bratiaa's document id). Discontinuous spans (``0 3;5 8``) give one row per fragment."""
    rows, texts = [], {}
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        for ann in sorted(folder.rglob("*.ann")):
            doc = ann.relative_to(folder).as_posix()
            text = ann.with_suffix(".txt").read_text(encoding="utf-8")
            texts.setdefault(doc, text)
            found = False
            for n, line in enumerate(ann.read_text(encoding="utf-8").splitlines(), 1):
                if not line.startswith("T"):
                    continue
                _tid, mid, stored = (line.split("\t") + [None])[:3]
                label, offs = mid.split(" ", 1)
                frags = [tuple(map(int, f.split())) for f in offs.split(";")]
                joined = " ".join(text[s:e] for s, e in frags)
                if stored is not None and joined != stored:
                    raise ValueError(f"{ann}:{n}: span text {stored!r} does not match the offsets {offs} ({joined!r})")
                for s, e in frags:
                    _check_text(f"{ann}:{n}", text, s, e, None)
                    rows.append((doc, folder.name, s, e, label))
                    found = True
            if not found:
                rows.append((doc, folder.name, None, None, None))
    return (check_spans(pd.DataFrame(rows, columns=list(SPAN_COLUMNS))),
            pd.DataFrame(list(texts.items()), columns=["item_id", "text"]))


def read_label_studio_spans(src, text_field: str = "text") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(spans, gold, texts)`` from a Label Studio export with ``labels`` results."""
    tasks = json.loads(Path(src).read_text()) if isinstance(src, (str, Path)) else src
    rows, texts = [], []
    for task in tasks:
        tid, text = str(task["id"]), task["data"][text_field]
        texts.append((tid, text))
        for ann in task.get("annotations", []):
            who, gt = str(ann.get("completed_by")), bool(ann.get("ground_truth"))
            res = [r for r in ann.get("result", []) if r.get("type") == "labels"]
            if not res:
                rows.append((tid, who, None, None, None, gt))
            for r in res:
                v = r["value"]
                _check_text(f"task {tid}, result {r.get('id')}", text, v["start"], v["end"], v.get("text"))
                rows += [(tid, who, v["start"], v["end"], lab, gt) for lab in v["labels"]]
    df = pd.DataFrame(rows, columns=[*SPAN_COLUMNS, "ground_truth"])
    tx = pd.DataFrame(texts, columns=["item_id", "text"])
    df = check_spans(df, tx)
    gold = df[df["ground_truth"]].drop(columns=["annotator_id", "ground_truth"]).reset_index(drop=True)
    return df[~df["ground_truth"]].drop(columns="ground_truth").reset_index(drop=True), gold, tx


def read_span_file(path) -> pd.DataFrame:
    """The span frame from a CSV/TSV/Parquet file (``item_id, annotator_id, start, end, label``; read by
    :func:`analytics.io.files.read_table`: text columns, only empty cells missing). Errors name file, row, column."""
    from analytics.io.files import read_checked

    return read_checked(path, "spans", SPAN_COLUMNS, check_spans)


def read_gold_span_file(path) -> pd.DataFrame:
    """Gold spans ``item_id, start, end, label`` from a file (same rules as :func:`read_span_file`)."""
    from analytics.io.files import read_checked

    cols = [c for c in SPAN_COLUMNS if c != "annotator_id"]
    return read_checked(path, "gold spans", cols,
                        lambda d: check_spans(d.assign(annotator_id="gold"), what="gold spans")
                        .drop(columns="annotator_id"))


def read_text_file(path) -> pd.DataFrame:
    """Texts ``item_id, text`` from a file (one row per item)."""
    from analytics.io.files import read_checked
    from analytics.kinds.spans.frames import TEXT_COLUMNS, check_texts

    return read_checked(path, "texts", TEXT_COLUMNS, check_texts)


def read_input(path, role: str = "spans") -> dict:
    """What the file CLI was given, by shape: a brat folder (one sub-folder per annotator), a Label Studio JSON
    export (``.json``; ``ground_truth`` annotations as gold) or a CSV/TSV/Parquet file. Returns
    ``{"frame", "gold", "texts"}`` (``None`` where the source has none). ``role="gold"`` reads a gold file:
    ``frame`` is then the gold spans (Label Studio: its ``ground_truth`` annotations)."""
    p = Path(path)
    if p.is_dir():
        if role == "gold":
            raise ValueError(f"gold spans {path}: a brat folder holds annotators' spans; give a gold file")
        spans, texts = read_brat(p)
        return {"frame": spans, "gold": None, "texts": texts}
    if p.suffix.lower() == ".json" and p.is_file():
        try:
            spans, gold, texts = read_label_studio_spans(p)
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a Label Studio export with text spans ({type(exc).__name__}: {exc})") from None
        return {"frame": gold if role == "gold" else spans, "gold": gold, "texts": texts}
    if role == "gold":
        return {"frame": read_gold_span_file(path), "gold": None, "texts": None}
    return {"frame": read_span_file(path), "gold": None, "texts": None}
