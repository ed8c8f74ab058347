"""The control loop: observation -> policy -> action chunks -> safety -> backend, timed per stage.

``ControlLoop`` is one step of it, driven by ``run_episode`` here (simulator) or by a ROS timer
(``heron/ros/policy_node.py``); both share the chunking, the safety layer and the latency bookkeeping.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from heron.policies.schema import ACTION_DIM, CAMERAS, INSTRUCTION, PROPRIO, PROPRIO_DIM, TIMESTAMP
from heron.runtime.chunking import ActionChunker, ChunkingConfig
from heron.runtime.interfaces import Backend, Observation, Policy, TaskSpec
from heron.runtime.safety import POLICY_ERROR, STALE_OBSERVATION, SafetyConfig, SafetyFilter
from heron.runtime.timing import LatencyStats, RateKeeper


@dataclass
class LoopConfig:
    rate_hz: float = 10.0  # control rate: the deadline of each step is 1 / rate_hz
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    pace: bool = False  # sleep to the rate in wall-clock time (watching a GUI); off: as fast as possible
    done_threshold: float | None = None  # stop when the policy's done probability exceeds this
    latency_window: int | None = 10_000  # steps kept for percentiles

    def __post_init__(self):
        if isinstance(self.chunking, dict):
            self.chunking = ChunkingConfig.from_dict(self.chunking)
        if isinstance(self.safety, dict):
            self.safety = SafetyConfig.from_dict(self.safety)
        if not (0 < self.rate_hz <= 1000):
            raise ValueError(f"loop.rate_hz={self.rate_hz!r}: allowed (0, 1000]")
        if self.done_threshold is not None and not (0 < self.done_threshold <= 1):
            raise ValueError(f"loop.done_threshold={self.done_threshold!r}: allowed (0, 1] or null")

    @classmethod
    def from_dict(cls, d: dict | None) -> "LoopConfig":
        d = dict(d or {})
        unknown = sorted(set(d) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"loop: unknown keys {unknown}; allowed: {sorted(cls.__dataclass_fields__)}")
        return cls(**d)


@dataclass
class LoopStep:
    action: np.ndarray  # float32 (5,) after safety: what goes to the robot
    raw_action: np.ndarray | None  # float32 (5,) before safety (None when the step held without inference)
    done: float  # policy's done probability from its latest inference
    events: list[str]  # safety events
    inferred: bool  # whether the policy ran this step
    compute_s: float  # preprocess + inference + postprocess


def check_policy_fits(policy: Policy) -> None:
    """The loop, safety layer, simulator and ROS node speak proprio (22,) / actions (5,); a policy trained on
    another robot's data (``heron data import``) has other widths and can only run where those fit."""
    dims = (getattr(policy, "proprio_dim", PROPRIO_DIM), getattr(policy, "action_dim", ACTION_DIM))
    if dims != (PROPRIO_DIM, ACTION_DIM):
        raise ValueError(
            f"this policy takes proprio ({dims[0]},) and gives actions ({dims[1]},), but heron's control loop, simulator "
            f"and ROS node take proprio ({PROPRIO_DIM},) and actions ({ACTION_DIM},) (dx, dy, dz, dyaw, gripper): it was "
            "trained on another robot's data; call its act() from your own robot code, or import data mapped to 22 / 5")


class ControlLoop:
    """One control step at a time; owns the policy's episode state (instruction, chunk queue)."""

    def __init__(self, policy: Policy, config: LoopConfig | None = None):
        check_policy_fits(policy)
        self.policy = policy
        self.config = config or LoopConfig()
        self.chunker = ActionChunker(self.config.chunking)
        self.safety = SafetyFilter(self.config.safety)
        self.stats = LatencyStats(1.0 / self.config.rate_hz, window=self.config.latency_window)
        self.instruction: str | None = None
        self.event_counts: Counter = Counter()

    def reset(self) -> None:
        """A new episode: policy state, queue, safety memory and statistics all cleared."""
        self.policy.reset()
        self.chunker.clear()
        self.safety.reset()
        self.stats.reset()
        self.event_counts.clear()
        self.instruction = None

    def set_instruction(self, text: str) -> None:
        """A new instruction clears the policy's history and the queued actions."""
        self.policy.set_instruction(text)
        self.chunker.clear()
        self.instruction = text

    def hold(self, reason: str) -> LoopStep:
        """A step that commands no motion without running the policy (bad or missing input)."""
        self.chunker.clear()
        res = self.safety.hold([reason])
        self.event_counts.update(res.codes)
        return LoopStep(res.action, None, self.chunker.done, res.events, False, 0.0)

    def step(self, obs: Observation, now: float | None = None) -> LoopStep:
        """Act on ``obs``. ``now`` is the current time on the clock of ``obs["timestamp"]``; with both
        given, an observation older than the stale timeout holds without running the policy.
        Time spent building ``obs`` can be recorded beforehand with ``stats.stage("preprocess")``."""
        age = None
        if now is not None and obs.get(TIMESTAMP) is not None:
            age = float(now) - float(obs[TIMESTAMP])
        if age is not None and age > self.config.safety.stale_timeout_s:
            self.stats.end_step()
            return self.hold(f"{STALE_OBSERVATION}: age {age:.3f} s > {self.config.safety.stale_timeout_s:.3f} s")
        inferred = False
        try:
            with self.stats.stage("inference"):
                if self.chunker.needs_inference():
                    self.chunker.add(self.policy.act(obs))
                    inferred = True
        except Exception as exc:  # noqa: BLE001 - a robot holds on a bad input or a failing policy, never crashes
            self.stats.end_step()
            return self.hold(f"{POLICY_ERROR}: {type(exc).__name__}: {exc}")
        with self.stats.stage("postprocess"):
            raw = self.chunker.next()
            res = self.safety(raw, obs.get(PROPRIO), age)
            if res.held:
                self.chunker.clear()
        compute = self.stats.end_step()
        self.event_counts.update(res.codes)
        return LoopStep(res.action, raw, self.chunker.done, res.events, inferred, compute)


