"""What an annotation kind declares: the one plug-in point for a task type (``projects.task_type``).

A kind is a folder ``analytics/kinds/<name>/`` with a ``kind.py`` that defines ``KIND = KindSpec(...)``.
Nothing else in the tree names a kind: the CLI, ingest, the quality layer and the dashboard navigation
ask :mod:`analytics.kinds` for the registered kinds and use what each declares. References to code are
dotted strings (``"package.module:attr"``) resolved on first use, so declaring a kind imports nothing
heavy and a command's start-up only imports the command it runs.

Fields (every one optional except ``name`` and ``title``):

``tables``
    Table name -> ``{column: SQL type}`` of the canonical input the kind adds (classification: the
    twelve tables of ``sql/schema.sql``), or a ``"module:attr"`` reference to such a mapping.
    ``required`` names the columns a file must provide (same two forms).
``schema``
    Query name of the kind's DDL (``sql/<kind>/schema.sql`` -> ``"<kind>/schema"``), run by ``ensure_schema``.
``queries``
    Folder under ``sql/`` holding the kind's sufficient-statistics queries (``""`` = top level).
``validate``
    ``"module:function"`` called by ingest with ``(table, frame)``; raises ``IngestError`` naming file,
    row and column.
``readers``
    File format -> ``"module:function"`` returning canonical frames (Label Studio, COCO, brat, DPO JSONL...).
``metrics``
    Metric name -> ``"module:function"`` over the kind's frames (used by the file CLI and the pages).
``commands``
    CLI sub-command name -> module exposing ``add_parser(sub)`` and ``run(args)``.
``rules``
    ``"module:function"`` the quality layer calls for a project of this kind, as
    ``fn(connection, project_id, scope, thresholds) -> analytics.quality.Evaluation`` (``scope``: the
    ``ScopeRequest`` asked for, or None for the whole project). The gate, the overview and the reports read that
    one evaluation. ``None`` for the default kind, which :mod:`analytics.quality.evaluation` judges itself.
``demo``
    ``"module:function"`` called by ``labelqa demo`` after the classification projects are written, as
    ``fn(write, seed, progress)``: ``write(table, pyarrow.Table)`` appends rows to a canonical or kind table in
    the demo's one transaction; the function adds the kind's own project(s) with their planted truths. It must
    draw from its own ``numpy.random.default_rng([seed, <kind-specific constant>])`` so the classification
    projects stay identical whatever kinds are registered.
``pages``
    Dashboard pages: :class:`PageSpec` with a file relative to the dashboard root (``pages/<kind>/x.py``).
``views``
    Shared dashboard page key (``agreement``, ``accuracy``, ``annotators``) -> ``"module:function"`` that draws
    that page's body for a project of this kind, called as ``fn(ctx)`` with the page's :class:`ui.context.Ctx`
    after its header; the shared page then stops (its classification body would find no annotations). A page
    with no view for the kind draws its classification body.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["KindSpec", "PageSpec", "resolve"]


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str  # relative to the dashboard root (the directory of app.py)
    title: str
    icon: str
    url_path: str


@dataclass(frozen=True)
class KindSpec:
    name: str
    title: str
    description: str = ""
    tables: Mapping[str, Mapping[str, str]] | str = field(default_factory=dict)
    required: Mapping[str, tuple[str, ...]] | str = field(default_factory=dict)
    schema: str | None = None
    queries: str | None = None
    validate: str | None = None
    readers: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, str] = field(default_factory=dict)
    commands: Mapping[str, str] = field(default_factory=dict)
    rules: str | None = None
    demo: str | None = None
    pages: tuple[PageSpec, ...] = ()
    views: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"kind name must be a lower-case identifier, got {self.name!r}")
        for ref in (self.validate, self.rules, self.demo, *self.readers.values(), *self.metrics.values(),
                    *self.views.values()):
            if ref is not None and ":" not in ref:
                raise ValueError(f"kind {self.name}: {ref!r} is not a 'module:attr' reference")

    def table_columns(self) -> Mapping[str, Mapping[str, str]]:
        """``tables``, resolved when it is given as a ``"module:attr"`` reference."""
        return resolve(self.tables) if isinstance(self.tables, str) else self.tables

    def required_columns(self) -> Mapping[str, tuple[str, ...]]:
        return resolve(self.required) if isinstance(self.required, str) else self.required

    def metric(self, name: str):
        """The metric function registered under ``name`` (``KeyError`` naming the known ones)."""
        if name not in self.metrics:
            raise KeyError(f"kind {self.name} has no metric {name!r}; known: {', '.join(sorted(self.metrics))}")
        return resolve(self.metrics[name])

    def view(self, page: str):
        """The function drawing shared page ``page`` for this kind (:attr:`views`), or None."""
        ref = self.views.get(page)
        return resolve(ref) if ref else None

    def reader(self, fmt: str):
        if fmt not in self.readers:
            raise KeyError(f"kind {self.name} reads no {fmt!r} files; known: {', '.join(sorted(self.readers))}")
        return resolve(self.readers[fmt])


def resolve(ref: str) -> Any:
    """``"package.module:attr"`` -> the object."""
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj
