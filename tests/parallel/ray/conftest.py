"""Ray tests: only inside a private network namespace with loopback alone (``make test-net`` runs them under
``unshare -n``), with usage statistics off. Ray's defaults listen on every interface and reach for the cloud
metadata address; here every outbound attempt fails at once. Without HERON_PRIVATE_NET_TESTS they are deselected."""

from __future__ import annotations

import os

import pytest

from tests.conftest import private_net_hooks

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
pytest_collection_modifyitems, private_network = private_net_hooks(__file__)


@pytest.fixture(scope="module")
def local_ray():
    """One private Ray per test module (starting one costs 3-5 s)."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def pickle_by_value(module_name: str) -> None:
    """Ray workers may not import the tests package: send this module's functions by value."""
    import sys

    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[module_name])
