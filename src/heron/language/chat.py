"""An interactive session over one persistent scene: each command runs the policy until it is done.

A compound command is split into a queue of sub-instructions executed in turn. Each advances when
the policy's ``done`` output passes a threshold; in the simulator the task's success predicate
(when the words name a known task) confirms it, and ends the sub-instruction on its own too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from heron.language.instructions import split_compound
from heron.runtime.loop import ControlLoop, LoopConfig


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
    interpreter: object | None = None  # heron.language.Interpreter: plans against the live scene
    canonical: bool = False  # give the policy each step's training phrasing instead of the user's words

    def __post_init__(self):
        self.loop = ControlLoop(self.policy, self.config)
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.seed = self.seed if seed is None else seed
        self.obs = self.backend.reset(seed=self.seed)
        self.loop.reset()

    def command(self, text: str) -> list[SubResult]:
        if self.interpreter is not None:
            return self._command_planned(text)
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

    def _command_planned(self, text: str) -> list[SubResult]:
        """Interpret against the scene as it stands now; a question or refusal commands nothing."""
        from heron.language import scene_from_env

        reply = self.interpreter.interpret(text, scene_from_env(self.backend.env))
        if reply.kind != "plan":
            self.log(f"  {reply.kind}: {reply.text}")
            return []
        self.log(f"  plan: {len(reply.steps)} step(s)")
        results = []
        for i, step in enumerate(reply.steps):
            words = step.canonical if self.canonical else step.instruction
            self.log(f"  step {i + 1}/{len(reply.steps)}: {step.task} {step.args}")
            r = self._run(words, (step.task, dict(step.args)))
            results.append(r)
            self.log(f"  [{r.reason}] {r.instruction!r}: {r.steps} steps, done={r.done:.2f}"
                     + ("" if r.success is None else f", success={r.success}"))
            if not r.success:
                self.log("  stopping the queue: the steps after this one assume it was done")
                break
        return results

    def _run(self, instruction: str, parsed: tuple[str, dict] | None = None) -> SubResult:
        parsed = parsed or self.parse(instruction)
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
