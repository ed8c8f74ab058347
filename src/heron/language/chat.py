"""An interactive session over one persistent scene: each command runs the policy until it is done.

A command is planned against the live scene (or, raw, split into sub-instructions); its steps run
in turn. Each advances when the task's success predicate holds (or, for words that name no task,
the policy's ``done`` passes a threshold). Each step's canonical phrasing goes to the policy unless
``canonical`` is off (``--user-words``). Lines typed while a plan runs (``poll``) are queued; a stop
("stop", "halt", "cancel that") halts the running step at once, commands a hold and clears the
queue: the rest of the plan and every queued line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from heron.language.instructions import split_compound
from heron.runtime.loop import ControlLoop, LoopConfig


@dataclass
class SubResult:
    instruction: str
    task: str | None
    steps: int
    done: float
    success: bool | None  # None: no success predicate for these words
    reason: str  # "success", "done", "budget", "stopped"


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
    canonical: bool = True  # give the policy each step's training phrasing (False: the person's words)
    poll: Callable[[], str | None] | None = None  # a line typed while a step runs, or None

    def __post_init__(self):
        self.loop = ControlLoop(self.policy, self.config)
        self.queue: deque[str] = deque()  # lines typed while a plan ran, to run after it
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.seed = self.seed if seed is None else seed
        self.obs = self.backend.reset(seed=self.seed)
        self.loop.reset()

    def command(self, text: str) -> list[SubResult]:
        if self.interpreter is not None:
            return self._command_planned(text)
        from heron.language import scene_from_env
        from heron.language.intents import read_intent

        intent = read_intent(text, scene_from_env(self.backend.env))
        if intent is not None and intent.kind == "stop":  # raw words too: "stop" is never an instruction
            self.halt(intent.text)
            return []
        results = []
        for sub in split_compound(text):
            results.append(self._run(sub))
            r = results[-1]
            self.log(f"  [{r.reason}] {r.instruction!r}: {r.steps} steps, done={r.done:.2f}"
                     + ("" if r.success is None else f", success={r.success}"))
            if r.reason == "stopped":
                break
            if r.reason == "budget":
                self.log("  stopping the queue: the last sub-instruction ran out of steps")
                break
        return results

    def halt(self, why: str) -> None:
        """Stop now: one hold (zero motion, the gripper as it is), and nothing queued is run."""
        self.obs = self._hold(why)
        dropped = len(self.queue)
        self.queue.clear()
        self.log(f"  stopped: {why}" + (f"; {dropped} queued command(s) dropped" if dropped else ""))

    def _hold(self, why: str):
        self.backend.apply(self.loop.hold(f"stopped: {why}").action)
        return self.backend.observe()

    def _command_planned(self, text: str) -> list[SubResult]:
        """Interpret against the scene as it stands now; a question or refusal commands nothing."""
        from heron.language import scene_from_env

        reply = self.interpreter.interpret(text, scene_from_env(self.backend.env))
        if reply.kind == "stop":
            self.halt(reply.text)
            return []
        if reply.kind != "plan":
            self.log(f"  {reply.kind}: {reply.text}")
            return []
        self.log(f"  plan: {len(reply.steps)} step(s)")
        for note in reply.notes:
            self.log(f"  note: {note}")
        results = []
        for i, step in enumerate(reply.steps):
            words = step.canonical if self.canonical else step.instruction
            self.log(f"  step {i + 1}/{len(reply.steps)}: {step.task} {step.args}")
            r = self._run(words, (step.task, dict(step.args)))
            results.append(r)
            self.log(f"  [{r.reason}] {r.instruction!r}: {r.steps} steps, done={r.done:.2f}"
                     + ("" if r.success is None else f", success={r.success}"))
            if r.reason == "stopped":
                left = len(reply.steps) - i - 1
                if left:
                    self.log(f"  {left} remaining step(s) of this plan cleared")
                break
            if not r.success:
                self.log("  stopping the queue: the steps after this one assume it was done")
                break
        return results

    def _typed(self) -> str | None:
        """A stop typed while a step runs: its reason; any other line is queued for after the plan."""
        line = self.poll() if self.poll is not None else None
        if line is None or not line.strip():
            return None
        from heron.language import scene_from_env
        from heron.language.intents import read_intent

        reply = read_intent(line, scene_from_env(self.backend.env))
        if reply is not None and reply.kind == "stop":
            return f"{line.strip()!r} typed while a step ran"
        self.queue.append(line)
        self.log(f"  queued {line.strip()!r}: it runs after this plan (say 'stop' to halt now)")
        return None

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
            why = self._typed()
            if why is not None:
                self.halt(why)
                return SubResult(instruction, task, steps, done, None, "stopped")
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

