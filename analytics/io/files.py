"""The one reader of the files given to ``labelqa agreement``, ``labelqa accuracy`` and ``labelqa consensus``
(any annotation kind), with one missing-value rule.

* Formats by extension: ``.csv`` / ``.txt`` (comma), ``.tsv`` (tab), each optionally ``.gz``; ``.parquet`` / ``.pq``.
* Every column is read as **text**: ids stay ids (``007``), labels stay labels, whatever the format (a Parquet
  number or timestamp becomes its text, so a CSV and a Parquet file of the same data give the same answer).
* **Missing = an empty cell** (CSV: nothing between the separators; Parquet: a null or an empty string). Nothing
  else is missing: ``NA``, ``N/A``, ``null``, ``nan``, ``None`` are labels like any other. (Before this reader,
  ``labelqa agreement`` read a CSV label ``NA`` as a missing rating while ``accuracy`` and ``consensus`` kept it.)
* Rows are numbered from 1 at the first data row (the header is row 0): :func:`file_row` and the messages use it.

Errors are ``FileNotFoundError`` / ``ValueError`` with one line naming the file (``analytics.cli.main`` prints them
and exits 2).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.frames import require_columns

__all__ = ["FORMATS", "MISSING_RULE", "read_table", "read_checked", "require_file_columns", "file_row",
           "with_file_rows"]

FORMATS = (".csv", ".txt", ".tsv", ".csv.gz", ".tsv.gz", ".txt.gz", ".parquet", ".pq")
MISSING_RULE = ("only an empty cell is missing; 'NA', 'N/A', 'null', 'nan', 'None' are values "
                "(every column is read as text)")


def _suffix(f: Path) -> str:
    s = [x.lower() for x in f.suffixes[-2:]]
    return "".join(s) if len(s) == 2 and s[-1] == ".gz" else (s[-1] if s else "")


def read_table(path, what: str = "input") -> pd.DataFrame:
    """``path`` as a frame of text columns (missing = empty cell), index 0..n-1 in file order."""
    f = Path(path)
    if not f.is_file():
        raise FileNotFoundError(f"{what} file not found (no such file): {path}")
    suffix = _suffix(f)
    if suffix in (".parquet", ".pq"):
        try:
            raw = pd.read_parquet(f)
        except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
            raise ValueError(f"cannot read {what} file {path} as Parquet: {str(exc).splitlines()[0]}") from None
        df = pd.DataFrame({c: raw[c].astype("str") for c in raw.columns}, index=raw.index)
        df = df.mask(df == "")  # an empty string is an empty cell
    elif suffix in (".csv", ".txt", ".tsv", ".csv.gz", ".tsv.gz", ".txt.gz"):
        try:
            df = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""],
                             sep="\t" if suffix.startswith(".tsv") else ",")
        except pd.errors.EmptyDataError:
            raise ValueError(f"cannot read {what} file {path}: it is empty (no header row)") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read {what} file {path} as CSV: {str(exc).splitlines()[0]}") from None
    else:
        raise ValueError(f"{what} file {path}: unknown format {suffix or '(no extension)'!r}; "
                         f"use .csv, .tsv or .parquet")
    return df.reset_index(drop=True)


def require_file_columns(df: pd.DataFrame, columns, path, what: str = "input") -> None:
    """``require_columns`` with the file named."""
    require_columns(df, list(columns), f"{what} file {path}")


def file_row(position: int) -> int:
    """File row number (1 = first data row) of the frame position ``position`` returned by :func:`read_table`."""
    return int(position) + 1


def with_file_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The frame indexed by file row (1 = first data row), for checks that name ``row <index>``."""
    return df.set_axis(pd.RangeIndex(1, len(df) + 1), axis=0)


def read_checked(path, what: str, columns, check=None) -> pd.DataFrame:
    """Read ``path`` (:func:`read_table`), require ``columns``, and run ``check(frame)`` on the frame indexed by
    file row; a ``ValueError`` of the check (``row 3, column 'end': ...``) comes back prefixed with the file.
    Returns the checked frame re-indexed 0..n-1."""
    df = read_table(path, what)
    require_file_columns(df, columns, path, what)
    if check is not None:
        try:
            df = check(with_file_rows(df))
        except ValueError as exc:
            raise ValueError(f"{what} file {path}: {exc}") from None
    return df.reset_index(drop=True)
