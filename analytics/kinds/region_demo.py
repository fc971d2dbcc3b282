"""Helpers the region kinds' demo projects share (:mod:`analytics.kinds.boxes.demo`,
:mod:`analytics.kinds.spans.demo`): timestamps from the classification demo's week 1, ids, and the canonical rows of
a project (project, taxonomy, annotators, two-week batches)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

EPOCH = np.datetime64("2026-05-25T00:00:00", "s")  # the classification demo's week 1 (a Monday)
DAY = 86_400


def ts(seconds) -> pa.Array:
    return pa.array(EPOCH + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]"))


def ids(prefix: str, n: int, start: int = 1) -> list[str]:
    return [f"{prefix}{k:06d}" for k in range(start, start + n)]


def people(write, project: str, task_type: str, name: str, classes, critical, annotators, teams, vendor: str,
           created_s: int, n_weeks: int, versions=(1,), descriptions=None) -> None:
    """The project, its taxonomy, annotators and two-week batches (canonical tables)."""
    write("projects", pa.table({"project_id": [project], "name": [name], "client": ["Demo regions"],
                                "task_type": [task_type], "created_at": ts([created_s])}))
    lc = [(project, v, c, (descriptions or {}).get((c, v), c), "critical" if c in critical else "standard")
          for v in versions for c in classes]
    write("label_classes", pa.table({"project_id": [r[0] for r in lc],
                                     "schema_version": pa.array([r[1] for r in lc], pa.int32()),
                                     "label": [r[2] for r in lc], "description": [r[3] for r in lc],
                                     "tier": [r[4] for r in lc]}))
    write("annotators", pa.table({"annotator_id": list(annotators),
                                  "display_name": [f"Annotator {a.upper().replace('_', ' ')}" for a in annotators],
                                  "team": list(teams), "vendor": [vendor] * len(annotators),
                                  "started_at": ts([created_s - 30 * DAY] * len(annotators))}))
    nb = n_weeks // 2
    write("batches", pa.table({"batch_id": [f"{project}-b{b:02d}" for b in range(1, nb + 1)],
                               "project_id": [project] * nb,
                               "name": [f"{name}, weeks {2 * b - 1}-{2 * b}" for b in range(1, nb + 1)],
                               "delivered_at": ts([(14 * b - 2) * DAY + 17 * 3600 for b in range(1, nb + 1)])}))


