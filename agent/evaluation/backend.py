"""The simulator backend for evaluation: a ``SimBackend`` whose resets also carry what a
``TaskSpec`` cannot say: the template split, arguments left to the task, and chains."""

from __future__ import annotations

from typing import Any

from agent.backends.sim_backend import SimBackend
from agent.interfaces import Observation, TaskSpec


class SuiteBackend(SimBackend):
    """``split`` picks the instruction templates; set ``chain`` (a list of ``{"task", "args"}``)
    before a reset to run a chain, and back to None after. ``TaskSpec.args`` empty: the task draws
    its arguments from the seed."""

    def __init__(self, env: Any, split: str, **kwargs):
        super().__init__(env, **kwargs)
        self.split = split
        self.chain: list[dict] | None = None

    def reset(self, *, seed: int | None = None, task: TaskSpec | None = None) -> Observation:
        options: dict[str, Any] = {"split": self.split}
        if self.chain is not None:
            options["chain"] = self.chain
        elif task is not None:
            options.update(task=task.task, args=dict(task.args) if task.args else None)
            if task.instruction:
                options["instruction"] = task.instruction
        if seed is None and task is not None:
            seed = task.seed
        self._obs, info = self.env.reset(seed=seed, options=options)
        self._reset_counters()
        self._set_info(info)
        return self.observe()


def make_suite_backend(split: str, image_size: int | None = None, control_hz: float | None = None) -> SuiteBackend:
    """A fresh simulator (its own PyBullet connection) wrapped for evaluation."""
    import sim  # PyBullet: only when a backend is built

    kwargs: dict[str, Any] = {"split": split}
    if image_size:
        kwargs["image_size"] = int(image_size)
    if control_hz:
        kwargs["control_hz"] = int(control_hz)
    return SuiteBackend(sim.make_env(**kwargs), split)
