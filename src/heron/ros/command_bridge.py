"""Plain-language commands for the policy node: /heron/command -> interpreter -> one step at a time.

/heron/command (std_msgs/String): a command in the person's words. It is interpreted against the
scene: the last valid JSON on /heron/scene (std_msgs/String, ``heron/language/scene.py``), else the
object vocabulary of the parameters ``command_blocks`` / ``command_zones`` / ``command_distractors``
(then refusals only cover what the vocabulary rules out). /heron/feedback (std_msgs/String JSON)
answers every command and scene message::

    {"type": "plan", "command", "steps": [{"task", "args", "instruction"}], "question": null, "refusal": null,
     "stop": false, "answer": null, "notes": [...]}
    {"type": "question" | "refusal" | "answer", "command", "steps": [], "question" | "refusal" | "answer": "..."}
    {"type": "stop", "command", "steps": [], "stop": true, "notes": ["stopping: ..."]}
    {"type": "progress", "step", "of", "task", "args", "instruction", "state": "started" | "done" | "failed", "reason"}
    {"type": "finished", "command", "success", "steps_done", "of", "reason"}
    {"type": "scene", "ok": true, "blocks", "zones"}  |  {"type": "error", "source": "scene" | "command", "error"}

A question, a refusal or an answer ("help", a negated request) commands nothing. A stop ("stop",
"halt", "cancel that") does what /heron/stop does: the running plan ends and the node holds. A plan's
steps go to the node as instructions, one at a time: each step's canonical (training) phrasing, or
the person's words for it with ``command_user_words``. /heron/command (and /heron/scene) are latched
(heron/ros/latched.py), read from the node's construction on; a plan that arrives before the node is
active starts at activation. A step is done when the policy's done probability passes ``command_done_threshold`` (after
``command_min_step_ticks`` control steps, so the previous step's done cannot end it), or when
/heron/task_status (the simulator's judgement) reports success for that task and arguments; it fails
after ``command_step_timeout_s``. The node holds (/heron/stop) when a plan ends either way.
/heron/instruction stays the raw, direct path: an instruction from it ends a running plan.
The ``command_*`` parameters are read when the node starts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Callable

from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from heron.envs.tabletop.objects import BLOCK_COLORS, DISTRACTORS, ZONE_COLORS
from heron.ros.latched import LatchedSubscription

COMMAND = "/heron/command"
FEEDBACK = "/heron/feedback"
SCENE = "/heron/scene"
TASK_STATUS = "/heron/task_status"
MAX_MESSAGE_CHARS = 20_000


@dataclass
class BridgeConfig:
    command_blocks: list[str] = field(default_factory=lambda: list(BLOCK_COLORS))
    command_zones: list[str] = field(default_factory=lambda: list(ZONE_COLORS))
    command_distractors: list[str] = field(default_factory=lambda: list(DISTRACTORS))
    command_done_threshold: float = 0.5
    command_step_timeout_s: float = 30.0
    command_min_step_ticks: int = 3
    command_embedding: bool = True  # MiniLM suggestions for wordings no rule reads (loads torch on first use)
    command_user_words: bool = False  # give the policy the person's words for each step, not the canonical phrasing

    def __post_init__(self):
        if not self.command_blocks or not all(isinstance(b, str) and b for b in self.command_blocks):
            raise ValueError(f"parameter command_blocks={self.command_blocks!r}: a non-empty list of colour names")
        if not 0.0 < self.command_done_threshold <= 1.0:
            raise ValueError(f"parameter command_done_threshold={self.command_done_threshold!r}: allowed (0, 1]")
        if not self.command_step_timeout_s > 0:
            raise ValueError(f"parameter command_step_timeout_s={self.command_step_timeout_s!r}: must be > 0")
        if self.command_min_step_ticks < 1:
            raise ValueError(f"parameter command_min_step_ticks={self.command_min_step_ticks!r}: must be >= 1")


def declare_and_read(node) -> BridgeConfig:
    from dataclasses import fields

    values = {}
    for f in fields(BridgeConfig):
        default = f.default_factory() if callable(getattr(f, "default_factory", None)) else f.default
        value = node.declare_parameter(f.name, default).value
        values[f.name] = list(value) if isinstance(default, list) else value
    if isinstance(values["command_done_threshold"], int):
        values["command_done_threshold"] = float(values["command_done_threshold"])
    if isinstance(values["command_step_timeout_s"], int):
        values["command_step_timeout_s"] = float(values["command_step_timeout_s"])
    return BridgeConfig(**values)


@dataclass
class _Run:
    command: str
    steps: list
    words: list[str]  # what the policy hears for each step
    index: int = -1
    started_at: float = 0.0
    start_ticks: int = 0


class CommandBridge:
    """Attach to a node: ``CommandBridge(node, instruct, stop, status)``.

    ``instruct(text)`` gives the node an instruction (as /heron/instruction would); ``stop()`` holds;
    ``status()`` is the node's status dict (``instruction``, ``done``, ``steps``); ``active()`` says whether
    the node commands now (a plan that arrives before waits for ``on_activate``).
    """

    def __init__(self, node, instruct: Callable[[str], None], stop: Callable[[], None], status: Callable[[], dict],
                 config: BridgeConfig | None = None, interpreter=None, active: Callable[[], bool] = lambda: True):
        from heron.language import make_interpreter, vocabulary_scene

        self.node, self._instruct, self._stop, self._status, self._active = node, instruct, stop, status, active
        self.config = config or declare_and_read(node)
        c = self.config
        self.vocabulary = vocabulary_scene(blocks=c.command_blocks, zones=c.command_zones,
                                           distractors=c.command_distractors)
        self.scene = self.vocabulary
        self.interpreter = interpreter or make_interpreter("minilm" if c.command_embedding else None)
        self.run: _Run | None = None
        self.waiting: _Run | None = None  # a plan that came before activation
        self.feedback: list[dict] = []  # what was published, newest last (status and tests)
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.pub = node.create_publisher(String, FEEDBACK, reliable)
        self.latched = [LatchedSubscription(node, String, COMMAND, self.on_command),
                        LatchedSubscription(node, String, SCENE, self.on_scene)]
        self.subs = [node.create_subscription(String, TASK_STATUS, self.on_task_status, reliable)]
        self.timer = node.create_timer(0.05, self.on_timer)

    # -- inputs ------------------------------------------------------------------------------------------
    def on_command(self, msg: String) -> None:
        text = msg.data if isinstance(msg.data, str) else ""
        try:
            reply = self.interpreter.interpret(text, self.scene)
        except Exception as exc:  # noqa: BLE001 - the interpreter must never take the node down
            self._publish({"type": "error", "source": "command", "error": f"{type(exc).__name__}: {exc}"})
            return
        shown = text if len(text) <= 200 else text[:200] + f"... ({len(text)} characters)"
        canonical = not self.config.command_user_words
        self._publish({"type": reply.kind, "command": shown, **reply.to_dict(canonical=canonical)})
        if reply.kind == "stop":  # what /heron/stop does: the plan ends, the node holds
            self.waiting = None
            if self.run is not None:
                self._finish(False, "stopped by a command", hold=True)
            else:
                self._stop()
            return
        if reply.kind != "plan":
            return  # nothing is commanded; a plan already running goes on
        run = _Run(text, list(reply.steps), [s.canonical if canonical else s.instruction for s in reply.steps])
        if not self._active():
            self.waiting = run  # kept, and started at activation
            return
        if self.run is not None:
            self._finish(False, "replaced by a new command", hold=False)
        self.run = run
        self._next_step()

    def on_activate(self) -> None:
        """The node became active: start the plan that arrived before."""
        run, self.waiting = self.waiting, None
        if run is not None:
            self.run = run
            self._next_step()

    def on_scene(self, msg: String) -> None:
        from heron.language import scene_from_json

        try:
            scene = scene_from_json(msg.data, vocabulary=self.vocabulary)
        except ValueError as exc:
            self._publish({"type": "error", "source": "scene", "error": f"{exc}; keeping the previous scene"})
            return
        self.scene = scene
        self._publish({"type": "scene", "ok": True, "blocks": scene.block_colors, "zones": scene.zone_colors})

    def on_task_status(self, msg: String) -> None:
        run = self.run
        if run is None or run.index < 0:
            return
        try:
            s = json.loads(msg.data)
        except (json.JSONDecodeError, TypeError):
            return
        step = run.steps[run.index]
        if isinstance(s, dict) and s.get("success") is True and s.get("task") == step.task and s.get("args") == step.args:
            self._step_done("task_status: success")

    def on_timer(self) -> None:
        run = self.run
        if run is None or run.index < 0:
            return
        status = self._status()
        ticks = int(status.get("steps") or 0) - run.start_ticks
        if status.get("instruction") not in (None, run.words[run.index]) and ticks > 0:
            self._finish(False, f"superseded by the instruction {status.get('instruction')!r}", hold=False)
        elif ticks >= self.config.command_min_step_ticks and float(status.get("done") or 0.0) > self.config.command_done_threshold:
            self._step_done(f"policy done {float(status['done']):.2f}")
        elif time.monotonic() - run.started_at > self.config.command_step_timeout_s:
            self._progress("failed", f"not done after {self.config.command_step_timeout_s:g} s")
            self._finish(False, f"step {run.index + 1} timed out")

    # -- plan --------------------------------------------------------------------------------------------
    def _next_step(self) -> None:
        run = self.run
        run.index += 1
        if run.index >= len(run.steps):
            self._finish(True, "all steps done")
            return
        run.started_at = time.monotonic()
        run.start_ticks = int(self._status().get("steps") or 0)
        self._instruct(run.words[run.index])
        self._progress("started", None)

    def _step_done(self, reason: str) -> None:
        self._progress("done", reason)
        self._next_step()

    def _progress(self, state: str, reason: str | None) -> None:
        run = self.run
        step = run.steps[run.index]
        self._publish({"type": "progress", "step": run.index + 1, "of": len(run.steps), "task": step.task,
                       "args": dict(step.args), "instruction": run.words[run.index], "state": state, "reason": reason})

    def _finish(self, success: bool, reason: str, hold: bool = True) -> None:
        run, self.run = self.run, None
        done = run.index if not success else len(run.steps)
        if hold:
            self._stop()
        self._publish({"type": "finished", "command": run.command[:200], "success": success, "steps_done": max(done, 0),
                       "of": len(run.steps), "reason": reason})

    def _publish(self, data: dict) -> None:
        self.feedback.append(data)
        del self.feedback[:-100]
        text = json.dumps(data)
        if len(text) > MAX_MESSAGE_CHARS:
            text = json.dumps({k: v for k, v in data.items() if k in ("type", "question", "refusal", "answer", "stop", "error")})
        try:
            self.pub.publish(String(data=text))
        except Exception as exc:  # noqa: BLE001 - a full history on a reliable writer: log, keep going
            self.node.get_logger().warning(f"feedback not sent: {type(exc).__name__}: {exc}")
