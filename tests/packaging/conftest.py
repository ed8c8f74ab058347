"""The wheel check builds a wheel and installs it into a fresh venv (minutes): ``make wheel-check`` runs it and
sets HERON_WHEEL_CHECK=1. Without that variable, e.g. in ``make test``, it is deselected, not skipped."""

from __future__ import annotations

import os


def pytest_collection_modifyitems(config, items):
    if os.environ.get("HERON_WHEEL_CHECK"):
        return
    here = os.path.dirname(os.path.abspath(__file__))
    keep = [it for it in items if not str(it.fspath).startswith(here)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep
