"""The console-script body every heron node shares: init, build, spin, shut down cleanly."""

from __future__ import annotations

import sys
from typing import Callable

import rclpy
from rclpy.executors import Executor, ExternalShutdownException


def run_node(name: str, make_node: Callable[[], object], make_executor: Callable[[], Executor], args: list[str] | None = None,
             on_start: Callable[[object], None] | None = None, on_exit: Callable[[object], None] | None = None) -> int:
    """Build the node and spin it on ``make_executor()`` until Ctrl-C or shutdown. A ``ValueError`` while
    building (a bad parameter or robot profile; its message names it and what is allowed) exits 2 with
    that message instead of a traceback. ``on_exit`` runs however spinning ends."""
    try:
        with rclpy.init(args=args):
            try:
                node = make_node()
            except ValueError as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                return 2
            executor = make_executor()
            executor.add_node(node)
            if on_start is not None:
                on_start(node)
            try:
                executor.spin()
            finally:
                if on_exit is not None:
                    on_exit(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    return 0
