"""``labelqa`` command line. Each sub-command lives in ``analytics/commands/<name>.py`` and exposes
``add_parser(subparsers)`` (registering itself with ``set_defaults(func=run)``) and ``run(args) -> int``.

Errors that are the user's (bad file, unknown column, malformed config) are raised as ``UsageError`` or
``ValueError``/``FileNotFoundError`` and printed as one line on stderr with exit code 2, no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from analytics.resources import version

__all__ = ["main", "UsageError", "COMMANDS"]

# Order is the order in `labelqa --help`.
COMMANDS = ("demo", "load", "info", "dashboard", "agreement", "accuracy", "consensus", "gate", "report")


class UsageError(Exception):
    """A problem with the user's input: printed as one line, exit code 2."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only`` set, just that sub-command's module is imported (fast start-up)."""
    parser = argparse.ArgumentParser(prog="labelqa", description="Label-quality analytics.")
    parser.add_argument("--version", action="version", version=f"labelqa {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in (only,) if only in COMMANDS else COMMANDS:
        try:
            mod = importlib.import_module(f"analytics.commands.{name}")
        except ModuleNotFoundError as exc:  # a command not written yet must not break the others
            if exc.name == f"analytics.commands.{name}":
                continue
            raise
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=argv[0] if argv else None)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UsageError, ValueError, FileNotFoundError, KeyError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"labelqa {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