@dataclass
class EpisodeResult:
    success: bool
    steps: int
    instruction: str | None
    backend_steps: int  # env steps, including held ones in realtime mode
    timing: dict  # LatencyStats.summary()
    safety_events: dict[str, int]
    done: float  # the policy's last done probability
    wall_s: float
    frames: list[np.ndarray] | None = None  # uint8 (H, W', 3): the cameras side by side, one per step


def _frame(obs: Observation) -> np.ndarray:
    imgs = [np.asarray(obs[k]) for k in CAMERAS if k in obs]
    h = max(i.shape[0] for i in imgs)
    # Nearest-neighbour upscale of smaller cameras (the wrist camera may be lower resolution).
    imgs = [i if i.shape[0] == h else i.repeat(-(-h // i.shape[0]), 0).repeat(-(-h // i.shape[0]), 1)[:h] for i in imgs]
    return np.concatenate(imgs, axis=1)


def run_episode(
    policy: Policy,
    backend: Backend,
    task_spec: TaskSpec | None,
    max_steps: int | None = None,
    on_step: Callable[[int, Observation, LoopStep, dict], bool | None] | None = None,
    video: bool = False,
    config: LoopConfig | None = None,
    loop: ControlLoop | None = None,
) -> EpisodeResult:
    """Reset ``backend`` to ``task_spec`` and run ``policy`` until the backend reports success, the
    policy's done probability passes ``config.done_threshold``, or ``max_steps`` (default: the
    task's own budget from the backend's ``info["max_steps"]``, else 100).

    ``on_step(i, obs, step, info)`` is called after each applied action; returning True stops.
    Whether the simulator waits for the policy (lock-step) or not (realtime) is the backend's mode.
    """
    loop = loop or ControlLoop(policy, config)
    cfg = loop.config
    t0 = time.perf_counter()
    obs = backend.reset(seed=task_spec.seed if task_spec else None, task=task_spec)
    info = dict(getattr(backend, "info", {}) or {})
    if max_steps is None:
        max_steps = int(info.get("max_steps") or 100)
    loop.reset()
    instruction = obs.get(INSTRUCTION) or (task_spec.instruction if task_spec else None)
    if not instruction:
        raise ValueError("the backend's observation has no instruction and the task spec names none")
    loop.set_instruction(instruction)
    rate = RateKeeper(cfg.rate_hz) if cfg.pace else None
    now_fn = getattr(backend, "now", None)
    frames: list[np.ndarray] | None = [] if video else None
    success, steps, last = bool(info.get("success", False)), 0, None
    # The budget is in backend steps: in realtime mode, time the robot spent waiting counts too.
    while not success and int(info.get("backend_steps", steps)) < max_steps:
        with loop.stats.stage("preprocess"):
            obs = backend.observe() if steps else obs
        if frames is not None:
            frames.append(_frame(obs))
        last = loop.step(obs, now=now_fn() if now_fn else None)
        backend.apply(last.action)
        steps += 1
        info = dict(getattr(backend, "info", {}) or {})
        success = bool(info.get("success", False))
        if on_step is not None and on_step(steps - 1, obs, last, info):
            break
        if cfg.done_threshold is not None and last.done > cfg.done_threshold:
            break
        if rate is not None:
            rate.sleep()
    if frames is not None:
        frames.append(_frame(backend.observe()))
    return EpisodeResult(
        success=success,
        steps=steps,
        backend_steps=int(info.get("backend_steps", steps)),
        instruction=instruction,
        timing=loop.stats.summary(),
        safety_events=dict(loop.event_counts),
        done=last.done if last else 0.0,
        wall_s=time.perf_counter() - t0,
        frames=frames,
    )
