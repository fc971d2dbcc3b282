"""The one text format of ``labelqa agreement`` and ``labelqa accuracy`` (any kind): a title line
``<what> -- <file>``, an aligned table (``value``/``mean`` with 3 decimals, ``95% CI`` as ``[low, high]``, counts
with thousands separators, a ``note`` column: undefined reason or small sample), then note lines (the method)."""
from __future__ import annotations

import math

from analytics.metrics.results import SMALL_N

__all__ = ["SMALL_N", "num", "ci", "count", "small_note", "print_table"]


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def num(v, digits: int = 3) -> str:
    return "undefined" if _missing(v) else f"{float(v):.{digits}f}"


def ci(lo, hi, digits: int = 3) -> str:
    return "" if _missing(lo) or _missing(hi) else f"[{float(lo):.{digits}f}, {float(hi):.{digits}f}]"


def count(n) -> str:
    return "" if _missing(n) else f"{int(n):,}"


def small_note(n, unit: str = "items", small_n: int = SMALL_N) -> str:
    """``small sample (n_items 12 < 30)`` when ``0 < n < small_n``, else ``""``."""
    return f"small sample ({unit} {int(n)} < {small_n})" if not _missing(n) and 0 < int(n) < small_n else ""


def print_table(title: str, head: list[str], rows: list[list[str]], notes: list[str] = ()) -> None:
    print(title)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for n in notes:
        if n:
            print(n)
