"""Small typed results every metric returns; pages and the CLI only format them."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Estimate", "NoData", "wilson_interval", "SMALL_N", "to_records"]

SMALL_N = 30  # default: below this many units an estimate is flagged as a small sample


class NoData(ValueError):
    """Nothing to compute: the filtered scope holds none of the data a metric needs (no annotations, no gold, no
    pre-labels, no overlap, ...). ``reason`` is written for users; pages show it as an empty state.

    A ``ValueError`` subclass, so callers that catch ``ValueError`` keep working; ``str(exc) == exc.reason``.
    Bad arguments stay plain ``ValueError``: catch ``NoData`` to tell "no data" from "wrong input".
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A number a user sees: value, interval, sample sizes and, when undefined, the reason.

    ``n`` is the number of scored units (annotations for accuracy, items for agreement).
    ``value`` is NaN exactly when ``reason`` says why.
    """

    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    n: int = 0
    n_items: int | None = None
    n_annotations: int | None = None
    reason: str | None = None
    method: str | None = None
    small_n_threshold: int = SMALL_N

    @property
    def defined(self) -> bool:
        return self.reason is None and not math.isnan(self.value)

    @property
    def small_sample(self) -> bool:
        return self.n < self.small_n_threshold

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("small_n_threshold")
        d["small_sample"] = self.small_sample
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}

    @classmethod
    def undefined(cls, reason: str, n: int = 0, **kw: Any) -> "Estimate":
        return cls(value=math.nan, n=n, reason=reason, **kw)


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3).

    Vectorised over numpy arrays. Returns ``(low, high)``; NaN where ``n == 0``.
    """
    s = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low, high = centre - half, centre + half
    low = np.where(n > 0, np.clip(low, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(high, 0, 1), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def to_records(estimates: dict[Any, Estimate], key: str = "group") -> list[dict[str, Any]]:
    """``{group: Estimate}`` -> list of dicts with a ``group`` key (CLI ``--by`` output)."""
    return [{key: g, **e.as_dict()} for g, e in estimates.items()]
