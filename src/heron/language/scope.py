"""What is not a request for one of the skills: unknown verbs, questions, statements, unknown things.

No made-up plans: a clause whose verb is neither a skill nor a listed synonym of one is refused,
naming the skills, whatever a similarity model would score it. The verb of an imperative is its
first word once politeness is skipped ("could you please lift ..."); a question word or auxiliary
there makes a question ("what is ...", "did you ..."); a copula with no skill verb makes a statement
("the red block is in the bowl"). A skill verb whose only object is a word that names nothing on
the table ("make me a sandwich", "pick up the banana") is refused too: only blocks are moved.
"""

from __future__ import annotations

from heron.language import lexicon as L
from heron.language.clauses import Token
from heron.language.results import SKILLS, Refuse
from heron.language.scene import SceneDescription, join_words

QUESTION_WORDS = {"what", "where", "why", "how", "who", "whom", "whose", "which", "when", "whats", "what's",
                  "where's", "how's", "who's"}
AUXILIARIES = {"did", "does", "was", "were", "am", "isn't", "aren't", "doesn't", "didn't", "had", "is", "are",
               "has", "have", "shall", "may", "might"}
COPULAS = {"is", "are", "was", "were", "am", "isn't", "aren't", "wasn't", "weren't", "it's", "that's", "they're"}
_SKIP = (L.FILLER, L.SEQ, L.FIRST, L.AND, L.SEP, L.NEG, L.CORR, L.BEFORE, L.AFTER)


def head(tokens: list[Token]) -> Token | None:
    """The first token that is not politeness, ordering or "to" ("I want you to ...")."""
    for t in tokens:
        if t.kind in _SKIP and not (t.kind == L.FILLER and t.word in AUXILIARIES):
            continue
        if t.kind == L.PREP and t.value == "to":
            continue
        if t.kind == L.WORD and t.word.endswith("ly") and len(t.word) > 4:  # an adverb: "gingerly lift ..."
            continue
        return t
    return None


def check_clause(tokens: list[Token], verb: str | None, has_object: bool, unknown: list[str],
                 scene: SceneDescription) -> None:
    """Refuse a clause that asks for no skill; return quietly for anything the rules should read."""
    h = head(tokens)
    if h is None:
        return
    if h.word in QUESTION_WORDS or (h.word in AUXILIARIES and verb is None) or (
            h.word in AUXILIARIES and h.kind == L.WORD):
        raise Refuse(f"I can't answer questions: I act on commands. {SKILLS}")
    if (h.kind == L.WORD and h.word in COPULAS) or (verb is None and any(t.word in COPULAS for t in tokens)):
        raise Refuse(f"that sounds like a statement or a question, not a command: {SKILLS}")
    if h.kind == L.WORD:
        raise Refuse(f"'{h.word}' is not one of my skills: {SKILLS}")
    if verb is not None and not has_object and unknown:
        things = " ".join(unknown)
        raise Refuse(f"I don't know what '{things}' is here: I can only move the blocks "
                     f"({join_words(scene.block_colors)}). {SKILLS}")
