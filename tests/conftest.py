"""Shared fixtures: network-safe ROS settings, a small synthetic dataset, a tiny trained policy."""

from __future__ import annotations

import os

# ROS 2 network safety for every test: discovery stays on this machine, in this suite's own domain.
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("ROS_DOMAIN_ID", "57")
# One ONNX export cache for the whole run (child processes such as ROS nodes inherit it).
os.environ.setdefault("HERON_CACHE", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "heron-test"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

INSTRUCTIONS = ["pick up the red block", "push the blue block left", "touch the green block"]


def write_synthetic_demos(path, episodes: int = 6, steps: int = 12, size: int = 64, seed: int = 0, tasks=("pick",)):
    from heron.data import Episode, open_writer, shard_path

    rng = np.random.default_rng(seed)
    with open_writer(shard_path(path, 0)) as w:
        for i in range(episodes):
            w.write(Episode(
                rgb_front=rng.integers(0, 255, (steps, size, size, 3), dtype=np.uint8),
                rgb_wrist=rng.integers(0, 255, (steps, size, size, 3), dtype=np.uint8),
                proprio=rng.normal(size=(steps, 22)).astype(np.float32),
                actions=rng.uniform(-1, 1, (steps, 5)).astype(np.float32),
                instruction=INSTRUCTIONS[i % len(INSTRUCTIONS)], task=tasks[i % len(tasks)], index=i, seed=i))
    return path


@pytest.fixture(scope="session")
def synthetic_demos(tmp_path_factory):
    return write_synthetic_demos(tmp_path_factory.mktemp("demos") / "demos")


@pytest.fixture(scope="session")
def tiny_policy(tmp_path_factory, synthetic_demos):
    """A tiny policy trained for a few steps on synthetic data: a real saved folder."""
    from heron.training.config import load_train_config
    from heron.training.trainer import Trainer

    out = tmp_path_factory.mktemp("run")
    cfg = load_train_config("configs/train/tiny.yaml", [f"data={synthetic_demos}", f"out={out}", "steps=8"])
    Trainer(cfg, progress=False).fit()
    return out / "final"


@pytest.fixture(scope="session")
def tiny_onnx(tmp_path_factory, tiny_policy):
    from heron.policies.export import export_policy

    out = tmp_path_factory.mktemp("onnx")
    export_policy(tiny_policy, out)
    return out


def deselect_folder_unless(variable: str, folder: str, config, items) -> None:
    """Deselect (not skip) the tests under ``folder`` unless the environment variable is set: the slow
    targets (``make interop``, ``make wheel-check``) set it."""
    import os

    if os.environ.get(variable):
        return
    keep = [it for it in items if not str(it.fspath).startswith(folder)]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep


PRIVATE_NET_VARIABLE = "HERON_PRIVATE_NET_TESTS"  # set by `make test-net`, which runs under unshare -n


def require_private_network() -> None:
    """Tests that open network servers (Ray, torchrun's rendezvous) run only in a private network namespace with
    loopback alone: refuse anywhere else."""
    import socket

    names = sorted(name for _, name in socket.if_nameindex())
    if names != ["lo"]:
        pytest.fail(f"this test opens network servers and runs only in a private network namespace with loopback alone "
                    f"(here: {', '.join(names)}); run `make test-net` (unshare -n, then ip link set lo up)", pytrace=False)


def private_net_hooks(conftest_file: str):
    """For the conftest of a folder whose tests open network servers: (pytest_collection_modifyitems, an autouse
    session fixture). The tests are deselected unless HERON_PRIVATE_NET_TESTS is set, and refused outside a private
    network namespace before any fixture (a module's Ray, say) starts a server."""
    import os

    folder = os.path.dirname(os.path.abspath(conftest_file))

    def pytest_collection_modifyitems(config, items):
        deselect_folder_unless(PRIVATE_NET_VARIABLE, folder, config, items)

    @pytest.fixture(scope="session", autouse=True)
    def private_network():
        require_private_network()

    return pytest_collection_modifyitems, private_network
