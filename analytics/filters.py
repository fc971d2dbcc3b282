"""The dashboard's filter set, one frozen value used as cache key, SQL parameters and URL state."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

__all__ = ["Filters"]


@dataclasses.dataclass(frozen=True)
class Filters:
    """Filters every query over annotations accepts (see ``sql/_filtered_annotations.sql``).

    ``None`` means "no filter". Dates are inclusive calendar days.
    """

    project_id: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    team: str | None = None
    schema_version: int | None = None
    split: str | None = None
    batch_id: str | None = None

    def params(self) -> dict[str, Any]:
        """Bind parameters for a query that ``-- @include filtered_annotations``."""
        return dataclasses.asdict(self)

    def replace(self, **kw: Any) -> "Filters":
        return dataclasses.replace(self, **kw)
