"""``labelqa`` command line. Each sub-command is a module exposing ``add_parser(subparsers)`` (registering
itself with ``set_defaults(func=run)``) and ``run(args) -> int``: the core commands live in
``analytics/commands/<name>.py``; an annotation kind adds its own through ``KindSpec.commands``
(:mod:`analytics.kinds`), so a new kind never edits this file.

Errors that are the user's (bad file, unknown column, malformed config) are raised as ``UsageError`` or
``ValueError``/``FileNotFoundError`` and printed as one line on stderr with exit code 2, no traceback.
Database failures (missing or locked file, not a database, missing table or column, unreachable server, bad
URL) are explained by :func:`analytics.sources.errors.explain` and also exit 2 on every command.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from analytics import kinds
from analytics.resources import version
from analytics.sources.errors import explain, is_database_error

__all__ = ["main", "UsageError", "COMMANDS", "command_modules"]

# Core commands (not tied to one annotation kind). Order of `labelqa --help`: these, then the kinds' commands
# inserted before "gate".
CORE = ("demo", "load", "info", "dashboard", "gate", "report", "verify")


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


def command_modules() -> dict[str, str]:
    """Every sub-command name -> its module, in ``--help`` order."""
    core = {name: f"analytics.commands.{name}" for name in CORE}
    from_kinds = kinds.commands()
    clash = sorted(set(core) & set(from_kinds))
    if clash:
        raise ValueError(f"annotation kinds redefine core commands: {', '.join(clash)}")
    order = list(CORE[:4]) + list(from_kinds) + list(CORE[4:])
    return {name: core.get(name) or from_kinds[name] for name in order}


COMMANDS = tuple(command_modules())


class _Parser(argparse.ArgumentParser):
    """``ArgumentParser`` whose usage errors suggest the option or choice the user probably meant (difflib;
    argparse's own ``suggest_on_error`` is Python 3.14+). Sub-command parsers are of this class too."""

    def error(self, message: str):
        hint = suggestion(message, self)
        super().error(f"{message} ({hint})" if hint else message)


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings if o.startswith("--")]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def suggestion(message: str, parser: argparse.ArgumentParser) -> str:
    """``did you mean --metric?`` for an unrecognized option or an invalid choice close to a known one, else ``""``."""
    import difflib
    import re

    m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if m:
        choices = re.findall(r"'([^']*)'", m.group(2)) or [c.strip() for c in m.group(2).split(",")]
        close = difflib.get_close_matches(m.group(1), choices, n=1, cutoff=0.6)
        return f"did you mean {close[0]!r}?" if close else ""
    m = re.search(r"unrecognized arguments: (.*)", message)
    if not m:
        return ""
    known = _option_strings(parser)
    sub = _subparsers(parser).get(getattr(parser, "labelqa_command", None) or "")
    if sub is not None:
        known = _option_strings(sub) + known
    hints = []
    for token in m.group(1).split():
        name = token.split("=", 1)[0]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) if name.startswith("--") else []
        if close:
            hints.append((name, close[0]))
    if len(hints) == 1:
        return f"did you mean {hints[0][1]}?"
    return f"did you mean {', '.join(f'{c} for {t}' for t, c in hints)}?" if hints else ""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only`` set, just that sub-command's module is imported (fast start-up)."""
    parser = _Parser(prog="labelqa", description="Label-quality analytics.")
    parser.add_argument("--version", action="version", version=f"labelqa {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    modules = command_modules()
    for name in (only,) if only in modules else modules:
        importlib.import_module(modules[name]).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=argv[0] if argv else None)
    parser.labelqa_command = argv[0] if argv else None  # for suggestions on an unrecognized option
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `labelqa ... | head` closed the pipe: not an error, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (UsageError, ValueError, FileNotFoundError, KeyError) as exc:
        if is_database_error(exc):  # some DBAPI errors are ValueErrors; they get the database wording
            print(f"labelqa {args.command}: error: {explain(exc)}", file=sys.stderr)
            return 2
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"labelqa {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not is_database_error(exc):
            raise
        # exit 2, never 1: for `labelqa gate`, 1 means "a rule failed"
        print(f"labelqa {args.command}: error: {explain(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
