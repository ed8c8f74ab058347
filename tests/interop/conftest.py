"""Interop tests run LeRobot's own code from its own venv (``make interop`` builds .venv-lerobot and sets
HERON_LEROBOT_PYTHON). Without that variable, e.g. in ``make test``, they are deselected, not skipped."""

from __future__ import annotations

import os

from tests.conftest import deselect_folder_unless


def pytest_collection_modifyitems(config, items):
    deselect_folder_unless("HERON_LEROBOT_PYTHON", os.path.dirname(os.path.abspath(__file__)), config, items)
