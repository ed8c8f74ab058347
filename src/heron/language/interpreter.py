"""The grounded command interpreter: text + scene -> Plan | Question | Refusal | Stop | Answer.

    from heron.language import Interpreter, vocabulary_scene
    reply = Interpreter().interpret("put all the blocks except the red one in the bowl", scene)
    reply.to_dict()  # {"steps": [...], "question": None, "refusal": None, "stop": False, "answer": None, ...}

In order: bad input; stop and help (``intents.py``); corrections inside the utterance
(``corrections.py``); then the rules (``rules.py``), clause by clause. A clause whose verb is no
skill is refused (``scope.py``); a negated clause moves nothing and takes its blocks out of the
rest of the plan. A clause no rule reads is asked about; the MiniLM fallback (``embedding.py``),
when configured, may only suggest a phrasing in that question: it never makes a step. Anything
impossible anywhere in a command refuses the whole command, and an ambiguity asks: nothing moves
for either.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from heron.language import skills
from heron.language.clauses import order_clauses, split_clauses, tokenize
from heron.language.corrections import apply_corrections
from heron.language.intents import read_intent
from heron.language.mentions import Context
from heron.language.negation import Negations
from heron.language.results import SKILLS, Answer, Ask, NotUnderstood, Plan, Question, Refusal, Refuse, Reply, Step
from heron.language.rules import Draft, read_clause
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
        text = text.replace("\u2019", "'").replace("\u2018", "'")  # typographic apostrophes: "don\u2019t"
        intent = read_intent(text, scene)
        if intent is not None:
            return intent
        text, notes = apply_corrections(text)
        if not text.strip():
            return Answer("OK, I won't do that: you took it back, so nothing moves. What should I do instead?")
        negations = Negations(scene)
        try:
            drafts = self._drafts(text, scene, negations)
            drafts = negations.apply(_interleave(_drop_repeats(drafts)))
            _check_one_in_hand([d for d, _, _ in drafts])
        except Refuse as exc:
            return Refusal(str(exc))
        except Ask as exc:
            return Question(str(exc))
        if not drafts:
            return Answer(negations.summary())
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
        return Plan(tuple(steps), tuple(notes) + negations.notes())

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

    def _drafts(self, text: str, scene: SceneDescription, negations: Negations) -> list[tuple[Draft, str, float]]:
        clauses = order_clauses(split_clauses(tokenize(text)))
        if not clauses:
            raise Ask(f"I did not understand {text.strip()!r}: could you rephrase? {SKILLS}")
        ctx, prev, out = Context(), None, []
        pending_ask: Ask | None = None
        for clause in clauses:
            if clause.negated:  # read only to say what will not be done; it moves nothing
                negations.add(clause, text, ctx)
                continue
            if clause.partner is not None and ctx.last is None:  # "put the red block in the tray after lifting it"
                ctx.last = next((t.value for t in clause.partner.tokens if t.kind == "color" and t.value in scene.blocks), None)
            try:
                drafts, prev = read_clause(clause, text, scene, ctx, prev)
                out += [(d, "rules", 1.0) for d in drafts]
            except NotUnderstood:
                clause_text = text[clause.start:clause.end].strip()
                hint = self._suggest(clause_text, scene, ctx)
                pending_ask = pending_ask or Ask(f"I did not understand {clause_text!r}{hint}: could you rephrase? {SKILLS}")
            except Ask as exc:  # keep reading: a later impossibility outranks this question
                pending_ask = pending_ask or exc
        if pending_ask is not None:
            raise pending_ask
        return out

    def _suggest(self, clause_text: str, scene: SceneDescription, ctx: Context) -> str:
        """The nearest training phrasing by MiniLM, as a hint in the question (never a step)."""
        if not self.embedder:
            return ""
        from heron.language.embedding import candidate_steps

        candidates = candidate_steps(clause_text, scene, ctx)
        if not candidates:
            return ""
        index, cosine = self.embedder.best(clause_text, [c[2] for c in candidates])
        if cosine < self.config.threshold:
            return ""
        task, args, _ = candidates[index]
        return f" (did you mean {skills.canonical(task, args)!r}?)"


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
