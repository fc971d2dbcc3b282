"""The plug-in point for annotation kinds: discovery by folder, declarations that resolve, and a new kind
reaching the CLI and the dashboard navigation without edits elsewhere."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from analytics import cli, kinds
from analytics.db import CANONICAL_TABLES
from analytics.kinds.spec import KindSpec, PageSpec, resolve
from analytics.resources import DASHBOARD_APP


def test_classification_is_the_first_kind_and_every_declaration_resolves():
    ks = kinds.all_kinds()
    assert ks[0].name == kinds.DEFAULT_KIND == "classification"
    for k in ks:
        for ref in (*k.metrics.values(), *k.readers.values(), *(r for r in (k.rules, k.validate) if r)):
            assert callable(resolve(ref)), ref
        for module in k.commands.values():
            mod = resolve(module + ":add_parser")
            assert callable(mod)
        for p in k.pages:
            assert (DASHBOARD_APP.parent / p.path).is_file(), p.path
    assert tuple(kinds.get("classification").table_columns()) == CANONICAL_TABLES


def test_every_page_and_command_comes_from_a_kind_or_the_core():
    import ui.common

    assert list(ui.common.PAGES) == [p.key for _, p in kinds.pages()]
    assert set(cli.COMMANDS) == set(cli.CORE) | set(kinds.commands())


def test_unknown_kind_names_the_registered_ones():
    with pytest.raises(KeyError, match="registered: classification"):
        kinds.get("nope")
    with pytest.raises(KeyError, match="known: "):
        kinds.get("classification").metric("nope")


def test_bad_declarations_are_refused():
    with pytest.raises(ValueError, match="lower-case identifier"):
        KindSpec(name="Bad-Kind", title="x")
    with pytest.raises(ValueError, match="module:attr"):
        KindSpec(name="ok", title="x", metrics={"m": "no_colon"})


def _toy_package(tmp_path: Path, name: str = "toy", folder: str | None = None) -> str:
    """A kinds package with one kind folder, written as a user would add one."""
    pkg = tmp_path / "toykinds"
    kind_dir = pkg / (folder or name)
    kind_dir.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "notakind").mkdir()
    (pkg / "notakind" / "__init__.py").write_text("")
    (kind_dir / "__init__.py").write_text("")
    (kind_dir / "cli.py").write_text(textwrap.dedent("""
        def add_parser(sub):
            p = sub.add_parser("toy", help="toy kind command")
            p.add_argument("--n", type=int, default=2)
            p.set_defaults(func=run)

        def run(args):
            print(f"toy says {args.n * 21}")
            return 0
    """))
    (kind_dir / "kind.py").write_text(textwrap.dedent(f"""
        from analytics.kinds.spec import KindSpec, PageSpec
        KIND = KindSpec(name={name!r}, title="Toy", commands={{"toy": "toykinds.{folder or name}.cli"}},
                        pages=(PageSpec("toy", "pages/toy/toy.py", "Toy", ":material/toys:", "toy"),))
    """))
    sys.path.insert(0, str(tmp_path))
    return "toykinds"


@pytest.fixture
def toy(tmp_path, monkeypatch):
    pkg = _toy_package(tmp_path)
    monkeypatch.setattr(sys, "path", sys.path)
    yield pkg
    sys.path.remove(str(tmp_path))
    for m in [m for m in sys.modules if m.startswith("toykinds")]:
        del sys.modules[m]


def test_a_new_kind_is_a_new_folder(toy, monkeypatch, capsys):
    found = kinds._discover.__wrapped__(toy)
    assert [k.name for k in found] == ["toy"]  # the folder without kind.py is skipped
    real = kinds.all_kinds()
    monkeypatch.setattr(kinds, "all_kinds", lambda: real + found)
    assert cli.command_modules()["toy"] == "toykinds.toy.cli"
    assert cli.main(["toy", "--n", "2"]) == 0
    assert capsys.readouterr().out.strip() == "toy says 42"
    assert ("toy", "pages/toy/toy.py") in [(k.name, p.path) for k, p in kinds.pages()]


def test_kind_folder_and_name_must_match(tmp_path):
    pkg = _toy_package(tmp_path, name="toy", folder="other")
    try:
        with pytest.raises(ValueError, match="must equal its folder name"):
            kinds._discover.__wrapped__(pkg)
    finally:
        sys.path.remove(str(tmp_path))
        for m in [m for m in sys.modules if m.startswith("toykinds")]:
            del sys.modules[m]


def test_a_kind_may_not_take_a_core_command(monkeypatch):
    clash = KindSpec(name="clash", title="x", commands={"gate": "analytics.commands.gate"})
    real = kinds.all_kinds()
    monkeypatch.setattr(kinds, "all_kinds", lambda: real + (clash,))
    with pytest.raises(ValueError, match="redefine core commands: gate"):
        cli.command_modules()
