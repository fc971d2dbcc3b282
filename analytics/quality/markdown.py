"""Data inside Markdown (alert texts, page captions): shown as the characters it is.

Lives below ``render/`` and ``ui/`` so the quality layer's alert texts, the pages and the reports escape the same
way (dependencies point down: ui/render -> quality).
"""
from __future__ import annotations

import re
from typing import Any

__all__ = ["md_escape"]

# Characters that open a link/image (![...](...)), code, emphasis, HTML, math, a table cell, a Streamlit
# directive (:red[...], :material/x:) or an escape: always escaped.
_ALWAYS = re.compile(r"([\\`*\[\]()!<>~$|{}:])")
# '_' starts emphasis only at a word boundary (CommonMark: intraword '_' is literal, ann_23 stays readable).
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# Block markers matter only at the start of the text (headings, lists, quotes, setext lines, ordered lists).
_LEADING = re.compile(r"^([#+\-=]|\d+[.)])")


def md_escape(value: Any) -> str:
    """``value`` (from data or a URL) as literal inline Markdown: line breaks become spaces, and every character
    that could make a link, an image, formatting, HTML or a Streamlit directive is backslash-escaped."""
    text = " ".join(str(value).split())
    text = _ALWAYS.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    return _LEADING.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)
