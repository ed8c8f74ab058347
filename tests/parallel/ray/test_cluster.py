"""A simulated 3-node Ray cluster (``ray.cluster_utils.Cluster``, all on loopback): a worker node is removed in the
middle of a collection, its actor's chunk is run again elsewhere, and the dataset equals the local run's."""

from __future__ import annotations

import pytest

from heron.collection.collect import collect
from heron.data.merge import episode_digests

ARGS = dict(tasks="pick,place,push", episodes=18, image_size=64)


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False,
                                                        "node_ip_address": "127.0.0.1"})
    workers = [c.add_node(num_cpus=1, node_ip_address="127.0.0.1") for _ in range(2)]
    ray.init(address=c.address, log_to_driver=False, configure_logging=False)
    c.wait_for_nodes()
    yield c, workers
    ray.shutdown()
    c.shutdown()


def test_removing_a_node_mid_collection_gives_the_same_dataset(cluster, tmp_path):
    c, workers = cluster
    removed = []

    def on_chunk(done: int) -> None:  # a third of the way in, every actor busy: a worker node goes away
        if done == 6 and not removed:
            c.remove_node(workers[0])
            removed.append(workers[0])

    summary = collect(out=tmp_path / "ray", workers=3, ray=c.address, progress=on_chunk, **ARGS)
    assert removed, "the node was not removed during the run"
    ray_stats = summary["ray"]
    assert ray_stats["nodes"] == 3 and ray_stats["actors"] == 3
    assert ray_stats["replaced"] >= 1 and ray_stats["retried"] >= 1, ray_stats
    assert summary["saved"] == 18 and summary["missing"] == []
    local = collect(out=tmp_path / "local", workers=2, progress=False, **ARGS)
    assert local["saved"] == 18
    assert episode_digests(tmp_path / "ray") == episode_digests(tmp_path / "local")
