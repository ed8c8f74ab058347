"""Negated requests: "don't ...", "do not ...", "never ..." never move anything.

A negated clause adds no step. The blocks it names are taken out of the rest of the plan ("touch
every block but don't touch the red one" touches the other three); a command that is all negation
moves nothing, and the reply says what was understood: "OK: I won't touch anything. Nothing moves."
"""

from __future__ import annotations

import copy
import re

from heron.language.clauses import Clause
from heron.language.mentions import Context
from heron.language.rules import negated_blocks
from heron.language.scene import SceneDescription, join_words
from heron.language.scope import head

_SWAP = {"me": "you", "my": "your", "mine": "yours", "myself": "yourself", "you": "me", "your": "my",
         "yours": "mine", "yourself": "myself", "i": "you"}
_WORD = re.compile(r"[A-Za-z]+")


class Negations:
    def __init__(self, scene: SceneDescription):
        self.scene = scene
        self.said: list[str] = []  # the negated words, as "I won't ..."
        self.blocks: list[str] = []  # blocks no step may move or touch

    def add(self, clause: Clause, text: str, ctx: Context) -> None:
        """Record a negated clause; references resolve against a copy of ``ctx`` ("it" stays what it was)."""
        first = head(clause.tokens)  # "I don't want you to touch it" -> "touch it"
        words = text[first.start if first else clause.start:clause.end].strip(" ,;.:!?")
        if words:
            self.said.append(_swap_person(words))
        for c in negated_blocks(clause, self.scene, copy.deepcopy(ctx)):
            if c not in self.blocks:
                self.blocks.append(c)

    def apply(self, drafts: list) -> list:
        """Drop every step whose block the person said not to move or touch."""
        return [d for d in drafts if d[0].args["object"] not in self.blocks]

    def summary(self) -> str:
        """The reply when nothing is left to do."""
        if not self.said:
            return "Nothing to do: nothing moves."
        return f"OK: I won't {join_words(self.said)}. Nothing moves."

    def notes(self) -> tuple[str, ...]:
        if not self.said:
            return ()
        held = (f"; no step moves or touches the {join_words(self.blocks)} block{'s' if len(self.blocks) > 1 else ''}"
                if self.blocks else "")
        return (f"as asked, I won't {join_words(self.said)}{held}",)


def _swap_person(words: str) -> str:
    """"hand me my block" -> "hand you your block": the reply speaks back to the person."""
    return _WORD.sub(lambda m: _SWAP.get(m.group(0).lower(), m.group(0)), words)
