"""The grounded command interpreter: text + scene -> Plan | Question | Refusal.

    from heron.language import Interpreter, vocabulary_scene
    reply = Interpreter().interpret("put all the blocks except the red one in the bowl", scene)
    reply.to_dict()  # {"steps": [...], "question": None, "refusal": None}

Rules first (``rules.py``); a clause no rule reads goes to the MiniLM fallback (``embedding.py``)
when one is configured, which accepts only above its confidence threshold. Anything impossible
anywhere in a command refuses the whole command, and an ambiguity asks: nothing moves for either.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from heron.language import skills
from heron.language.clauses import order_clauses, split_clauses, tokenize
from heron.language.mentions import Context
from heron.language.results import SKILLS, Ask, NotUnderstood, Plan, Question, Refusal, Refuse, Reply, Step
from heron.language.rules import Draft, Meaning, read_clause
from heron.language.scene import SceneDescription

MAX_COMMAND_CHARS = 500
MAX_STEPS = 12
MAX_INSTRUCTION_CHARS = 256  # what the policy accepts (heron/policies/schema.py)


@dataclass
class InterpreterConfig:
    max_chars: int = MAX_COMMAND_CHARS
    max_steps: int = MAX_STEPS
    threshold: float = 0.45  # MiniLM cosine below which the fallback asks to rephrase

    def __post_init__(self):
        if not isinstance(self.max_chars, int) or self.max_chars < 10:
            raise ValueError(f"interpreter max_chars: expected an integer >= 10, got {self.max_chars!r}")
        if not isinstance(self.max_steps, int) or self.max_steps < 1:
            raise ValueError(f"interpreter max_steps: expected an integer >= 1, got {self.max_steps!r}")
        if not 0.0 < float(self.threshold) < 1.0:
            raise ValueError(f"interpreter threshold: expected a cosine in (0, 1), got {self.threshold!r}")


class Interpreter:
    """``embedder``: None (rules only), or an object with ``best(text, candidates) -> (index, cosine)``
    such as ``embedding.MiniLMEmbedder`` (loaded lazily; see ``make_interpreter``)."""

    def __init__(self, config: InterpreterConfig | None = None, embedder=None):
        self.config = config or InterpreterConfig()
        self.embedder = embedder

    def interpret(self, text, scene: SceneDescription) -> Reply:
        bad = self._check_text(text)
        if bad is not None:
            return bad
        try:
            drafts, used_fallback = self._drafts(text, scene)
            drafts = _interleave(_drop_repeats(drafts))
            _check_one_in_hand([d for d, _, _ in drafts])
        except Refuse as exc:
            return Refusal(str(exc))
        except Ask as exc:
            return Question(str(exc))
        if len(drafts) > self.config.max_steps:
            return Refusal(f"that is {len(drafts)} steps; I plan at most {self.config.max_steps} at a time: "
                           f"split the command")
        steps = []
        for d, source, conf in drafts:
            try:
                args = skills.validate_step(d.task, d.args)
            except ValueError as exc:  # the grammar is the last word: a rule slip is refused, not run
                return Refusal(f"I can't do that: {exc}")
            canon = skills.canonical(d.task, args)
            words = d.instruction if d.instruction and _fits(d.instruction) else canon
            steps.append(Step(d.task, args, words, canon, source, conf))
        notes = ("some steps understood by similarity (MiniLM)",) if used_fallback else ()
        return Plan(tuple(steps), notes)

    def _check_text(self, text) -> Reply | None:
        if not isinstance(text, str):
            return Refusal(f"a command must be text, got {type(text).__name__}")
        if len(text) > self.config.max_chars:
            return Refusal(f"the command is {len(text)} characters long; at most {self.config.max_chars} are "
                           f"accepted: send shorter commands one at a time")
        controls = sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r"})
        if controls:
            return Refusal(f"the command contains control characters ({', '.join(controls[:5])}); "
                           f"send plain text")
        if not text.strip():
            return Question(f"the command is empty: what should I do? {SKILLS}")
        if any(ord(c) > 127 and unicodedata.category(c).startswith("L") for c in text):
            return Question(f"I only understand commands in English: could you rephrase? {SKILLS}")
        return None

    def _drafts(self, text: str, scene: SceneDescription) -> tuple[list[tuple[Draft, str, float]], bool]:
        clauses = order_clauses(split_clauses(tokenize(text)))
        if not clauses:
            raise Ask(f"I did not understand {text.strip()!r}: could you rephrase? {SKILLS}")
        ctx, prev, out, fallback = Context(), None, [], False
        pending_ask: Ask | None = None
        for clause in clauses:
            if clause.partner is not None and ctx.last is None:  # "put the red block in the tray after lifting it"
                ctx.last = next((t.value for t in clause.partner.tokens if t.kind == "color" and t.value in scene.blocks), None)
            try:
                drafts, prev = read_clause(clause, text, scene, ctx, prev)
                out += [(d, "rules", 1.0) for d in drafts]
            except NotUnderstood:
                clause_text = text[clause.start:clause.end]
                d, conf = self._fallback(clause_text, scene, ctx)
                if d is None:
                    pending_ask = pending_ask or Ask(
                        f"I did not understand {clause_text.strip()!r}: could you rephrase? {SKILLS}")
                    continue
                out.append((d, "embedding", conf))
                prev, fallback = Meaning(None, None, None), True
                ctx.last = d.args["object"]
                ctx.note([d.args["object"]])
            except Ask as exc:  # keep reading: a later impossibility outranks this question
                pending_ask = pending_ask or exc
        if pending_ask is not None:
            raise pending_ask
        return out, fallback

    def _fallback(self, clause_text: str, scene: SceneDescription, ctx: Context) -> tuple[Draft | None, float]:
        if not self.embedder:
            return None, 0.0
        from heron.language.embedding import candidate_steps

        candidates = candidate_steps(clause_text, scene, ctx)
        if not candidates:
            return None, 0.0
        index, cosine = self.embedder.best(clause_text, [c[2] for c in candidates])
        if cosine < self.config.threshold:
            return None, cosine
        task, args, _ = candidates[index]
        return Draft(task, args, clause_text.strip(" ,;.:!?")), cosine


CARRY = ("place", "zone", "stack")
GOAL_STATES = ("pick", "place", "zone", "stack")  # a second identical step would already hold


def _drop_repeats(drafts: list) -> list:
    """"grab the red block and lift it": the same goal twice in a row is one step (a push or a touch
    repeated is a second action, and stays)."""
    out = []
    for d in drafts:
        if out and d[0].task in GOAL_STATES and (d[0].task, d[0].args) == (out[-1][0].task, out[-1][0].args):
            continue
        out.append(d)
    return out



def _interleave(drafts: list) -> list:
    """[pick a, pick b, carry a, carry b] -> [pick a, carry a, pick b, carry b] ("pick up the red and blue
    blocks and put them in the tray"): the hand holds one block at a time."""
    out, i = [], 0
    while i < len(drafts):
        j = i
        while j < len(drafts) and drafts[j][0].task == "pick":
            j += 1
        run, nxt = drafts[i:j], drafts[j:j + (j - i)]
        if len(run) > 1 and len(nxt) == len(run) and all(
                n[0].task in CARRY and n[0].args["object"] == p[0].args["object"] for p, n in zip(run, nxt)):
            for p, n in zip(run, nxt):
                out += [p, n]
            i = j + len(run)
        elif j > i:
            out += run
            i = j
        else:
            out.append(drafts[i])
            i += 1
    return out


def _check_one_in_hand(drafts: list[Draft]) -> None:
    for a, b in zip(drafts, drafts[1:]):
        if a.task == "pick" and b.args["object"] != a.args["object"]:
            raise Refuse(f"I can hold only one block at a time: say where to put the {a.args['object']} block "
                         f"before I move the {b.args['object']} one")


def _fits(text: str) -> bool:
    return len(text) <= MAX_INSTRUCTION_CHARS and all(32 <= ord(c) < 127 for c in text)


def make_interpreter(embedder: str | None = "minilm", threshold: float = 0.45) -> Interpreter:
    """The interpreter heron's commands use: rules, plus the MiniLM fallback unless ``embedder`` is None."""
    emb = None
    if embedder == "minilm":
        from heron.language.embedding import MiniLMEmbedder

        emb = MiniLMEmbedder()
    elif embedder is not None:
        raise ValueError(f"interpreter embedder: {embedder!r} is not allowed; allowed: minilm, none")
    return Interpreter(InterpreterConfig(threshold=threshold), emb)
