"""Tables that annotation kinds declare, in the ingest machinery (``labelqa load``), next to the canonical ones.

A kind (``analytics/kinds/<name>/kind.py``) declares its tables (``KindSpec.tables``: column -> SQL type),
the columns a file must give (``KindSpec.required``) and, as ``KindSpec.validate``, a :class:`KindRules` object:
primary keys, references, enumerations, defaults, per-row checks, checks against the database and readers for
whole-file shapes (e.g. the DPO/TRL JSONL). The lookups below (``LOAD_COLUMNS`` ...) are the canonical
dictionaries of :mod:`.schema` merged with every kind's, built on first use, so reading, typing, staging,
duplicate and reference checks and the insert treat a kind's tables like the canonical twelve. The canonical
dictionaries themselves stay the mirror of ``sql/schema.sql``.

SQL built here and in the kinds' rules uses only the declared (fixed) table and column names; values are Arrow
data or bound parameters.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from analytics.io.ingest.schema import (
    _ALLOWED, _DEFAULTS, _NON_NEGATIVE, _REFERENCES, PRIMARY_KEYS, REQUIRED_COLUMNS, TABLE_COLUMNS,
)

__all__ = ["KindRules", "LOAD_COLUMNS", "LOAD_REQUIRED", "LOAD_KEYS", "LOAD_ALLOWED", "LOAD_DEFAULTS",
           "load_tables", "load_references", "non_negative", "kind_rules", "annotator_tables"]


@dataclasses.dataclass(frozen=True)
class KindRules:
    """How ingest treats a kind's tables (the object ``KindSpec.validate`` refers to).

    ``required`` overrides ``KindSpec.required`` for files (e.g. a ``project_id`` that ``--project`` may give).
    ``references``: ``(table, column, referenced table, referenced column, what to call it)`` like the canonical
    ones. ``annotators``: tables whose ``annotator_id`` creates the annotator if new. ``row_checks(table, typed)``
    returns ``(row, column, message)`` problems of one file's typed Arrow rows (``_row`` = file row).
    ``load_checks(con, stage, staged, project)`` runs after the staging (``stage`` = prefix of the staged
    tables) and returns ``(file index, row, table, column, message)``. ``file_readers``: functions
    ``(mem, src, table, project, mapping, problems) -> {table: typed rows} | None`` for a whole-file shape (None:
    not this reader's file).
    """

    required: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    primary_keys: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    references: tuple[tuple[str, str, str, str, str], ...] = ()
    allowed: Mapping[tuple[str, str], tuple[str, ...]] = dataclasses.field(default_factory=dict)
    non_negative: frozenset[tuple[str, str]] = frozenset()
    defaults: Mapping[tuple[str, str], Any] = dataclasses.field(default_factory=dict)
    annotators: tuple[str, ...] = ()
    row_checks: Callable | None = None
    load_checks: Callable | None = None
    file_readers: tuple[Callable, ...] = ()

    def __call__(self, table: str, typed) -> list[tuple[int, str, str]]:
        return list(self.row_checks(table, typed)) if self.row_checks else []


@lru_cache(maxsize=None)
def _kinds() -> tuple[tuple[dict[str, dict[str, str]], dict[str, tuple[str, ...]], KindRules], ...]:
    """(tables, required, rules) of every registered kind other than the canonical one."""
    from analytics import kinds
    from analytics.kinds.spec import resolve

    out = []
    for k in kinds.all_kinds():
        if k.name == kinds.DEFAULT_KIND:
            continue
        tables = {t: dict(cols) for t, cols in k.table_columns().items() if t not in TABLE_COLUMNS}
        if not tables:
            continue
        rules = resolve(k.validate) if k.validate else KindRules()
        if not isinstance(rules, KindRules):
            rules = KindRules(row_checks=lambda table, typed, f=rules: f(table, typed))
        required = {t: tuple(rules.required.get(t, k.required_columns().get(t, ()))) for t in tables}
        out.append((tables, required, rules))
    return tuple(out)


def kind_rules() -> Iterator[tuple[set[str], KindRules]]:
    """(tables, rules) per kind."""
    for tables, _req, rules in _kinds():
        yield set(tables), rules


class _Merged(Mapping):
    """A canonical mapping plus every kind's entries, merged on first use."""

    def __init__(self, build: Callable[[], dict]):
        self._build = build

    def _d(self) -> dict:
        return _merged(self._build)

    def __getitem__(self, key):
        return self._d()[key]

    def __iter__(self):
        return iter(self._d())

    def __len__(self) -> int:
        return len(self._d())

    def __contains__(self, key) -> bool:
        return key in self._d()


@lru_cache(maxsize=None)
def _merged(build: Callable[[], dict]) -> dict:
    return build()


def _build_columns() -> dict:
    out = dict(TABLE_COLUMNS)
    for tables, _req, _rules in _kinds():
        out.update(tables)
    return out


def _build_required() -> dict:
    out = dict(REQUIRED_COLUMNS)
    for _t, req, _rules in _kinds():
        out.update(req)
    return out


def _build_keys() -> dict:
    out = dict(PRIMARY_KEYS)
    for _t, _req, rules in _kinds():
        out.update(rules.primary_keys)
    return out


def _build_allowed() -> dict:
    out = dict(_ALLOWED)
    for _t, _req, rules in _kinds():
        out.update(rules.allowed)
    return out


def _build_defaults() -> dict:
    out = dict(_DEFAULTS)
    for _t, _req, rules in _kinds():
        out.update(rules.defaults)
    return out


#: Columns and types of every table ingest loads: canonical + each kind's.
LOAD_COLUMNS: Mapping[str, Mapping[str, str]] = _Merged(_build_columns)
LOAD_REQUIRED: Mapping[str, tuple[str, ...]] = _Merged(_build_required)
LOAD_KEYS: Mapping[str, tuple[str, ...]] = _Merged(_build_keys)
LOAD_ALLOWED: Mapping[tuple[str, str], tuple[str, ...]] = _Merged(_build_allowed)
LOAD_DEFAULTS: Mapping[tuple[str, str], Any] = _Merged(_build_defaults)


def load_tables() -> tuple[str, ...]:
    """Tables in load order: the canonical ones (schema order), then each kind's (declaration order)."""
    from analytics.db import CANONICAL_TABLES

    return tuple(CANONICAL_TABLES) + tuple(t for tables, _r, _k in _kinds() for t in tables)


def load_references() -> tuple[tuple[str, str, str, str, str], ...]:
    return tuple(_REFERENCES) + tuple(r for _t, _req, rules in _kinds() for r in rules.references)


def non_negative() -> set[tuple[str, str]]:
    return set(_NON_NEGATIVE).union(*(rules.non_negative for _t, _req, rules in _kinds()))


def annotator_tables() -> tuple[str, ...]:
    """Kind tables whose ``annotator_id`` creates the annotator if new (as annotations do)."""
    return tuple(t for _t, _req, rules in _kinds() for t in rules.annotators)
