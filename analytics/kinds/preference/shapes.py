"""The two declared frame shapes of the preference kind, named once, checked on entry.

**Judgments** (one row per verdict of one judge on one pair on one dimension)

=============== ======== ==================================================================================
column          required meaning
=============== ======== ==================================================================================
``pair_id``     yes      the judged pair (text id)
``annotator_id`` yes     the judge (human or model; text id)
``choice``      yes      ``a``, ``b`` or ``tie``
``dimension``   no       what was judged (helpfulness, safety, ...); missing -> ``"overall"``
``shown_first`` no       ``a`` or ``b``: which response the judge saw first / on the left
``created_at``  no       timestamp of the verdict
``strength``    no       graded verdict on a symmetric integer scale, negative favours ``a``, positive ``b``,
                         0 = tie (e.g. -3..3); its sign must match ``choice``
``duration_s``  no       seconds spent, >= 0
``rationale``   no       free text
``batch_id``    no       the delivery batch of the verdict (``batches.batch_id``; the gate's ``--batch`` scope)
=============== ======== ==================================================================================

**Pairs** (one row per pair)

``pair_id`` (required) and optional ``prompt_id, prompt, response_a, response_b`` (ids of the compared objects,
e.g. model names), ``len_a, len_b`` (lengths; from ``text_a, text_b`` in characters when not given),
``text_a, text_b``, ``category``, ``project_id`` (the database's project of the pair; ``labelqa load`` fills it
from ``--project``).

**Gold pairs** (``preference_gold``, one row per pair and dimension): ``pair_id``, ``choice`` (a, b, tie: the
expert-adjudicated verdict), optional ``dimension`` (``overall``), ``source``, ``created_at``.

``check_judgments`` / ``check_pairs`` return a normalised copy (text ids, lower-case choices) and raise
``ValueError`` naming the row (1 = first data row) and the column of the first offending value.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "CHOICES",
    "JUDGMENT_COLUMNS",
    "JUDGMENT_OPTIONAL",
    "PAIR_COLUMNS",
    "PAIR_OPTIONAL",
    "GOLD_COLUMNS",
    "GOLD_OPTIONAL",
    "DEFAULT_DIMENSION",
    "check_judgments",
    "check_pairs",
]

CHOICES = ("a", "b", "tie")
JUDGMENT_COLUMNS = ("pair_id", "annotator_id", "choice")
JUDGMENT_OPTIONAL = ("dimension", "shown_first", "created_at", "strength", "duration_s", "rationale", "batch_id")
GOLD_COLUMNS = ("pair_id", "choice")
GOLD_OPTIONAL = ("dimension", "source", "created_at")
PAIR_COLUMNS = ("pair_id",)
PAIR_OPTIONAL = ("prompt_id", "prompt", "response_a", "response_b", "len_a", "len_b", "text_a", "text_b",
                 "category", "project_id")
DEFAULT_DIMENSION = "overall"
_CHECKED = "labelqa_preference_checked_judgments"


def _fail(what: str, mask: np.ndarray, column: str, values: pd.Series, why: str) -> None:
    if mask.any():
        pos = int(np.flatnonzero(mask)[0])
        v = values.iloc[pos]
        v = v.item() if isinstance(v, np.generic) else v
        raise ValueError(f"{what} row {pos + 1}, column {column!r}: {v!r} {why}"
                         f" ({int(mask.sum())} row(s) in all)")


def _require(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {', '.join(map(repr, missing))}; "
                         f"it has {', '.join(map(repr, df.columns)) or 'no columns'}")


def _text_ids(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    s = df[col]
    _fail(what, s.isna().to_numpy(), col, s, "is missing")
    return s.astype(str).str.strip()


def _numeric(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    raw = df[col]
    num = pd.to_numeric(raw, errors="coerce")
    _fail(what, (num.isna() & raw.notna()).to_numpy(), col, raw, "is not a number")
    return num.astype("float64")


def check_judgments(df: pd.DataFrame, *, require_position: bool = False, scale: tuple[int, int] | None = None,
                    what: str = "judgments") -> pd.DataFrame:
    """Check and normalise a judgments frame (shape above).

    ``require_position`` makes ``shown_first`` mandatory on every row; ``scale = (lo, hi)`` bounds ``strength``.
    Returns a copy with ``dimension`` filled (``"overall"``), ids as text, ``choice``/``shown_first`` lower-case,
    ``strength``/``duration_s`` as float and ``created_at`` as UTC timestamps. A frame this function returned
    (marked in ``attrs``; rows filtered or columns added since keep the mark) is returned as it is, so the
    metrics that each check their input do not re-check one frame six times (seconds at 1M judgments).
    """
    if isinstance(df, pd.DataFrame) and df.attrs.get(_CHECKED) and not require_position and scale is None \
            and set(JUDGMENT_COLUMNS) <= set(df.columns) and "dimension" in df.columns:
        return df
    _require(df, JUDGMENT_COLUMNS, what)
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    d = df.reset_index(drop=True)
    out["pair_id"] = _text_ids(d, "pair_id", what).to_numpy()
    out["annotator_id"] = _text_ids(d, "annotator_id", what).to_numpy()
    choice = d["choice"].astype("string").str.strip().str.lower()
    _fail(what, ~choice.isin(CHOICES).fillna(False).to_numpy(dtype=bool), "choice", d["choice"],
          "is not one of a, b, tie")
    out["choice"] = choice.astype(str).to_numpy()
    if "dimension" in d.columns:
        dim = d["dimension"].astype("string").str.strip()
        out["dimension"] = dim.fillna(DEFAULT_DIMENSION).replace("", DEFAULT_DIMENSION).astype(str).to_numpy()
    else:
        out["dimension"] = DEFAULT_DIMENSION
    if "shown_first" in d.columns or require_position:
        if "shown_first" not in d.columns:
            raise ValueError(f"{what} is missing column 'shown_first' (this project requires the position)")
        sf = d["shown_first"].astype("string").str.strip().str.lower()
        if require_position:
            _fail(what, sf.isna().to_numpy(dtype=bool), "shown_first", d["shown_first"],
                  "is missing (this project requires the position)")
        _fail(what, (sf.notna() & ~sf.isin(("a", "b"))).fillna(False).to_numpy(dtype=bool), "shown_first",
              d["shown_first"], "is not a or b")
        out["shown_first"] = sf.astype(object).where(sf.notna(), None).to_numpy()
    if "strength" in d.columns:
        st = _numeric(d, "strength", what)
        _fail(what, (st.notna() & (st != st.round())).to_numpy(), "strength", d["strength"],
              "is not a whole number on the graded scale")
        if scale is not None:
            lo, hi = scale
            _fail(what, (st.notna() & ((st < lo) | (st > hi))).to_numpy(), "strength", d["strength"],
                  f"is outside the graded scale {lo}..{hi}")
        sign = np.sign(st.to_numpy())
        expect = np.select([out["choice"] == "a", out["choice"] == "b"], [-1.0, 1.0], 0.0)
        _fail(what, (st.notna().to_numpy() & (sign != expect)), "strength", d["strength"],
              "does not match choice (negative favours a, positive b, 0 is a tie)")
        out["strength"] = st.to_numpy()
    if "duration_s" in d.columns:
        du = _numeric(d, "duration_s", what)
        _fail(what, (du < 0).fillna(False).to_numpy(dtype=bool), "duration_s", d["duration_s"], "is negative")
        out["duration_s"] = du.to_numpy()
    if "created_at" in d.columns:
        ts = pd.to_datetime(d["created_at"], errors="coerce", utc=True)
        _fail(what, (ts.isna() & d["created_at"].notna()).to_numpy(), "created_at", d["created_at"],
              "is not a timestamp")
        out["created_at"] = ts.to_numpy()
    if "rationale" in d.columns:
        out["rationale"] = d["rationale"].to_numpy()
    extra = [c for c in d.columns if c not in out.columns]
    for c in extra:  # grouping columns the caller brought along (team, judge_kind, ...)
        out[c] = d[c].to_numpy()
    out.attrs[_CHECKED] = True
    return out


def check_pairs(df: pd.DataFrame, *, allow_identical: bool = False, what: str = "pairs") -> pd.DataFrame:
    """Check and normalise a pairs frame (shape above).

    Pair ids must be unique. Two responses are identical when ``response_a == response_b`` (the same object)
    or ``text_a == text_b``; that is an error unless ``allow_identical``. ``len_a, len_b`` are filled from the
    texts' character counts when absent. Returns a copy with ids as text.
    """
    _require(df, PAIR_COLUMNS, what)
    d = df.reset_index(drop=True)
    out = pd.DataFrame(index=pd.RangeIndex(len(d)))
    out["pair_id"] = _text_ids(d, "pair_id", what).to_numpy()
    dup = out["pair_id"].duplicated().to_numpy()
    _fail(what, dup, "pair_id", out["pair_id"], "appears more than once")
    for c in ("prompt_id", "response_a", "response_b", "category"):
        if c in d.columns:
            s = d[c].astype("string").str.strip()
            out[c] = s.astype(object).where(s.notna(), None).to_numpy()
    for c in ("prompt", "text_a", "text_b"):
        if c in d.columns:
            out[c] = d[c].astype(object).where(d[c].notna(), None).to_numpy()
    if ("response_a" in out) != ("response_b" in out):
        raise ValueError(f"{what}: response_a and response_b come together (got only one)")
    if ("text_a" in out) != ("text_b" in out):
        raise ValueError(f"{what}: text_a and text_b come together (got only one)")
    if not allow_identical:
        if "response_a" in out:
            same = (out["response_a"] == out["response_b"]) & out["response_a"].notna()
            _fail(what, same.to_numpy(dtype=bool), "response_b", out["response_b"],
                  "is the same response as response_a (identical responses)")
        if "text_a" in out:
            same = (out["text_a"] == out["text_b"]) & out["text_a"].notna()
            _fail(what, same.to_numpy(dtype=bool), "text_b", out["text_b"].astype(str).str.slice(0, 40),
                  "is identical to text_a (identical responses)")
    for side in ("a", "b"):
        col = f"len_{side}"
        if col in d.columns:
            ln = _numeric(d, col, what)
            _fail(what, (ln < 0).fillna(False).to_numpy(dtype=bool), col, d[col], "is negative")
            out[col] = ln.to_numpy()
        elif f"text_{side}" in out:
            out[col] = out[f"text_{side}"].astype("string").str.len().astype("float64").to_numpy()
    extra = [c for c in d.columns if c not in out.columns]
    for c in extra:
        out[c] = d[c].to_numpy()
    return out
