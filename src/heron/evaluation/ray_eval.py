"""``heron eval --ray``: evaluation episodes on Ray actors (``heron.parallel.ray_pool``).

Each actor holds one simulator and one policy session for the whole run. The policy travels once through Ray's
object store: for ONNX, the export folder (made once on the driver); for torch, the checkpoint folder. Records are
keyed by episode (index, or task and seed): an episode run again after its actor died replaces its record and
gives the same numbers, since an episode depends only on its spec.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from heron.parallel.ray_pool import RayStats, pack_folder, run_on_ray, unpack_folder


def policy_files(policy: Any, runtime: str) -> dict[str, bytes] | None:
    """The files the actors load ``policy`` from, or None when each actor can build it itself (oracle, random, a
    py: plugin, a lerobot: folder the workers reach)."""
    from heron.evaluation.runner import SIMPLE_NAMES

    if not isinstance(policy, str) or policy in SIMPLE_NAMES:
        return None
    from heron.runtime.lerobot_policy import is_lerobot
    from heron.runtime.plugin import is_plugin

    if is_plugin(policy) or is_lerobot(policy):
        return None
    from heron.runtime.factory import onnx_dir_for, resolve_policy_dir

    folder = resolve_policy_dir(policy)
    return pack_folder(onnx_dir_for(folder) if runtime == "onnx" else folder)


def _local_policy(policy: str, files: dict[str, bytes] | None) -> str:
    return str(unpack_folder(files, "heron-policy-")) if files is not None else policy


def _setup_tabletop(payload: tuple, files: dict[str, bytes] | None):
    from heron.evaluation.runner import EpisodeRunner

    cfg, videos = payload
    cfg = dataclasses.replace(cfg, policy=_local_policy(cfg.policy, files))
    runner = EpisodeRunner(cfg)
    runner.video_indices = videos
    return runner.run


def run_specs_on_ray(cfg, specs: list, address: str, workers: int | None, video_indices: frozenset[int],
                     progress) -> tuple[list[dict[str, Any]], RayStats]:
    """The tabletop suites' episodes (``EpisodeSpec``) on Ray; records ordered by episode index."""
    by_index: dict[int, dict[str, Any]] = {}

    def on_result(spec, record: dict[str, Any]) -> None:
        by_index[spec.index] = record
        if progress:
            progress(record)

    stats = run_on_ray(_setup_tabletop, (cfg, frozenset(video_indices)), specs, on_result, address=address,
                       workers=workers, blob=policy_files(cfg.policy, cfg.runtime), desc="eval (ray)", progress=False)
    return [by_index[i] for i in sorted(by_index)], stats


def _setup_metaworld(cfg: dict, files: dict[str, bytes] | None):
    from heron import load_policy
    from heron.evaluation.metaworld import TaskRunner

    return TaskRunner(load_policy(_local_policy(cfg["policy"], files), cfg["runtime"], threads=cfg["threads"]), cfg)


def run_metaworld_on_ray(cfg: dict, items: list[tuple[str, int]], address: str, workers: int | None,
                         progress: bool) -> tuple[list[dict[str, Any]], RayStats]:
    """Meta-World (task, seed) episodes on Ray; one record per (task, seed)."""
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    stats = run_on_ray(_setup_metaworld, cfg, items, lambda item, rec: by_key.__setitem__(tuple(item), rec),
                       address=address, workers=workers, blob=policy_files(cfg["policy"], cfg["runtime"]),
                       desc="metaworld-mt50 (ray)", progress=progress)
    return list(by_key.values()), stats
