"""Interop tests run LeRobot's own code from its own venv (``make interop`` builds .venv-lerobot and sets
HERON_LEROBOT_PYTHON). Without that variable, e.g. in ``make test``, they are deselected, not skipped."""

from __future__ import annotations

import os


def pytest_collection_modifyitems(config, items):
    if os.environ.get("HERON_LEROBOT_PYTHON"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    keep = [it for it in items if not str(it.fspath).startswith(here)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep
