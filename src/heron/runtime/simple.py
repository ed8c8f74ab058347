"""Policies without a model, for tests, smoke runs and baselines: random, hold, the sim's expert.

``make_simple_policy("random", seed=0)``; unknown names fail with a "did you mean".
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from heron.policies.schema import ACTION_DIM
from heron.registry import Registry
from heron.runtime.interfaces import Observation, StepOutput

SIMPLE_POLICIES: Registry = Registry("simple policy")


@SIMPLE_POLICIES.register("random")
class RandomPolicy:
    """Uniform actions in [-scale, scale]; with ``chunk_size`` also returns a chunk (H, 5)."""

    def __init__(self, seed: int | None = 0, scale: float = 1.0, chunk_size: int | None = None):
        if not 0 < scale <= 1:
            raise ValueError(f"random policy: scale={scale!r}: allowed (0, 1]")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"random policy: chunk_size={chunk_size!r}: must be >= 1")
        self.seed, self.scale, self.chunk_size = seed, scale, chunk_size
        self.reset()

    def reset(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def set_instruction(self, text: str) -> None:
        self.instruction = text

    def act(self, obs: Observation) -> StepOutput:
        h = self.chunk_size or 1
        chunk = self._rng.uniform(-self.scale, self.scale, size=(h, ACTION_DIM)).astype(np.float32)
        return StepOutput(action=chunk[0].copy(), done=0.0, chunk=chunk if self.chunk_size else None)


@SIMPLE_POLICIES.register("hold")
class HoldPolicy:
    """No motion, gripper open: a robot that stands still."""

    def __init__(self, gripper: float = -1.0):
        self.gripper = float(gripper)

    def reset(self) -> None:
        pass

    def set_instruction(self, text: str) -> None:
        self.instruction = text

    def act(self, obs: Observation) -> StepOutput:
        a = np.zeros(ACTION_DIM, np.float32)
        a[4] = self.gripper
        return StepOutput(action=a)


@SIMPLE_POLICIES.register("expert")
class ExpertPolicy:
    """The simulator's scripted expert as a Policy: ``ExpertPolicy(env.expert_action)`` or
    ``ExpertPolicy(backend)`` for a backend with ``expert_action()``. It reads the simulator's state,
    not the observation: an upper bound for learned policies, never a deployable one."""

    def __init__(self, source: Any):
        fn: Callable[[], np.ndarray] | None = source if callable(source) else getattr(source, "expert_action", None)
        if fn is None:
            raise ValueError(f"expert policy needs a callable or an object with expert_action(); got {type(source).__name__}")
        self._expert = fn
        # done: the simulator's own success signal, when the source is a backend that reports one
        self._info = None if callable(source) else source

    def reset(self) -> None:
        pass

    def set_instruction(self, text: str) -> None:
        self.instruction = text

    def act(self, obs: Observation) -> StepOutput:
        a = np.asarray(self._expert(), dtype=np.float32).reshape(ACTION_DIM)
        info = getattr(self._info, "info", None) or {}
        return StepOutput(action=a, done=1.0 if info.get("subtask_success") else 0.0)


def make_simple_policy(name: str, **kwargs) -> Any:
    """Build a registered simple policy by name ("random", "hold", "expert")."""
    return SIMPLE_POLICIES.get(name)(**kwargs)
