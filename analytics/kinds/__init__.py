"""Annotation kinds, one folder each (``analytics/kinds/<name>/kind.py`` defines ``KIND``).

>>> from analytics import kinds
>>> [k.name for k in kinds.all_kinds()][:1]
['classification']

Discovery is by folder: a new kind is a new folder with a ``kind.py``; nothing else is edited.
See :mod:`analytics.kinds.spec` for what a kind declares and docs/ARCHITECTURE.md for a walk-through.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from analytics.kinds.spec import KindSpec, PageSpec, resolve

__all__ = ["KindSpec", "PageSpec", "resolve", "all_kinds", "get", "kind_of", "commands", "pages", "view", "DEFAULT_KIND"]

DEFAULT_KIND = "classification"


@lru_cache(maxsize=None)
def _discover(package: str = __name__) -> tuple[KindSpec, ...]:
    pkg = importlib.import_module(package)
    found: list[KindSpec] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        try:
            mod = importlib.import_module(f"{package}.{info.name}.kind")
        except ModuleNotFoundError as exc:
            if exc.name == f"{package}.{info.name}.kind":
                continue  # a folder without kind.py is not (yet) a registered kind
            raise
        spec = getattr(mod, "KIND", None)
        if not isinstance(spec, KindSpec):
            raise TypeError(f"{mod.__name__} must define KIND = KindSpec(...)")
        if spec.name != info.name:
            raise ValueError(f"{mod.__name__}: KIND.name {spec.name!r} must equal its folder name {info.name!r}")
        found.append(spec)
    # the default kind first, the others by name
    return tuple(sorted(found, key=lambda k: (k.name != DEFAULT_KIND, k.name)))


def all_kinds() -> tuple[KindSpec, ...]:
    return _discover()


def get(name: str) -> KindSpec:
    for k in all_kinds():
        if k.name == name:
            return k
    raise KeyError(f"unknown annotation kind {name!r}; registered: {', '.join(k.name for k in all_kinds())}")


def commands() -> dict[str, str]:
    """CLI command name -> module, over every kind (a name declared twice is an error)."""
    out: dict[str, str] = {}
    for k in all_kinds():
        for name, module in k.commands.items():
            if name in out:
                raise ValueError(f"CLI command {name!r} declared by two kinds")
            out[name] = module
    return out


def kind_of(task_type) -> str:
    """The kind name of a ``projects.task_type`` value: NULL, NaN or blank is the default kind."""
    if task_type is None or task_type != task_type or not str(task_type).strip():
        return DEFAULT_KIND
    return str(task_type).strip()


def pages() -> list[tuple[KindSpec, PageSpec]]:
    """Every dashboard page, in kind order then declaration order."""
    return [(k, p) for k in all_kinds() for p in k.pages]


def view(task_type, page: str):
    """The function that draws shared dashboard page ``page`` for a project of ``task_type`` (the kind's
    ``views``), or None: the page draws its classification body. An unregistered task type has no view."""
    name = kind_of(task_type)
    return next((k.view(page) for k in all_kinds() if k.name == name), None)
