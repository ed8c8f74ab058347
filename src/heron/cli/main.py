"""The ``heron`` command line: one subcommand per module in ``agent/commands``.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``
and imports anything heavy (torch, pybullet, onnxruntime) inside ``run`` so that ``heron --help``
answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("collect", "train", "eval", "export", "run", "chat", "plan", "bench", "data", "view")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heron", description="heron: a language-driven robot controller.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"heron.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"heron.cli.{name}":
                raise
            continue
        text = module.HELP.replace("%", "%%")  # argparse %-formats help strings
        p = sub.add_parser(name, help=text, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, KeyError, ConnectionError, ImportError) as exc:
        # User-facing errors carry their own explanation; no traceback for them (an ImportError only when it says
        # what to install: an optional extra such as heron[ray]).
        if isinstance(exc, ImportError) and "pip install" not in str(exc):
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"heron {args.command}: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
