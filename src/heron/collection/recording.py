"""One expert episode in the simulator -> an ``Episode`` (DART noise on executed actions, clean labels; chains)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from heron.collection.config import (
    CHAIN_STREAM,
    NOISE_STREAM,
    CollectConfig,
)
from heron.data import (
    Episode,
)


def draw_collect_chain(env, cfg: "CollectConfig", index: int, seed: int) -> list[dict[str, Any]]:
    """A conflict-free chain for episode ``index`` (the eval suite's chain rules), fixed against ``seed``'s layout."""
    from types import SimpleNamespace

    from heron.evaluation.chains import sample_chain

    rng = np.random.default_rng([cfg.seed + index, CHAIN_STREAM])
    rng.uniform()  # the is_chain draw
    lo, hi = cfg.chain_length
    length = int(rng.integers(lo, hi + 1))
    spec = SimpleNamespace(seed=seed, families=list(cfg.tasks), chain_length=length, split=cfg.split)
    return sample_chain(SimpleNamespace(env=env), spec)


def record_episode(env, task: str, index: int, seed: int, noise: float, split: str, stop=None,
                   chain: list[dict] | None = None, post_steps: int = 0, driver=None) -> tuple[Episode | None, bool]:
    """Run the expert once; return (episode, success), or (None, False) when ``stop`` was set.

    ``chain``: the sub-instructions carried out in turn without a reset (each starts where the last
    ended); ``post_steps``: after each success, that many steps with a hold action labelled done;
    ``driver``: an ``heron.collection.dagger.PolicyDriver`` that picks the executed actions (the labels stay the expert's).
    """
    from heron.envs.tabletop.experts import perturb

    options = {"chain": chain, "advance": "manual"} if chain else {"task": task}
    obs, info = env.reset(seed=seed, options=options)
    start = info
    rng = np.random.default_rng([seed, NOISE_STREAM])
    front, wrist, proprio, actions, segments = [], [], [], [], []
    seg = {"start": 0, "task": info["task"], "args": dict(info["args"]), "instruction": info["instruction"]}
    if driver is not None:
        driver.begin(seed, info["instruction"])

    def record(o, action):
        front.append(np.array(o["rgb_front"]))  # copies: never alias a buffer the env may reuse
        wrist.append(np.array(o["rgb_wrist"]))
        proprio.append(np.array(o["proprio"], np.float32))
        actions.append(np.asarray(action, np.float32))

    truncated = False
    while not truncated:
        if stop is not None and stop.is_set():
            return None, False
        clean = np.asarray(env.expert_action(), np.float32)
        record(obs, clean)
        executed = perturb(clean, rng, noise) if noise > 0 else clean
        if driver is not None:
            executed = driver(obs, executed)
        obs, _, terminated, truncated, info = env.step(executed)
        if not info["subtask_success"]:
            continue
        if post_steps:
            seg["done_from"] = len(actions)
        hold = np.zeros_like(clean)
        hold[-1] = 1.0 if clean[-1] > 0 else -1.0
        for _ in range(post_steps):
            record(obs, hold)
            obs, _, _, _, info = env.step(hold)
        segments.append({**seg, "stop": len(actions), "success": True})
        if terminated or info["success"]:
            break
        info = env.advance()
        obs = {**obs, "instruction": info["instruction"]}
        if driver is not None:
            driver.instruct(info["instruction"])
        seg = {"start": len(actions), "task": info["task"], "args": dict(info["args"]), "instruction": info["instruction"]}
    success = bool(info["success"])
    if not success and len(actions) > (segments[-1]["stop"] if segments else 0):
        segments.append({**seg, "stop": len(actions), "success": False})
    keep_segments = bool(chain) or post_steps > 0
    episode = Episode(
        rgb_front=np.stack(front),
        rgb_wrist=np.stack(wrist),
        proprio=np.stack(proprio),
        actions=np.stack(actions),
        instruction=str(start["instruction"]),
        task=str(start["task"]),
        index=index,
        seed=seed,
        success=success,
        split=split,
        args=dict(start["args"]),
        segments=segments if keep_segments else None,
        scene={**({"randomization": start["randomization"]} if start.get("randomization") else {}),
               **({"chain": chain} if chain else {}),
               **({"policy_steps": driver.driven} if driver is not None else {})} or None,
    )
    return episode, success


def _write_video(cfg: CollectConfig, episode: Episode) -> None:
    from heron.viz.video import tile, write_video

    frames = [tile(f, w) for f, w in zip(episode.rgb_front, episode.rgb_wrist)]
    write_video(Path(cfg.video_dir) / f"episode-{episode.index:06d}-{episode.task}.mp4", frames, fps=cfg.control_hz)
