"""Utterances that ask for no plan: stop, help, greetings and thanks. Read before any rule.

"stop", "halt", "freeze", "cancel that", "never mind", "wait", "no!" -> Stop: halt at once and clear
the queue. A stop word at the head of an utterance wins over anything after it ("stop, put the red
block in the bowl" halts and says the rest was not acted on): halting is always safe, acting is not.
"help", "what can you do" -> the capabilities, as an Answer.
"""

from __future__ import annotations

import re

from heron.language.results import SKILLS, Answer, Reply, Stop
from heron.language.scene import SceneDescription

_WORDS = re.compile(r"[a-z]+(?:'[a-z]+)?")
# words that carry nothing in a short utterance ("robot, stop now please")
_POLITE = {"please", "robot", "heron", "now", "right", "away", "immediately", "hey", "ok", "okay", "oh", "um", "uh",
           "so", "well", "just", "the", "everything", "all", "it", "that", "this", "there", "you", "again", "quick",
           "quickly", "yo", "instantly", "asap"}
STOP_HEADS = {"stop", "halt", "freeze", "abort", "cancel", "pause", "estop", "enough", "quit", "cease"}
STOP_ALONE = {("wait",), ("no",), ("nope",), ("hold", "on"), ("hold", "it"), ("hold", "up"), ("never", "mind"),
              ("nevermind",), ("forget", "it"), ("forget", "that"), ("don't", "move"), ("do", "not", "move"),
              ("dont", "move"), ("no", "more"), ("that's", "enough"), ("thats", "enough"), ("emergency", "stop"),
              ("e", "stop"), ("wait", "a", "second"), ("wait", "a", "moment"), ("wait", "a", "minute"), ("no", "no"),
              ("wait", "wait"), ("not", "now"), ("stand", "still"), ("keep", "still"), ("be", "still"),
              ("stay", "still"), ("don't", "do", "that"), ("do", "not", "do", "that"), ("leave", "it")}
_HELP = re.compile(r"^(?:(?:can you |could you |please )?help(?: me)?"
                   r"|what (?:else )?can (?:you|i) (?:do|say|ask)(?: for me| here)?"
                   r"|what (?:are|r) you (?:able to do|capable of(?: doing)?|good for|for)|what do you do"
                   r"|what (?:are )?(?:your )?(?:skills|commands|capabilities)(?: do you (?:have|know|understand))?"
                   r"|what (?:skills|commands) do you (?:have|know|understand)|list (?:your )?(?:skills|commands)"
                   r"|show me what you can do|how do i use (?:you|this)|how does this work|what do you understand"
                   r"|what can i tell you|capabilities|commands|skills|\?+|options|menu|usage)$")
_GREETING = {("hi",), ("hello",), ("hey",), ("hello", "there"), ("hi", "there"), ("good", "morning"),
             ("good", "afternoon"), ("good", "evening"), ("greetings",), ("howdy",), ("yo",)}
_THANKS = {("thanks",), ("thank",), ("thank", "you"), ("thank", "you", "very", "much"), ("thanks", "a", "lot"), ("cheers",),
           ("great",), ("good", "job"), ("well", "done"), ("nice",), ("perfect",), ("thx",)}
EXAMPLES = "'put the red block in the bowl', 'stack the green block on the blue one', 'touch every block except the yellow one'"


def capabilities(scene: SceneDescription) -> str:
    return (f"{SKILLS}. Here I see {scene.describe()}. Say, for example, {EXAMPLES}. "
            f"Say 'stop' to halt at once.")


def read_intent(text: str, scene: SceneDescription) -> Reply | None:
    """A Stop or an Answer for utterances that ask for no plan; None for everything else."""
    words = _WORDS.findall(text.lower().replace("\u2019", "'"))
    content = tuple(w for w in words if w not in _POLITE) or tuple(words)
    if not content:
        return None
    if content[0] in STOP_HEADS or content in STOP_ALONE or content[:2] in (("emergency", "stop"), ("e", "stop")):
        rest = _after_stop(text)
        return Stop("stopping: holding still, the queue is cleared"
                    + (f" (I did not act on {rest!r}: say it again to do it)" if rest else ""))
    plain = " ".join(w for w in words if w not in ("please", "robot", "heron", "hey", "so", "ok", "okay", "well"))
    if _HELP.match(plain.strip() or text.strip().lower()):
        return Answer(capabilities(scene))
    if content in _GREETING:
        return Answer("Hello! " + capabilities(scene))
    if content in _THANKS:
        return Answer("You're welcome. Say 'help' to hear what I can do.")
    return None


def _after_stop(text: str) -> str:
    """What came after the stop word and its separator, if it looks like a request of its own."""
    parts = re.split(r"[,.;:!?]+|\band\b|\bthen\b", text, maxsplit=1)
    rest = parts[1].strip(" ,.;:!?") if len(parts) > 1 else ""
    return rest if len(_WORDS.findall(rest.lower())) >= 2 else ""
