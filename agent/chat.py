"""An interactive session over one persistent scene: each command runs the policy until it is done.

A compound command is split into a queue of sub-instructions executed in turn. Each advances when
the policy's ``done`` output passes a threshold; in the simulator the task's success predicate
(when the words name a known task) confirms it, and ends the sub-instruction on its own too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from agent.instructions import split_compound
from agent.loop import ControlLoop, LoopConfig


@dataclass
class SubResult:
    instruction: str
    task: str | None
    steps: int
    done: float
    success: bool | None  # None: no success predicate for these words
    reason: str  # "success", "done", "budget"


@dataclass
class ChatSession:
    policy: object
    backend: object  # SimBackend: set_task, observe, apply, info
    parse: Callable[[str], tuple[str, dict] | None]
    done_threshold: float = 0.5
    max_steps: int = 120
    seed: int = 0
    config: LoopConfig = field(default_factory=LoopConfig)
    log: Callable[[str], None] = print

    def __post_init__(self):
        self.loop = ControlLoop(self.policy, self.config)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.seed = self.seed if seed is None else seed
        self.obs = self.backend.reset(seed=self.seed)
        self.loop.reset()

    def command(self, text: str) -> list[SubResult]:
        results = []
        for sub in split_compound(text):
            results.append(self._run(sub))
            r = results[-1]
            self.log(f"  [{r.reason}] {r.instruction!r}: {r.steps} steps, done={r.done:.2f}"
                     + ("" if r.success is None else f", success={r.success}"))
            if r.reason == "budget":
                self.log("  stopping the queue: the last sub-instruction ran out of steps")
                break
        return results

    def _run(self, instruction: str) -> SubResult:
        parsed = self.parse(instruction)
        task = parsed[0] if parsed else None
        if parsed:
            try:
                self.obs = self.backend.set_task(parsed[0], parsed[1], instruction=instruction)
            except ValueError as exc:  # e.g. the named block is not in a state this task can start from
                self.log(f"  note: {exc}; running without a success check")
                parsed, task = None, None
        self.loop.set_instruction(instruction)
        done, steps = 0.0, 0
        budget = int(self.backend.info.get("max_steps") or self.max_steps) if parsed else self.max_steps
        while steps < budget:
            step = self.loop.step(self.obs, now=self.backend.now())
            self.backend.apply(step.action)
            self.obs = self.backend.observe()
            steps += 1
            done = step.done
            if parsed and self.backend.info.get("success"):
                return SubResult(instruction, task, steps, done, True, "success")
            if done > self.done_threshold and not parsed:
                return SubResult(instruction, task, steps, done, None, "done")
        return SubResult(instruction, task, steps, done, False if parsed else None, "budget")
