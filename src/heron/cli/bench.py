"""heron bench TARGET: speed figures as JSON (the last line printed). Targets are checked here, not in tests.

Each target is a module of ``heron.bench`` with ``HELP``, ``add_arguments(parser)`` and ``run(args) -> dict``,
so ``heron bench latency --help`` shows only what latency takes; a target whose exit status depends on its
result also has ``exit_code(result) -> int`` (0 otherwise).
"""

from __future__ import annotations

import importlib
import json

TARGETS = ("sim", "latency", "loop", "train", "vlm", "ros", "interpreter", "gpu", "ray")
HELP = f"benchmarks: {', '.join(TARGETS)} (prints one JSON line last)"


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="what", metavar="TARGET", required=True)
    for name in TARGETS:
        module = importlib.import_module(f"heron.bench.{name}")
        text = module.HELP.replace("%", "%%")
        target = sub.add_parser(name, help=text, description=module.HELP)
        module.add_arguments(target)
        target.set_defaults(_bench=module.run, _exit_code=getattr(module, "exit_code", None))


def run(args) -> int:
    result = args._bench(args)
    print(json.dumps(result))
    return args._exit_code(result) if args._exit_code else 0
