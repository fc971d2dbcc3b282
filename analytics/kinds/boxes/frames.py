"""The box frame, declared once: ``item_id, annotator_id, label, x, y, width, height`` (top-left corner and
size, one unit per project: pixels or percent of the image). Optional ``image_width, image_height`` per row
(or an ``items`` frame ``item_id, image_width, image_height``) enable the outside-the-image check. A row with
a missing label records an annotator who annotated the item and drew nothing. Gold: the same columns without
``annotator_id``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.frames import require_columns

__all__ = ["BOX_COLUMNS", "GOLD_BOX_COLUMNS", "check_boxes"]

BOX_COLUMNS = ("item_id", "annotator_id", "label", "x", "y", "width", "height")
GOLD_BOX_COLUMNS = ("item_id", "label", "x", "y", "width", "height")
_TOL = 1e-9


def _fail(df: pd.DataFrame, bad: np.ndarray, col: str, why: str) -> None:
    k = int(np.flatnonzero(bad)[0])
    v = df[col].iloc[k]
    v = v.item() if hasattr(v, "item") else v  # -3.0, not np.float64(-3.0)
    raise ValueError(f"row {df.index[k]!r}, column {col!r}: {why} (value {v!r})")


def check_boxes(df: pd.DataFrame, gold: bool = False, what: str = "boxes") -> pd.DataFrame:
    """Check the box shape; numeric geometry, positive sizes, inside the image when its size is known."""
    require_columns(df, GOLD_BOX_COLUMNS if gold else BOX_COLUMNS, what)
    out = df.copy()
    has = (out["label"].notna() & (out["label"].astype(str) != "")).to_numpy()
    for col in ("x", "y", "width", "height"):
        v = pd.to_numeric(out[col], errors="coerce")
        bad = has & v.isna().to_numpy()
        if bad.any():
            _fail(out, bad, col, "must be a number")
        out[col] = v.astype(float)
    for col in ("width", "height"):
        bad = has & (out[col].to_numpy() <= 0)
        if bad.any():
            _fail(out, bad, col, "box size must be positive")
    for c0, size, lim in (("x", "width", "image_width"), ("y", "height", "image_height")):
        bad = has & (out[c0].to_numpy() < -_TOL)
        if bad.any():
            _fail(out, bad, c0, "box starts outside the image")
        if lim in out.columns:
            L = pd.to_numeric(out[lim], errors="coerce").to_numpy(float)
            bad = has & np.isfinite(L) & (out[c0].to_numpy() + out[size].to_numpy() > L + _TOL)
            if bad.any():
                _fail(out, bad, size, f"box extends outside the image ({lim} {L[np.flatnonzero(bad)[0]]:g})")
    out.loc[~has, "label"] = pd.NA
    return out
