"""The two small interfaces where the parts meet: a Policy acts, a Backend is the robot.

Shapes (see ``heron/policies/schema.py`` for key names and units):
    Observation: dict with rgb_front, rgb_wrist uint8 (H, W, 3); proprio float32 (22,);
                 timestamp float seconds on the backend's clock.
    Action:      float32 (5,) in [-1, 1]: (dx, dy, dz, dyaw, gripper), gripper > 0 closes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

Observation = dict[str, Any]
Action = np.ndarray


@dataclass
class TaskSpec:
    """Names a task so any tool can set it up: ``TaskSpec("stack", {"object": "red", "base": "blue"})``.

    ``task`` None: the backend samples a task (the instruction, if given, is still what the policy hears).
    """

    task: str
    args: dict[str, str] = field(default_factory=dict)
    instruction: str | None = None  # None: the task's own template fills it in
    seed: int | None = None
    split: str | None = None  # instruction templates: "train" or "heldout" (None: the backend's own)
    chain: list[dict] | None = None  # CALVIN-style: [{"task", "args"[, "instruction"]}, ...] issued in turn
    advance: str | None = None  # chains: None/"auto" next subtask at success; "manual" waits for advance()


@dataclass
class StepOutput:
    """What a policy returns for one observation."""

    action: np.ndarray  # float32 (5,) in [-1, 1]
    done: float = 0.0  # probability that the instruction is complete (RT-1 style termination)
    chunk: np.ndarray | None = None  # float32 (H, 5): actions for this step and the next H-1; chunk[0] == action


@runtime_checkable
class Policy(Protocol):
    def reset(self) -> None:
        """Forget history, queued actions and recurrent state (a new episode)."""

    def set_instruction(self, text: str) -> None:
        """Condition on a new instruction; also clears history and the action queue."""

    def act(self, obs: Observation) -> StepOutput:
        """obs: rgb_* uint8 (H, W, 3), proprio float32 (22,) -> action float32 (5,) in [-1, 1]."""


@runtime_checkable
class Backend(Protocol):
    """The simulator or a ROS 2 robot, as the control loop sees it."""

    def reset(self, *, seed: int | None = None, task: TaskSpec | None = None) -> Observation: ...

    def observe(self) -> Observation: ...

    def apply(self, action: Action) -> None: ...

    def close(self) -> None: ...
