"""Executing an interpreter plan in the simulator: one step after another on one persistent scene.

``canonical_scene(backend, seed)`` lays out the scene of a seed the same way every time (the layout
of ``sim`` depends on the seed and on the zones a task asks for; here none are asked for), so that
``heron plan --seed S`` and ``heron run -i ... --seed S`` describe and act on the same table. Each
step sets its task on the scene as it stands (``SimBackend.set_task``) and runs the policy until the
task's success predicate holds or its step budget runs out; a failed step ends the plan, since the
steps after it assume it was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from heron.language import Plan, SceneDescription, scene_from_env
from heron.runtime.interfaces import TaskSpec
from heron.runtime.loop import ControlLoop, EpisodeResult, LoopConfig, run_episode


def canonical_scene(backend, seed: int) -> SceneDescription:
    """Reset ``backend`` (a SimBackend) to seed ``seed``'s layout and describe it."""
    first = next(iter(backend.env.scene.blocks))  # a touch task with fixed args asks for no zones
    backend.reset(seed=seed, task=TaskSpec("touch", {"object": first}, seed=seed))
    return scene_from_env(backend.env)


class _SameScene:
    """A backend whose ``reset`` sets the next task on the scene as it stands (no new layout)."""

    def __init__(self, backend):
        self._backend = backend

    def reset(self, *, seed=None, task: TaskSpec | None = None):
        return self._backend.set_task(task.task, task.args, instruction=task.instruction)

    def __getattr__(self, name):
        return getattr(self._backend, name)


@dataclass
class StepOutcome:
    index: int
    task: str
    args: dict
    instruction: str
    success: bool | None  # None: not run (an earlier step failed) or could not start
    steps: int = 0
    error: str | None = None
    result: EpisodeResult | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {"index": self.index, "task": self.task, "args": self.args, "instruction": self.instruction,
                "success": self.success, "steps": self.steps, "error": self.error}


def run_plan(policy, backend, plan: Plan, *, canonical: bool = False, config: LoopConfig | None = None,
             max_steps: int | None = None, video: bool = False, log: Callable[[str], None] = print,
             on_step=None, loop: ControlLoop | None = None) -> list[StepOutcome]:
    """Run ``plan``'s steps in order on ``backend``'s current scene; returns one outcome per step."""
    loop = loop or ControlLoop(policy, config)
    same = _SameScene(backend)
    outcomes: list[StepOutcome] = []
    failed = False
    for i, step in enumerate(plan.steps):
        words = step.canonical if canonical else step.instruction
        out = StepOutcome(i, step.task, dict(step.args), words, None)
        outcomes.append(out)
        if failed:
            continue
        log(f"  step {i + 1}/{len(plan.steps)}: {step.task} {step.args} <- {words!r}")
        try:
            res = run_episode(policy, same, TaskSpec(step.task, dict(step.args), instruction=words),
                              max_steps=max_steps, on_step=on_step, video=video, loop=loop)
        except ValueError as exc:  # the scene no longer allows it (e.g. the block is in the tray)
            out.error = str(exc)
            log(f"  step {i + 1} cannot start: {exc}; stopping")
            failed = True
            continue
        out.success, out.steps, out.result = bool(res.success), res.steps, res
        log(f"  step {i + 1} {'SUCCESS' if res.success else 'FAILED'} after {res.steps} steps")
        if not res.success:
            log("  stopping: the steps after this one assume it was done")
            failed = True
    return outcomes
