"""Running evaluation episodes: in this process (workers=1) or in spawned worker processes.

Each worker builds its own simulator backends (one per template split) and its own policy, then
runs whole episodes handed to it one at a time. An episode depends only on its spec (seed, task,
args), never on which worker ran it, so results are the same for any number of workers.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from heron.evaluation.suites import EpisodeSpec
from heron.viz.video import DEFAULT_VIDEO_SIZE, VideoRecorder

SIMPLE_NAMES = ("oracle", "random")
DONE_THRESHOLD = 0.5  # the policy's done probability above which a robot would move on
DONOR_SEED_OFFSET = 1_000_003  # donor scenes for shuffled instructions: far from the suite's seeds


@dataclass
class WorkerConfig:
    """What every worker needs to build its policy and backends (picklable)."""

    policy: Any  # "oracle", "random", a policy folder/name for load_policy, or a Policy object (in-process only)
    runtime: str = "torch"
    image_size: int | None = None  # None: the backend's default
    control_hz: float | None = None
    video_dir: str | None = None
    video_fps: int = 10
    video_size: tuple[int, int] = DEFAULT_VIDEO_SIZE  # the presentation camera's (width, height)
    loop: dict | None = None  # LoopConfig fields
    threads: int | None = None  # torch / onnxruntime intra-op threads per worker
    policy_kwargs: dict = field(default_factory=dict)


class EpisodeRunner:
    """Owns one process's backends and policy; ``run(spec) -> record``.

    Keep one across ``evaluate(..., runner=r)`` calls (a training callback) to reuse its simulator
    connections: ``configure`` (re)loads the policy, since a checkpoint folder's weights change
    between calls, and keeps the backends.
    """

    def __init__(self, cfg: WorkerConfig | None = None):
        self._backends: dict[tuple, Any] = {}
        self._policy = None
        self.video_indices: frozenset[int] = frozenset()  # episodes to record as mp4
        self.configure(cfg or WorkerConfig(policy="oracle"))

    def configure(self, cfg: WorkerConfig) -> None:
        self.cfg = cfg
        if not isinstance(cfg.policy, str):
            self._policy = cfg.policy
        elif cfg.policy in SIMPLE_NAMES:
            self._policy = None
        else:
            self._policy = load_named_policy(cfg.policy, cfg.runtime, threads=cfg.threads, **cfg.policy_kwargs)

    # -- building ---------------------------------------------------------------------------
    def backend(self, split: str, randomize: dict | None = None):
        size = self.cfg.image_size or policy_image_size(self._policy)
        key = (split, size, self.cfg.control_hz, json.dumps(randomize, sort_keys=True) if randomize else None)
        if key not in self._backends:
            self._backends[key] = make_backend(split, size, self.cfg.control_hz, randomize)
        return self._backends[key]

    def policy_for(self, spec: EpisodeSpec, backend):
        if self.cfg.policy == "oracle":
            from heron.runtime.simple import ExpertPolicy

            return ExpertPolicy(backend)
        if self.cfg.policy == "random":
            from heron.runtime.simple import RandomPolicy

            return RandomPolicy(seed=spec.seed)
        return self._policy

    def close(self) -> None:
        for b in self._backends.values():
            b.close()
        self._backends.clear()

    # -- running ----------------------------------------------------------------------------
    def run(self, spec: EpisodeSpec) -> dict[str, Any]:
        from heron.runtime.loop import ControlLoop, LoopConfig, run_episode

        backend = self.backend(spec.split, spec.randomize)
        policy = self.policy_for(spec, backend)
        _seed_everything(spec.seed)
        record: dict[str, Any] = {
            "index": spec.index, "family": spec.family, "seed": spec.seed, "split": spec.split, "line": spec.line,
        }
        if spec.axis:
            record["axis"] = spec.axis
        task = self._task_for(spec, backend, record)
        loop = ControlLoop(policy, LoopConfig.from_dict(self.cfg.loop) if self.cfg.loop else None)
        # Wrapped after _task_for: donor and chain sampling resets are not part of the video.
        recorder = VideoRecorder(backend, self.cfg.video_size) if spec.index in self.video_indices else None
        backend = recorder or backend
        if spec.chain_length and spec.advance == "done":
            from heron.evaluation.done_chains import run_done_chain

            record.update(run_done_chain(loop, backend, task))
            record.pop("frames", None)
            if recorder is not None:
                record["video"] = self._write_video(spec, recorder)
            return record
        subtask = {"index": 0, "instructions": [], "early": [False] * max(spec.chain_length, 1)}

        def on_step(i, obs, step, info):
            # Chains: a finished subtask moves the env to the next instruction; tell the policy.
            k = int(info.get("subtask_index", 0) or 0)
            if k != subtask["index"] and info.get("instruction") and not info.get("success"):
                subtask["index"] = k
                subtask["instructions"].append(info["instruction"])
                loop.set_instruction(info["instruction"])
            elif step.done > DONE_THRESHOLD and not info.get("subtask_success") and k < len(subtask["early"]):
                subtask["early"][k] = True  # done fired before this subtask's success
            return None

        res = run_episode(policy, backend, task, loop=loop,
                          on_step=on_step if spec.chain_length else None)
        info = dict(getattr(backend, "info", {}) or {})
        record.update({
            "task": info.get("task", spec.task),
            "args": info.get("args", spec.args),
            "instruction": res.instruction,  # what the policy was given first
            "success": bool(res.success),
            "steps": int(res.steps),
            "max_steps": info.get("max_steps"),
            "wall_s": round(res.wall_s, 4),
            "policy_done": float(res.done),
            "safety_events": res.safety_events,
            "latency_ms": _latency(res.timing),
        })
        if spec.chain_length:
            record["instructions"] = [res.instruction] + subtask["instructions"]
            record["num_subtasks"] = int(info.get("num_subtasks", len(record["subtasks"])))
            record["completed"] = int(info.get("completed", record["num_subtasks"] if res.success else 0))
            # done fired before success, for the subtasks the chain reached (success mode: the
            # simulator moves on at success, so only early firing is measurable here)
            record["done_early"] = subtask["early"][: min(record["completed"] + 1, record["num_subtasks"])]
        if recorder is not None:
            recorder.record_now()  # the state after the last action
            record["video"] = self._write_video(spec, recorder)
        return record

    def _task_for(self, spec: EpisodeSpec, backend, record: dict[str, Any]):
        """The TaskSpec to reset to; chains go to the backend, shuffles pick a donor instruction."""
        from heron.runtime.interfaces import TaskSpec

        if spec.chain_length:
            chain = sample_chain(backend, spec)
            record.update(chain=True, subtasks=chain)
            return TaskSpec(task=chain[0]["task"], args=chain[0]["args"], seed=spec.seed, chain=chain)
        if spec.shuffle_instruction:
            donor = self._donor(backend, spec)
            record.update(shuffled=True, donor=donor)
            return TaskSpec(task=spec.task, args=donor["for_args"], instruction=donor["instruction"], seed=spec.seed)
        return TaskSpec(task=spec.task, args=spec.args, instruction=spec.instruction, seed=spec.seed)

    def _donor(self, backend, spec: EpisodeSpec) -> dict[str, Any]:
        """An instruction from another scene that names another block than this episode's task.

        Another block, not just another task: "place the red block" on a "pick red" episode would
        still lift red, and a grounded policy would pass by accident. Families take turns.
        """
        from heron.runtime.interfaces import TaskSpec

        backend.reset(seed=spec.seed, task=TaskSpec(task=spec.task, args=spec.args, seed=spec.seed))
        own = dict(backend.info)
        own_args = own.get("args") or spec.args or {}
        families = list(spec.families or [spec.task])
        others = [f for f in families if f != spec.task]
        for attempt in range(64):
            fam = others[(spec.index + attempt) % len(others)] if others else spec.task
            seed = DONOR_SEED_OFFSET + spec.seed * 64 + attempt
            backend.reset(seed=seed, task=TaskSpec(task=fam, seed=seed))
            info = dict(backend.info)
            donor_args = info.get("args") or {}
            own_blocks = {own_args.get("object"), own_args.get("base")} - {None}
            if donor_args.get("object") not in own_blocks and (info["task"], donor_args) != (spec.task, own_args):
                return {"task": info["task"], "args": info.get("args"), "instruction": info["instruction"],
                        "seed": seed, "own_instruction": own.get("instruction"), "for_args": own_args}
        raise RuntimeError(f"no instruction naming another block found for episode {spec.index} ({spec.task})")

    def _write_video(self, spec: EpisodeSpec, recorder: VideoRecorder) -> str | None:
        if not self.cfg.video_dir or not recorder.parts:
            return None
        path = Path(self.cfg.video_dir) / f"{spec.index:04d}_{spec.family}_seed{spec.seed}.mp4"
        return str(recorder.write(path, self.cfg.video_fps))


def policy_image_size(policy) -> int | None:
    """The camera size a loaded policy was trained on (its runtime checks it), if it says."""
    if policy is None:
        return None
    size = getattr(policy, "image_size", None) or getattr(getattr(policy, "cfg", None), "image_size", None)
    return int(size) if size else None


def _latency(timing: dict) -> dict[str, float]:
    """The inference latency percentiles of an episode, if the loop measured them."""
    out = {}
    stage = (timing or {}).get("inference") or (timing or {}).get("stages", {}).get("inference") or {}
    for key in ("p50_ms", "p95_ms", "p99_ms", "mean_ms"):
        if key in stage:
            out[key] = stage[key]
    return out


def _seed_everything(seed: int) -> None:
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")  # only if a policy already loaded it: never import it here
    if torch is not None:
        torch.manual_seed(seed)


# -- building blocks the sim / runtime engineers own ------------------------------------------
def make_backend(split: str, image_size: int | None, control_hz: float | None, randomize: dict | None = None):
    """A fresh simulator (its own PyBullet connection) whose instructions come from ``split``."""
    from heron.envs import tabletop as sim  # PyBullet: only when a backend is built
    from heron.runtime.backends.sim_backend import SimBackend

    kwargs: dict[str, Any] = {"split": split}
    if randomize:
        kwargs["randomize"] = dict(randomize)
    if image_size:
        kwargs["image_size"] = int(image_size)
    if control_hz:
        kwargs["control_hz"] = int(control_hz)
    return SimBackend(sim.make_env(**kwargs))


def load_named_policy(name: str, runtime: str, **kwargs):
    from heron.runtime import load_policy

    return load_policy(name, runtime=runtime, **kwargs)


def sample_chain(backend, spec: EpisodeSpec) -> list[dict[str, Any]]:
    from heron.evaluation.chains import sample_chain as _sample

    return _sample(backend, spec)


# -- process pool ---------------------------------------------------------------------------
_RUNNER: EpisodeRunner | None = None


def _init_worker(cfg: WorkerConfig, video_indices: frozenset[int]) -> None:
    global _RUNNER
    if cfg.threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(cfg.threads))
        try:
            import torch

            torch.set_num_threads(cfg.threads)
        except ImportError:
            pass
    _RUNNER = EpisodeRunner(cfg)
    _RUNNER.video_indices = video_indices


def _run_in_worker(spec: EpisodeSpec) -> dict[str, Any]:
    assert _RUNNER is not None, "worker not initialised"
    return _RUNNER.run(spec)


def run_specs(
    cfg: WorkerConfig,
    specs: list[EpisodeSpec],
    workers: int = 1,
    video_indices: Iterable[int] = (),
    progress: Callable[[dict[str, Any]], None] | None = None,
    runner: EpisodeRunner | None = None,
) -> list[dict[str, Any]]:
    """Run every spec; records come back ordered by episode index. ``progress(record)`` per episode."""
    videos = frozenset(video_indices)
    records: list[dict[str, Any]] = []
    if workers <= 1:
        own = runner is None
        if runner is None:
            runner = EpisodeRunner(cfg)
        else:
            runner.configure(cfg)
        runner.video_indices = videos
        try:
            for spec in specs:
                records.append(runner.run(spec))
                if progress:
                    progress(records[-1])
        finally:
            if own:
                runner.close()
        return records
    if not isinstance(cfg.policy, str):
        raise ValueError("workers > 1 needs a policy name or folder (each worker loads its own); "
                         "pass workers=1 to evaluate a Policy object in this process")
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(specs)), mp_context=ctx,
                             initializer=_init_worker, initargs=(cfg, videos)) as pool:
        for rec in pool.map(_run_in_worker, specs, chunksize=1):
            records.append(rec)
            if progress:
                progress(rec)
    return sorted(records, key=lambda r: r["index"])
