"""Collecting ingest problems per file: where a row/column is, and the one-line messages of :class:`IngestError`."""
from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

from analytics.io.ingest.schema import _FORMATS, IngestError, MAX_LINES_PER_FILE


@dataclasses.dataclass
class _Source:
    """One input file and how to name its rows and columns in messages."""

    index: int
    path: Path
    name: str
    kind: str = ""
    table: str | None = None
    shown_columns: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)  # table -> canonical -> shown
    row_labels: dict[str, list[str]] = dataclasses.field(default_factory=dict)          # table -> labels (Label Studio)
    ignored: list[str] = dataclasses.field(default_factory=list)
    rows: dict[str, int] = dataclasses.field(default_factory=dict)

    def where(self, table: str, row: int) -> str:
        labels = self.row_labels.get(table)
        if labels is not None and 0 < row <= len(labels):
            return labels[row - 1]
        return f"row {row}"

    def column(self, table: str, col: str) -> str:
        shown = self.shown_columns.get(table, {}).get(col)
        return f"{shown} (-> {col})" if shown and shown != col else col


@dataclasses.dataclass
class _Problems:
    sources: list[_Source]
    items: list[tuple[int, float, int, str]] = dataclasses.field(default_factory=list)  # file, row, seq, line

    def add(self, src: _Source, detail: str, where: str | None = None, column: str | None = None,
            row: float = math.inf) -> None:
        parts = [f"file {src.name}"]
        if where:
            parts.append(where)
        if column:
            parts.append(f"column {column}")
        self.items.append((src.index, row, len(self.items), " ".join(parts) + f": {detail}"))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_(self, note: str = "") -> None:
        by_file: dict[int, list[str]] = {}
        for idx, _row, _seq, line in sorted(self.items):
            by_file.setdefault(idx, []).append(line)
        lines: list[str] = []
        counts = []
        for idx, ls in by_file.items():
            counts.append(f"{self.sources[idx].name} ({len(ls)})")
            lines.extend(ls[:MAX_LINES_PER_FILE])
            if len(ls) > MAX_LINES_PER_FILE:
                lines.append(f"file {self.sources[idx].name}: {len(ls) - MAX_LINES_PER_FILE} more problem(s) not shown")
        n = sum(len(v) for v in by_file.values())
        summary = (f"nothing loaded (database unchanged): {n} problem(s) in "
                   f"{len(by_file)} file(s): {', '.join(counts)}")
        if note:
            lines.append(note)
        raise IngestError(summary, lines)


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _first_line(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    msg = re.sub(r"^\([\w.]+\) ", "", msg)   # SQLAlchemy's "(driver.Exception) " prefix
    return re.sub(r"^(Invalid Input Error|Conversion Error|IO Error|Binder Error|Parser Error|Catalog Error): ", "", msg)


def _format_of(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return _FORMATS[suffix]
    return None
