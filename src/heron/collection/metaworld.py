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
from heron.parallel import report_errors, run_workers

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


def _worker(w: int, items: list[tuple[str, int, int]], cfg: dict, q) -> None:
    out = cfg["out"]
    from heron.envs.metaworld.env import MetaWorldEnv

    env, current = None, None
    try:
        with open_writer(shard_path(out, w), compression=cfg["compression"]) as writer:
            done = writer.completed()
            for task, k, index in items:
                if index in done:
                    q.put(("skip", w, (task, 0)))
                    continue
                if task != current:
                    if env is not None:
                        env.close()
                    env, current = MetaWorldEnv(task, image_size=cfg["image_size"], look=cfg["look"]), task
                rng = np.random.default_rng([cfg["seed"], index])
                for attempt in range(cfg["max_attempts"]):
                    seed = cfg["seed"] + k + attempt * SEED_STRIDE
                    arrays, ok = _record(env, seed, cfg["noise"], rng)
                    if ok:
                        break
                if not ok:
                    q.put(("failed", w, (task, 0)))
                    continue
                writer.write(Episode(images={k_: v for k_, v in arrays.items() if k_.startswith("rgb_")},
                                     proprio=arrays["proprio"], actions=arrays["actions"], instruction=env.instruction,
                                     task=task, index=index, seed=seed, dims={"proprio": 4, "actions": 4},
                                     args={"attempts": attempt + 1}))
                q.put(("episode", w, (task, len(arrays["actions"]))))
        q.put(("done", w, None))
    except BaseException:  # noqa: BLE001 - reported to the driver, which stops the run
        report_errors(w, q)
    finally:
        if env is not None:
            env.close()


def collect_metaworld(tasks: str = "mt50", episodes_per_task: int = 50, out: str | Path = "data/metaworld", workers: int = 2,
                      seed: int = 0, noise: float = 0.0, image_size: int = 96, look: str = "cheap", max_attempts: int = 3,
                      compression: str = "gzip", progress: bool = True) -> dict[str, Any]:
    """Collect ``episodes_per_task`` expert demonstrations of each task into ``out``; returns a summary."""
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
    cfg = {"env": "metaworld", "seed": int(seed), "noise": float(noise), "image_size": int(image_size), "look": look,
           "max_attempts": int(max_attempts), "compression": compression}
    meta = read_meta(out)
    if meta is not None:
        old = {k: meta.get("config", {}).get(k) for k in ("env", "seed", "noise", "image_size", "look")}
        new = {k: cfg[k] for k in old}
        if old != new:
            raise ValueError(f"{out} holds demonstrations collected with {old}; this run asks for {new}. "
                             "Use another --out, or the same settings to resume.")
    order = task_names()
    items = [(t, k, order.index(t) * TASK_STRIDE + k) for t in names for k in range(int(episodes_per_task))]
    workers = min(int(workers), len(items))
    shares = [items[w::workers] for w in range(workers)]
    features = {"cameras": {CAMERA: [image_size, image_size]}, "state": list(STATE_NAMES), "actions": list(ACTION_NAMES)}
    meta = {"config": cfg, "features": features, "tasks": names, "episodes_per_task": int(episodes_per_task)}
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
    try:
        run_workers(_worker, shares, cfg | {"out": str(out)}, on_message, total=len(items), desc="metaworld demos",
                    progress=progress)
    except RuntimeError as exc:
        raise RuntimeError(f"metaworld collection stopped (what is stored is kept; re-run to resume): {exc}") from None
    wall = time.time() - t0
    summary = {"out": str(out), "tasks": len(names), "episodes_written": counts["episode"], "episodes_resumed": counts["skip"],
               "episodes_failed": counts["failed"], "failed_by_task": failed_tasks, "frames_written": frames,
               "mean_frames": round(frames / max(1, counts["episode"]), 1), "wall_s": round(wall, 1)}
    write_meta(out, meta | {"summary": summary})
    return summary
