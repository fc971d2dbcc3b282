"""Test helper: load small hand-built tables into a database through the schema contract."""
from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from analytics.db import ensure_schema, make_engine


def load_tables(url: str, tables: dict[str, pd.DataFrame]) -> None:
    """Create the canonical schema at ``url`` and insert each frame into the table of its key (NaN -> NULL).

    Table and column names come from the test's own frames, never from user input.
    """
    eng = make_engine(url)
    ensure_schema(eng)
    with eng.begin() as c:
        for name, df in tables.items():
            cols = list(df.columns)
            recs = df.astype(object).where(df.notna(), None).to_dict(orient="records")
            c.execute(text(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join(':' + x for x in cols)})"), recs)
    eng.dispose()
