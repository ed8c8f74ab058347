"""``heron.parallel.ray_pool.run_on_ray`` on a private local Ray: results, a killed actor replaced and its item
retried, errors that name the item."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.parallel.ray.conftest import pickle_by_value

from heron.parallel.ray_pool import run_on_ray

pickle_by_value(__name__)


def square_setup(cfg, blob):
    marker = Path(cfg["marker"]) if cfg.get("marker") else None

    def run(x):
        if x == cfg.get("crash_on") and (marker is None or not marker.exists()):
            if marker is not None:
                marker.write_text("crashed once")
            os._exit(1)  # the actor's process dies, as on a lost node
        time.sleep(cfg.get("sleep", 0))
        if x == cfg.get("raise_on"):
            raise ValueError(f"bad item {x}")
        return x * x + len(blob or b""), os.getpid()

    return run


def broken_setup(cfg, blob):
    raise RuntimeError("cannot build the env")


def test_items_run_on_actors_and_the_blob_reaches_them(local_ray):
    out = {}
    stats = run_on_ray(square_setup, {"sleep": 0.2}, list(range(12)), lambda x, r: out.__setitem__(x, r), address="local",
                       workers=2, blob=b"abc", progress=False)
    assert {x: r[0] for x, r in out.items()} == {x: x * x + 3 for x in range(12)}
    assert len({pid for _, pid in out.values()}) == 2  # both actors took work
    assert (stats.actors, stats.items, stats.replaced, stats.retried) == (2, 12, 0, 0)


def test_a_dead_actor_is_replaced_and_its_item_retried(local_ray, tmp_path):
    out = {}
    cfg = {"crash_on": 5, "marker": str(tmp_path / "marker")}
    stats = run_on_ray(square_setup, cfg, list(range(10)), lambda x, r: out.__setitem__(x, r[0]), address="local",
                       workers=2, progress=False)
    assert (tmp_path / "marker").read_text() == "crashed once"
    assert out == {x: x * x for x in range(10)}
    assert (stats.replaced, stats.retried) == (1, 1) and "item 5" in stats.events[0]


def test_an_item_that_keeps_killing_its_actor_gives_up(local_ray):
    with pytest.raises(RuntimeError, match=r"item 2: its actor died 2 times .* giving up after 1 retries"):
        run_on_ray(square_setup, {"crash_on": 2}, [0, 1, 2, 3], lambda x, r: None, address="local", workers=2,
                   max_retries=1, progress=False)


def test_errors_name_the_item_or_the_start(local_ray):
    with pytest.raises(RuntimeError, match=r"item 3 failed on a Ray actor:[\s\S]*bad item 3"):
        run_on_ray(square_setup, {"raise_on": 3}, list(range(6)), lambda x, r: None, address="local", workers=2,
                   progress=False)
    with pytest.raises(RuntimeError, match=r"could not start:[\s\S]*cannot build the env"):
        run_on_ray(broken_setup, {}, [1, 2], lambda x, r: None, address="local", workers=2, progress=False)
