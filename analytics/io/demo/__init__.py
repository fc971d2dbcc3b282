"""Seeded demo scenario: three labelling projects with planted, documented quality problems.

``build_demo(url, annotations=200_000, seed=42)`` creates the canonical schema (``sql/schema.sql``) and fills
every table with a realistic, fully synthetic scenario (see ``sample_data/README.md``):

* projects ``streetscene`` (client "Acme Mobility", ~80 % of annotations, 30 Zipf-distributed classes,
  critical class ``emergency_vehicle`` < 1 % of items), ``retail`` ("Shopwise", 8 classes) and ``docs``
  ("Ledgerly", 6 classes), each with its own annotators, batches and model runs;
* 26 weeks from Monday ``WEEK1`` = 2026-05-25; batches ``<project>-b01`` .. ``-b13`` of two weeks each;
* 1 to 5 annotators per item (35/25/25/10/5 %); 5-10 % gold items drawn by a QA plan that over-samples
  rare classes and night scenes; reviews on a ~6 % QA sample of annotations; pre-labels from a simulated
  model on a rising share of annotations; model runs with per-class metrics and test-split predictions;
* six injected truths, described in ``TRUTHS``, that the analytics must recover.

Generation model (per annotation of an item whose true class is ``y``): the annotator errs with probability
``(1 - skill_a) * difficulty_y * learning(week) * lighting_factor`` (with scenario overrides), and an error goes
to a plausible confusable class with probability 0.8 (``car``/``van``/``truck``, ``bicycle``/``motorcycle``,
``pedestrian``/``cyclist``, ...), else to any other class. A pre-label (``model_suggestion``) is shown on a
share of annotations; peers adopt a *wrong* suggestion 15 % of the time, ``ann_23`` adopts any suggestion
90 % of the time. Gold labels are the true classes.

Everything is vectorised with numpy and written chunk by chunk (``ITEMS_PER_CHUNK`` items at a time) as
Arrow tables: DuckDB ingests them directly, PostgreSQL through ``COPY ... FROM STDIN (FORMAT csv)``; any other
SQLAlchemy URL falls back to batched ``executemany``. The same seed gives identical table contents on every
engine (random streams depend only on the seed, the requested size and the chunk index)."""
from __future__ import annotations

from analytics.io.demo.scenario import (
    ANNOTATORS_PER_ITEM, CRITICAL_CLASS, DEFAULT_ANNOTATIONS, DRIFT_WEEK, ITEMS_PER_CHUNK, MAIN_PROJECT,
    N_WEEKS, PROJECTS, V2_WEEK, WEEK1, week_start,
)
from analytics.io.demo.truths import Truth, TRUTHS
from analytics.io.demo.build import build_demo
from analytics.io.demo.snapshot import write_snapshot
from analytics.io.demo.default_db import ensure_default_db

__all__ = [
    "DEFAULT_ANNOTATIONS",
    "MAIN_PROJECT",
    "PROJECTS",
    "WEEK1",
    "N_WEEKS",
    "V2_WEEK",
    "DRIFT_WEEK",
    "CRITICAL_CLASS",
    "ANNOTATORS_PER_ITEM",
    "ITEMS_PER_CHUNK",
    "Truth",
    "TRUTHS",
    "week_start",
    "build_demo",
    "write_snapshot",
    "ensure_default_db",
]
