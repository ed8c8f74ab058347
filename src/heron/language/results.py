"""What the interpreter answers: a Plan (ordered steps), a Question (ambiguous), a Refusal (why not),
a Stop (halt now, clear the queue) or an Answer (help, or a negated request: nothing moves).

All of them print the same JSON shape (``heron plan``, ``/heron/feedback``)::

    {"steps": [{"task": "place", "args": {"object": "red"}, "instruction": "put the red block in the bowl"}],
     "question": null, "refusal": null, "stop": false, "answer": null, "notes": []}

Only a Plan has steps; only a Stop has ``"stop": true``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

SKILLS = ("I can pick up, place in the tray, stack, push (left, right, forward or back as seen from the front "
          "camera), touch, and move blocks to the coloured zones")


def _shape(steps=(), question=None, refusal=None, stop=False, answer=None, notes=()) -> dict[str, Any]:
    return {"steps": list(steps), "question": question, "refusal": refusal, "stop": stop, "answer": answer,
            "notes": list(notes)}


@dataclass(frozen=True)
class Step:
    """One call of a task family: ``task`` and its ``args`` (as ``heron/envs/tabletop/tasks`` defines them)."""

    task: str
    args: dict[str, str]
    instruction: str  # the person's own words for this step (references resolved)
    canonical: str  # a training phrasing of the same task and args
    source: str = "rules"  # "rules" or "embedding"
    confidence: float = 1.0

    def to_dict(self, canonical: bool = False) -> dict[str, Any]:
        return {"task": self.task, "args": dict(self.args),
                "instruction": self.canonical if canonical else self.instruction}


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = field(default=())

    kind = "plan"

    def to_dict(self, canonical: bool = False) -> dict[str, Any]:
        return _shape(steps=[s.to_dict(canonical) for s in self.steps], notes=self.notes)


@dataclass(frozen=True)
class Question:
    text: str

    kind = "question"

    def to_dict(self, canonical: bool = False) -> dict[str, Any]:
        return _shape(question=self.text)


@dataclass(frozen=True)
class Refusal:
    text: str

    kind = "refusal"

    def to_dict(self, canonical: bool = False) -> dict[str, Any]:
        return _shape(refusal=self.text)


@dataclass(frozen=True)
class Stop:
    """Halt now: the running step ends, the queue is cleared, nothing new is commanded."""

    text: str

    kind = "stop"

    def to_dict(self, canonical: bool = False) -> dict[str, Any]:
        return _shape(stop=True, notes=(self.text,))


@dataclass(frozen=True)
class Answer:
    """A reply that commands nothing: the capabilities ("help"), or what a negated request was understood as."""

    text: str

    kind = "answer"

    def to_dict(self, canonical: bool = False) -> dict[str, Any]:
        return _shape(answer=self.text)


Reply = Union[Plan, Question, Refusal, Stop, Answer]
KINDS = ("plan", "question", "refusal", "stop", "answer")


class Ask(Exception):
    """Raised inside the rule parser: the command is ambiguous; the message is the question."""


class Refuse(Exception):
    """Raised inside the rule parser: the command cannot or must not be done; the message says why."""


class NotUnderstood(Exception):
    """Raised inside the rule parser: no rule reads this clause (the embedding fallback may)."""
