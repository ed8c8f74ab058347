"""The Task base class: templates, arguments, success predicate, step budget, scripted expert.

A Task instance is one subtask with fixed arguments. It reads the simulator only through the env's
``scene`` (poses, contacts) and never imports PyBullet. Subclasses set the class attributes and
implement ``success`` and ``expert``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from heron.envs.tabletop import objects as O

if TYPE_CHECKING:
    from heron.envs.tabletop.env import TabletopEnv
    from heron.envs.tabletop.scene import Scene

# What each argument key may hold.
ARG_VALUES: dict[str, tuple[str, ...]] = {
    "object": O.BLOCK_COLORS,
    "base": O.BLOCK_COLORS,
    "zone": O.ZONE_COLORS,
    "direction": O.DIRECTIONS,
}


class Task:
    name: ClassVar[str] = ""  # set by @register_task
    arg_keys: ClassVar[tuple[str, ...]] = ("object",)
    templates: ClassVar[dict[str, tuple[str, ...]]] = {"train": (), "heldout": ()}
    max_steps: ClassVar[int] = 50  # step budget at 10 Hz; scaled with control_hz

    def __init__(self, args: dict):
        self.args = self.validate_args(args)
        self._expert = None
        self._expert_cache: tuple[int, np.ndarray] | None = None

    # -- arguments ------------------------------------------------------------------------------
    @classmethod
    def validate_args(cls, args) -> dict[str, str]:
        if not isinstance(args, dict):
            raise ValueError(f"{cls.name} args must be a dict with keys {list(cls.arg_keys)}, got {args!r}")
        missing = [k for k in cls.arg_keys if k not in args]
        extra = [k for k in args if k not in cls.arg_keys]
        if missing or extra:
            raise ValueError(
                f"{cls.name} takes args {list(cls.arg_keys)}; missing {missing}, unknown {extra}"
            )
        out = {}
        for key in cls.arg_keys:
            value = args[key]
            allowed = ARG_VALUES[key]
            if value not in allowed:
                raise ValueError(f"{cls.name}: {key}={value!r} is not allowed; allowed: {', '.join(allowed)}")
            out[key] = value
        cls.check_args(out)
        return out

    @classmethod
    def check_args(cls, args: dict[str, str]) -> None:
        """Cross-argument rules (e.g. stack base differs from the object); raise ValueError."""

    @classmethod
    def required_zones(cls, args: dict[str, str]) -> tuple[str, ...]:
        """Zone colors the scene must contain for these args."""
        return ()

    def check_scene(self, scene: "Scene") -> None:
        """Raise ValueError if the args cannot be done in this scene (e.g. no such zone)."""

    @classmethod
    def sample_args(cls, scene: "Scene", rng: np.random.Generator) -> dict[str, str]:
        return {"object": str(rng.choice(O.BLOCK_COLORS))}

    @classmethod
    def budget(cls, control_hz: int) -> int:
        return int(round(cls.max_steps * control_hz / 10))

    # -- episode --------------------------------------------------------------------------------
    def begin(self, env: "TabletopEnv") -> None:
        """Called when the subtask becomes active: remember whatever success is measured against."""

    def success(self, scene: "Scene") -> bool:
        raise NotImplementedError

    def make_expert(self, env: "TabletopEnv"):
        """A fresh expert object with ``act(env) -> np.ndarray (5,)``."""
        raise NotImplementedError

    def expert_action(self, env: "TabletopEnv") -> np.ndarray:
        """Clean expert action for the current state; repeated calls within one step agree."""
        step = env.elapsed_steps
        if self._expert_cache is not None and self._expert_cache[0] == step:
            return self._expert_cache[1].copy()
        if self._expert is None:
            self._expert = self.make_expert(env)
        action = np.asarray(self._expert.act(env), dtype=np.float32)
        self._expert_cache = (step, action)
        return action.copy()
