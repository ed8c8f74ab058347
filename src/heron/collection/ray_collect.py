"""``heron collect --ray``: demonstrations recorded on Ray actors (``heron.parallel.ray_pool``).

Work goes out in chunks of episode indices. An actor records a chunk into a file of its own temporary folder and
returns the file's bytes, so the workers need no storage shared with the driver; the driver writes the chunk
atomically as ``shard-ray-<first>-<last>.h5`` (fixed by the chunk's indices). A chunk whose actor died is run
again and gives the same episodes (each depends only on its index and the settings), and the same file.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from heron.collection.config import CollectConfig
from heron.data import open_writer
from heron.parallel.ray_pool import RayStats, pack_folder, run_on_ray, unpack_folder, write_atomic

MAX_CHUNK = 16  # episodes per chunk file: fewer, larger files for big runs; one episode a chunk for small ones


def chunks_of(todo: list[int], chunk: int | None = None) -> list[list[int]]:
    size = chunk or max(1, min(MAX_CHUNK, len(todo) // 16))
    return [todo[i:i + size] for i in range(0, len(todo), size)]


def chunk_path(out: str | Path, chunk: list[int]) -> Path:
    return Path(out) / f"shard-ray-{chunk[0]:07d}-{chunk[-1]:07d}.h5"


def record_chunk(cfg: CollectConfig, sim, driver, chunk: list[int]) -> dict[str, Any]:
    """Record ``chunk`` into a temporary HDF5 file; return its bytes and (index, task, saved, failed, steps) each."""
    from heron.collection.workers import record_index

    folder = Path(tempfile.mkdtemp(prefix="heron-chunk-"))
    try:
        episodes = []
        with open_writer(folder / "chunk.h5", compression=cfg.compression) as writer:
            for index in chunk:
                task, saved, failed, steps = record_index(sim, cfg, index, writer, driver)
                episodes.append((index, task, saved, failed, steps))
        return {"data": (folder / "chunk.h5").read_bytes(), "episodes": episodes}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _setup(cfg: CollectConfig, policy_files: dict[str, bytes] | None):
    """In each actor: the simulator module and, for DAgger, the driving policy from the object store."""
    from heron.envs import tabletop as sim

    driver = None
    if cfg.policy:
        from heron.collection.dagger import PolicyDriver

        cfg = copy.copy(cfg)
        if policy_files is not None:
            cfg.policy = str(unpack_folder(policy_files, "heron-policy-"))
        driver = PolicyDriver(cfg.policy, cfg.policy_share)
    return lambda chunk: record_chunk(cfg, sim, driver, chunk)


def run_ray(cfg: CollectConfig, todo: list[int], tally, address: str, workers: int | None,
            progress: "bool | Callable[[int], None]") -> tuple[bool, RayStats]:
    """Record ``todo`` on Ray; returns (interrupted, stats). ``tally`` is the collection's ``_Tally``; a callable
    ``progress`` is called on the driver with the number of chunks done, after each chunk is written."""
    stats = RayStats(address=address)

    def on_result(chunk: list[int], result: dict[str, Any]) -> None:
        write_atomic(chunk_path(cfg.out, chunk), result["data"])
        for outcome in result["episodes"]:
            tally.book(*outcome)

    policy_files = None
    if cfg.policy:
        from heron.policies.checkpoint import resolve_policy_dir
        from heron.runtime.plugin import is_plugin

        if not is_plugin(cfg.policy):  # a plugin is imported by each actor; a folder travels once
            policy_files = pack_folder(resolve_policy_dir(cfg.policy))
    try:
        stats = run_on_ray(_setup, cfg, chunks_of(todo), on_result, address=address, workers=workers, blob=policy_files,
                           desc="collect (ray chunks)", progress=progress is True,
                           on_item_done=progress if callable(progress) else None)
    except KeyboardInterrupt:
        return True, stats
    return False, stats
