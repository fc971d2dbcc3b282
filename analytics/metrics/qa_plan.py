"""QA sample planning, no I/O: how many items of each class to review (rate, precision and minimum rules)."""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from analytics.frames import require_columns

__all__ = ["plan_qa_sample"]

def _per_label(value: float | Mapping[str, float] | pd.Series, labels: pd.Series, name: str) -> np.ndarray:
    if isinstance(value, (Mapping, pd.Series)):
        mapping = dict(value)
        missing = [l for l in labels if l not in mapping]
        if missing:
            raise ValueError(f"{name} has no value for label(s) {missing!r}")
        return labels.map(mapping).to_numpy(dtype=float)
    return np.full(len(labels), float(value))


def plan_qa_sample(population: pd.DataFrame, min_rate: float | Mapping[str, float] = 0.10,
                   half_width: float | None = None, expected_accuracy: float = 0.9, confidence: float = 0.95,
                   min_count: int | None = None) -> pd.DataFrame:
    """How many items of each class to review.

    ``population``: ``label, population`` (items per class). Per class, ``n`` is the largest of

    - ``n_rate = ceil(min_rate * N)`` (``min_rate`` a number or a ``{label: rate}`` mapping, e.g. per tier);
    - ``n_precision``: the sample size whose 95% (``confidence``) normal half-width for an accuracy near
      ``expected_accuracy`` is at most ``half_width``, with the finite population correction
      (Cochran 1977, ch. 4: ``n0 = z^2 p (1 - p) / d^2``, ``n = n0 / (1 + (n0 - 1) / N)``); 0 if no half-width;
    - ``min_count`` (if given),

    capped at the population ``N``. Returns ``label, population, n_rate, n_precision, n_min, n, rate``
    (``n / N``), ``expected_half_width`` (normal half-width with fpc at ``n``; NaN when n = 0) and ``capped``.
    """
    require_columns(population, ("label", "population"), "population")
    if half_width is not None and not (0 < half_width < 1):
        raise ValueError(f"half_width must lie in (0, 1), got {half_width!r}")
    if not (0 < expected_accuracy < 1):
        raise ValueError(f"expected_accuracy must lie in (0, 1), got {expected_accuracy!r}")
    labels = population["label"]
    N = pd.to_numeric(population["population"], errors="coerce")
    if N.isna().any() or (N < 0).any():
        raise ValueError("population must hold non-negative counts")
    N = N.to_numpy(dtype=float)
    rate = _per_label(min_rate, labels, "min_rate")
    if np.any((rate < 0) | (rate > 1)):
        raise ValueError("min_rate must lie in [0, 1]")
    z = stats.norm.ppf(0.5 + confidence / 2)
    pq = expected_accuracy * (1 - expected_accuracy)
    # round before ceil so that e.g. 0.1 * 30 = 3.0000000000000004 asks for 3 items, not 4
    n_rate = np.ceil(np.round(rate * N, 9))
    if half_width is None:
        n_prec = np.zeros_like(N)
    else:
        n0 = z * z * pq / (half_width * half_width)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_prec = np.where(N > 0, np.ceil(np.round(n0 / (1 + (n0 - 1) / np.where(N > 0, N, 1)), 9)), 0)
    n_min = np.full_like(N, float(min_count or 0))
    want = np.maximum.reduce([n_rate, n_prec, n_min])
    n = np.minimum(want, N)
    with np.errstate(invalid="ignore", divide="ignore"):
        fpc = np.where(N > 1, (N - n) / np.where(N > 1, N - 1, 1), 0.0)
        hw = np.where(n > 0, z * np.sqrt(pq / np.where(n > 0, n, 1) * np.clip(fpc, 0, 1)), np.nan)
        share = np.where(N > 0, n / np.where(N > 0, N, 1), np.nan)
    return pd.DataFrame({
        "label": labels.to_numpy(), "population": N.astype("int64"),
        "n_rate": n_rate.astype("int64"), "n_precision": n_prec.astype("int64"), "n_min": n_min.astype("int64"),
        "n": n.astype("int64"), "rate": share, "expected_half_width": hw, "capped": want > N,
    })
