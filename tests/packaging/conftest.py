"""The wheel check builds a wheel and installs it into a fresh venv (minutes): ``make wheel-check`` runs it and
sets HERON_WHEEL_CHECK=1. Without that variable, e.g. in ``make test``, it is deselected, not skipped."""

from __future__ import annotations

import os

from tests.conftest import deselect_folder_unless


def pytest_collection_modifyitems(config, items):
    deselect_folder_unless("HERON_WHEEL_CHECK", os.path.dirname(os.path.abspath(__file__)), config, items)
