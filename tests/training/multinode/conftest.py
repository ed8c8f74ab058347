"""Multi-node training: two torchrun launchers meet at a c10d rendezvous server, so these tests run only in a
private network namespace (``make test-net``); without HERON_PRIVATE_NET_TESTS they are deselected."""

from __future__ import annotations

import os

import pytest

from tests.conftest import PRIVATE_NET_VARIABLE, deselect_folder_unless, require_private_network

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(config, items):
    deselect_folder_unless(PRIVATE_NET_VARIABLE, HERE, config, items)


@pytest.fixture(scope="session", autouse=True)
def private_network():
    require_private_network()
