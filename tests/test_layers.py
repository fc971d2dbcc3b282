"""The shape of the ``analytics`` package (issue 8): no import cycle, dependencies pointing one way between the
layers, and modules small enough to read in one sitting.

Imports are read with ``ast`` from every module, at module level and inside functions alike (a function-level
import is still a dependency; hiding one inside a function does not break a cycle, it only defers it).
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "analytics"
MAX_LINES = 500

# Layers and what each may import inside ``analytics`` (besides itself and the shared leaf modules):
# metrics (pure statistics) <- sources (SQL / frame paths) <- quality (rules, evaluation) <- render (output).
LEAVES = {"frames", "filters", "resources"}
MAY_NOT_IMPORT = {
    "metrics": {"sources", "quality", "render", "io", "commands", "cli", "kinds", "db", "report", "gate"},
    "sources": {"quality", "render", "commands", "cli", "report", "gate"},
    "quality": {"render", "commands", "cli", "report"},
    "render": {"commands", "cli"},
}


def _modules() -> dict[str, Path]:
    mods = {}
    for p in PKG.rglob("*.py"):
        if "dashboard" in p.relative_to(PKG).parts:  # symlinks to the top-level app, pages and ui
            continue
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    return mods


def _edges(mods: dict[str, Path]) -> dict[str, set[str]]:
    def resolve(n: str) -> str:
        while n and n not in mods:
            n = n.rsplit(".", 1)[0] if "." in n else ""
        return n

    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                # `from pkg import sub` depends on pkg.sub when sub is a module, else on pkg itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            for t in targets:
                if t.startswith("analytics") and (r := resolve(t)) and r != name:
                    edges[name].add(r)
    return edges


def _cycles(edges: dict[str, set[str]], nodes) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, "abcd") == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}, "ab") == []


def test_no_import_cycles_in_analytics():
    mods = _modules()
    assert len(mods) > 60
    cycles = _cycles(_edges(mods), sorted(mods))
    assert not cycles, f"import cycles (module- or function-level imports): {cycles}"


def test_layers_depend_one_way():
    mods = _modules()
    bad = []
    for src, targets in sorted(_edges(mods).items()):
        forbidden = MAY_NOT_IMPORT.get(_layer(src), set())
        bad += [f"{src} -> {t}" for t in sorted(targets) if _layer(t) in forbidden and _layer(t) not in LEAVES]
    assert not bad, "imports pointing up the layers:\n" + "\n".join(bad)


def test_modules_are_small_enough_to_read():
    mods = _modules()
    sizes = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in mods.items()}
    too_long = {n: s for n, s in sizes.items() if s > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {dict(sorted(too_long.items()))}"


def _ui_edges() -> dict[str, set[str]]:
    """Imports among the dashboard's ``ui`` modules (module level and inside functions)."""
    mods = {f"ui.{p.stem}": p for p in (ROOT / "ui").glob("*.py") if p.stem != "__init__"}
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                if isinstance(node, ast.ImportFrom) else [])
            edges[name] |= {t for t in targets if t in mods and t != name}
    return edges


def test_dashboard_modules_acyclic_and_small():
    """ui/ (the dashboard's shared helpers) has no import cycle and ui.context stays its leaf; no page, ui module
    or app.py is over MAX_LINES lines either."""
    edges = _ui_edges()
    assert not _cycles(edges, sorted(edges)), f"import cycles in ui/: {_cycles(edges, sorted(edges))}"
    assert not edges.get("ui.context"), f"ui.context must not import other ui modules: {edges['ui.context']}"
    files = [*(ROOT / "ui").glob("*.py"), *(ROOT / "pages").rglob("*.py"), ROOT / "app.py"]
    too_long = {str(p.relative_to(ROOT)): n for p in files
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not too_long, f"dashboard modules over {MAX_LINES} lines: {too_long}"
