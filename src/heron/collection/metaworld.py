"""Meta-World demonstrations from metaworld's scripted experts: ``heron collect --env metaworld``.

The same shape as LeRobot's ``lerobot/metaworld_mt50``: N demonstrations per task, each stopped at its first
success. Optional DART noise (Laskey et al. 2017) perturbs the executed action while the label stays the
clean expert action. A failed attempt is retried with another seed. Worker w writes shard w; episode
indices are fixed by (task, demo), so a re-run resumes where an interrupted one stopped, and the episodes
already stored are never rewritten.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from heron.data import Episode, open_writer, read_meta, shard_path, write_meta
from heron.parallel import Shard, parse_shard, report_errors, run_workers, take_shard

TASK_STRIDE = 10_000  # episode index = task's MT50 position * TASK_STRIDE + demo number
SEED_STRIDE = 100_000  # attempt a of demo k uses reset seed seed + k + a * SEED_STRIDE (evaluation uses 1000+)


def _record(env, seed: int, noise: float, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], bool]:
    """One expert episode from ``reset(seed)`` to its first success (or the step cap)."""
    from heron.envs.metaworld.env import CAMERA

    obs, _ = env.reset(seed=seed)
    frames, states, actions = [], [], []
    while True:
        clean = env.expert_action()
        frames.append(obs[CAMERA])
        states.append(obs["proprio"])
        actions.append(clean)
        executed = np.clip(clean + rng.normal(0.0, noise, clean.shape), -1, 1) if noise > 0 else clean
        obs, _, terminated, truncated, info = env.step(executed)
        if terminated or truncated:
            break
    arrays = {CAMERA: np.stack(frames), "proprio": np.stack(states).astype(np.float32),
              "actions": np.stack(actions).astype(np.float32)}
    return arrays, bool(info["success"])


def record_demo(env, cfg: dict, task: str, k: int, index: int, writer) -> int | None:
    """Demonstration k of ``task`` (up to ``max_attempts`` seeds) into ``writer``; its frame count, or None if every
    attempt failed. It depends only on (settings, task, k), never on what the env ran before."""
    rng = np.random.default_rng([cfg["seed"], index])
    for attempt in range(cfg["max_attempts"]):
        seed = cfg["seed"] + k + attempt * SEED_STRIDE
        arrays, ok = _record(env, seed, cfg["noise"], rng)
        if ok:
            break
    if not ok:
        return None
    writer.write(Episode(images={k_: v for k_, v in arrays.items() if k_.startswith("rgb_")},
                         proprio=arrays["proprio"], actions=arrays["actions"], instruction=env.instruction,
                         task=task, index=index, seed=seed, dims={"proprio": 4, "actions": 4},
                         args={"attempts": attempt + 1}))
    return len(arrays["actions"])


class _Envs:
    """One Meta-World env at a time, rebuilt when the task changes."""

    def __init__(self, cfg: dict):
        self.cfg, self.env, self.task = cfg, None, None

    def get(self, task: str):
        from heron.envs.metaworld.env import MetaWorldEnv

        if task != self.task:
            self.close()
            self.env, self.task = MetaWorldEnv(task, image_size=self.cfg["image_size"], look=self.cfg["look"]), task
        return self.env

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
        self.env, self.task = None, None


def _worker(w: int, items: list[tuple[str, int, int]], cfg: dict, q) -> None:
    envs = _Envs(cfg)
    try:
        with open_writer(shard_path(cfg["out"], w), compression=cfg["compression"]) as writer:
            for task, k, index in items:  # the driver left out what is already stored
                frames = record_demo(envs.get(task), cfg, task, k, index, writer)
                q.put(("failed", w, (task, 0)) if frames is None else ("episode", w, (task, frames)))
        q.put(("done", w, None))
    except BaseException:  # noqa: BLE001 - reported to the driver, which stops the run
        report_errors(w, q)
    finally:
        envs.close()


def _ray_setup(cfg: dict, _blob):
    """In each Ray actor: record a chunk of (task, k, index) into a temporary file and return its bytes."""
    import shutil
    import tempfile

    envs = _Envs(cfg)

    def run(chunk: list[tuple[str, int, int]]) -> dict[str, Any]:
        folder = Path(tempfile.mkdtemp(prefix="heron-chunk-"))
        try:
            with open_writer(folder / "chunk.h5", compression=cfg["compression"]) as writer:
                out = [(task, record_demo(envs.get(task), cfg, task, k, index, writer)) for task, k, index in chunk]
            return {"data": (folder / "chunk.h5").read_bytes(), "episodes": out}
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return run


def collect_metaworld(tasks: str = "mt50", episodes_per_task: int = 50, out: str | Path = "data/metaworld", workers: int = 2,
                      seed: int = 0, noise: float = 0.0, image_size: int = 96, look: str = "cheap", max_attempts: int = 3,
                      compression: str = "gzip", progress: bool = True, shard: "str | Shard | None" = None,
                      ray: str | None = None) -> dict[str, Any]:
    """Collect ``episodes_per_task`` expert demonstrations of each task into ``out``; returns a summary.

    ``shard="i/N"``: every N-th demonstration of the run's (task, demo) list, from the i-th; ``ray``: on Ray actors
    (``workers`` of them; None: one per CPU of the cluster), chunks written by the driver (``ray_collect``)."""
    from heron.envs.metaworld import parse_tasks, task_names
    from heron.envs.metaworld.env import ACTION_NAMES, CAMERA, LOOKS, STATE_NAMES

    names = parse_tasks(tasks)
    for key, value, low in (("episodes_per_task", episodes_per_task, 1), ("workers", workers, 1), ("max_attempts", max_attempts, 1)):
        if int(value) < low:
            raise ValueError(f"{key}={value}: must be >= {low}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise={noise}: allowed 0..1 (std of the executed-action noise, actions in [-1, 1])")
    if look not in LOOKS:
        raise ValueError(f"look={look!r}: allowed {', '.join(LOOKS)}")
    out = Path(out)
    shard = parse_shard(shard)
    cfg = {"env": "metaworld", "seed": int(seed), "noise": float(noise), "image_size": int(image_size), "look": look,
           "max_attempts": int(max_attempts), "compression": compression}
    meta = read_meta(out)
    if meta is not None:
        old = {k: meta.get("config", {}).get(k) for k in ("env", "seed", "noise", "image_size", "look")}
        new = {k: cfg[k] for k in old}
        if old != new:
            raise ValueError(f"{out} holds demonstrations collected with {old}; this run asks for {new}. "
                             "Use another --out, or the same settings to resume.")
        if Shard.from_dict(meta.get("shard")) != shard:
            raise ValueError(f"{out} holds shard {Shard.from_dict(meta.get('shard')) or 'none (the whole run)'}; this run "
                             f"asks for {shard or 'the whole run'}. Give each shard its own --out, then `heron data merge` them")
    order = task_names()
    items = take_shard([(t, k, order.index(t) * TASK_STRIDE + k) for t in names for k in range(int(episodes_per_task))], shard)
    if not items:
        raise ValueError(f"shard {shard}: no demonstrations fall to it ({len(names)} task(s) x {episodes_per_task}); use fewer shards")
    features = {"cameras": {CAMERA: [image_size, image_size]}, "state": list(STATE_NAMES), "actions": list(ACTION_NAMES)}
    meta = {"config": cfg, "features": features, "tasks": names, "episodes_per_task": int(episodes_per_task),
            **({"shard": shard.to_dict()} if shard else {})}
    write_meta(out, meta)  # before any work: the settings a resume is checked against
    counts = {"episode": 0, "skip": 0, "failed": 0}
    frames, failed_tasks = 0, {}

    def on_message(kind: str, w: int, payload) -> None:
        nonlocal frames
        task, n = payload
        counts[kind] += 1
        frames += n
        if kind == "failed":
            failed_tasks[task] = failed_tasks.get(task, 0) + 1

    t0 = time.time()
    from heron.data import stored_episodes

    done = {e.index for e in stored_episodes(out)} if out.exists() else set()  # whichever shard file or chunk holds them
    counts["skip"] = sum(index in done for _, _, index in items)
    todo = [it for it in items if it[2] not in done]
    ray_stats = None
    if ray and todo:
        ray_stats = _collect_on_ray(todo, cfg, out, ray, workers, progress, counts, failed_tasks)
        frames = counts.pop("frames")
    elif todo:
        workers = min(int(workers or 1), len(todo))
        try:
            run_workers(_worker, [todo[w::workers] for w in range(workers)], cfg | {"out": str(out)}, on_message,
                        total=len(todo), desc="metaworld demos", progress=progress)
        except RuntimeError as exc:
            raise RuntimeError(f"metaworld collection stopped (what is stored is kept; re-run to resume): {exc}") from None
    wall = time.time() - t0
    summary = {"out": str(out), "tasks": len(names), "episodes_written": counts["episode"], "episodes_resumed": counts["skip"],
               "episodes_failed": counts["failed"], "failed_by_task": failed_tasks, "frames_written": frames,
               "mean_frames": round(frames / max(1, counts["episode"]), 1), "wall_s": round(wall, 1),
               "shard": shard.to_dict() if shard else None, **({"ray": ray_stats.to_dict()} if ray_stats else {})}
    write_meta(out, meta | {"summary": summary})
    return summary


def _collect_on_ray(todo: list, cfg: dict, out: Path, address: str, workers: int | None, progress: bool, counts: dict,
                    failed_tasks: dict):
    """``todo`` (the demonstrations not yet stored), in chunks of one task's demonstrations, on Ray actors; the driver writes
    each chunk as ``shard-ray-<first>-<last>.h5`` (``heron.collection.ray_collect``)."""
    from heron.collection.ray_collect import chunk_path
    from heron.parallel.ray_pool import run_on_ray, write_atomic

    size = max(1, min(10, len(todo) // 16))
    chunks, chunk = [], []
    for it in todo:  # chunks never span two tasks: an actor keeps one env per chunk
        if chunk and (len(chunk) == size or chunk[-1][0] != it[0]):
            chunks.append(chunk)
            chunk = []
        chunk.append(it)
    chunks += [chunk] if chunk else []
    counts["frames"] = 0

    def on_result(chunk: list, result: dict) -> None:
        write_atomic(chunk_path(out, [index for _, _, index in chunk]), result["data"])
        for task, frames in result["episodes"]:
            if frames is None:
                counts["failed"] += 1
                failed_tasks[task] = failed_tasks.get(task, 0) + 1
            else:
                counts["episode"] += 1
                counts["frames"] += frames

    return run_on_ray(_ray_setup, cfg, chunks, on_result, address=address, workers=workers, desc="metaworld demos (ray)",
                      progress=progress)
