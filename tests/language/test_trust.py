"""Commands a person can trust (issue 23): stop, negation, corrections, help, and no made-up plans.

Pure Python on a fixed scene, plus the property test: out-of-scope utterances (open requests,
questions, statements, nonsense, foreign words) never produce a step, with the real MiniLM model
loaded as the fallback, at any threshold."""

from __future__ import annotations

import pytest

from heron.language import Answer, Interpreter, InterpreterConfig, Plan, Question, Refusal, SceneDescription, Stop

SCENE = SceneDescription(
    blocks={"red": (0.40, -0.20, 0.02), "green": (0.50, 0.10, 0.02), "blue": (0.60, 0.00, 0.02),
            "yellow": (0.35, 0.20, 0.02)},
    zones={"green": (0.60, -0.20, 0.0), "blue": (0.45, 0.25, 0.0)},
    tray=(0.55, -0.05, 0.0),
    distractors={"purple cylinder": (0.40, 0.00, 0.0), "orange sphere": (0.65, 0.20, 0.0)},
    source="test",
)


def reply(text, interp=None):
    return (interp or Interpreter()).interpret(text, SCENE)


def steps(text):
    r = reply(text)
    assert isinstance(r, Plan), f"{text!r} -> {r}"
    return [(s.task, s.args) for s in r.steps]


def test_the_issue_table_behaves_as_expected():
    r = reply("make me a sandwich")
    assert isinstance(r, Refusal) and "sandwich" in r.text and "I can pick up" in r.text
    assert isinstance(reply("hand me the yellow block"), (Refusal, Question))
    r = reply("don't touch anything")
    assert isinstance(r, Answer) and r.text == "OK: I won't touch anything. Nothing moves."
    r = reply("stop")
    assert isinstance(r, Stop) and r.to_dict()["stop"] is True and r.to_dict()["steps"] == []
    assert steps("put the red block in the bowl, no wait, the green one") == [("place", {"object": "green"})]
    r = reply("what can you do")
    assert isinstance(r, Answer) and "I can pick up" in r.text and "red, green, blue and yellow blocks" in r.text
    assert reply("what can you do").to_dict()["answer"] == r.text
    r = reply("put the scarlet block in the bowl")
    assert [(s.task, s.args, s.canonical) for s in r.steps] == [("place", {"object": "red"}, "put the red block in the bowl")]
    assert steps("build a tower with all the blocks") == [("stack", {"object": "green", "base": "red"}),
                                                          ("stack", {"object": "blue", "base": "green"}),
                                                          ("stack", {"object": "yellow", "base": "blue"})]


@pytest.mark.parametrize("text", ["stop", "Stop!", "halt", "freeze", "cancel that", "abort", "STOP NOW", "robot, stop",
                                  "please stop", "never mind", "wait", "hold on", "don't move", "emergency stop", "no!",
                                  "stop pushing the red block", "that's enough", "pause"])
def test_stop_words_halt(text):
    r = reply(text)
    assert isinstance(r, Stop), r
    assert r.to_dict() == {"steps": [], "question": None, "refusal": None, "stop": True, "answer": None, "notes": [r.text]}


def test_a_stop_wins_over_what_follows_and_says_so():
    r = reply("stop, put the red block in the bowl")
    assert isinstance(r, Stop) and "put the red block in the bowl" in r.text
    # "hold" is a skill with an object, and "wait" with a request after it is politeness
    assert steps("hold the red cube above the table") == [("pick", {"object": "red"})]
    assert steps("wait, put the green block in the bowl") == [("place", {"object": "green"})]


@pytest.mark.parametrize("text,said", [
    ("don't touch anything", "touch anything"),
    ("do not push the red block left", "push the red block left"),
    ("never touch the blue block", "touch the blue block"),
    ("please don't put the yellow cube in the bowl", "put the yellow cube in the bowl"),
    ("you should not touch the yellow cube", "touch the yellow cube"),
    ("I don't want you to stack the red block on the green one", "stack the red block on the green one"),
    ("don’t hand me the red block", "hand you the red block"),  # a typographic apostrophe; the reply speaks back
])
def test_negation_moves_nothing_and_says_what_was_understood(text, said):
    r = reply(text)
    assert isinstance(r, Answer), r
    assert r.text == f"OK: I won't {said}. Nothing moves."
    assert r.to_dict()["steps"] == [] and r.to_dict()["answer"] == r.text


def test_a_negated_part_takes_its_blocks_out_of_the_plan():
    assert steps("touch every block but don't touch the red one") == [("touch", {"object": c}) for c in ("green", "blue", "yellow")]
    r = reply("put the red block in the bowl but don't touch the blue one")
    assert [(s.task, s.args) for s in r.steps] == [("place", {"object": "red"})]
    assert r.notes == ("as asked, I won't touch the blue one; no step moves or touches the blue block",)
    assert r.to_dict()["notes"] == list(r.notes)
    assert steps("touch all the blocks except the red one, and never touch the blue one") == [
        ("touch", {"object": "green"}), ("touch", {"object": "yellow"})]
    assert steps("put the green block in the bowl but not the red one") == [("place", {"object": "green"})]
    # contradicting itself: nothing is left, and nothing moves
    assert isinstance(reply("touch the red block and never touch the red block"), Answer)


@pytest.mark.parametrize("text,expected", [
    ("put the red block in the bowl, no wait, the green one", [("place", {"object": "green"})]),
    ("put the red block in the bowl. sorry, I mean the blue one", [("place", {"object": "blue"})]),
    ("push the blue cube left, no wait, right", [("push", {"object": "blue", "direction": "right"})]),
    ("put the red block in the bowl, sorry, in the green zone", [("zone", {"object": "red", "zone": "green"})]),
    ("stack the red block on the blue one, no, the green one", [("stack", {"object": "red", "base": "green"})]),
    ("put the red block in the bowl, actually put it on the green one", [("stack", {"object": "red", "base": "green"})]),
    ("put the red block on the blue one, sorry, the yellow block on the blue one", [("stack", {"object": "yellow", "base": "blue"})]),
    ("pick up the red block and put it in the bowl, no, put it on the blue one",
     [("pick", {"object": "red"}), ("stack", {"object": "red", "base": "blue"})]),
    ("touch the red block, then push the blue one left, actually, forward",
     [("touch", {"object": "red"}), ("push", {"object": "blue", "direction": "forward"})]),
    ("touch the green block, I mean the yellow one", [("touch", {"object": "yellow"})]),
    ("move the red block to the green zone, sorry, the blue zone", [("zone", {"object": "red", "zone": "blue"})]),
    ("pick up the red block, no, the bowl", [("place", {"object": "red"})]),
    ("sorry, could you put the red block in the bowl", [("place", {"object": "red"})]),
    ("actually, touch the green block", [("touch", {"object": "green"})]),
])
def test_corrections_inside_one_utterance_keep_only_the_corrected_request(text, expected):
    assert steps(text) == expected


def test_a_correction_that_takes_everything_back_moves_nothing():
    r = reply("put the red block in the bowl, no wait")
    assert isinstance(r, Answer) and "nothing moves" in r.text
    assert reply("put the red block in the bowl, no wait, the green one").notes == (
        "corrected: 'put the red block in the bowl' -> 'put the green one in the bowl'",)


@pytest.mark.parametrize("text", ["help", "what can you do", "What can you do?", "help me", "what are your skills",
                                  "what can I say", "hello", "hi there"])
def test_help_answers_with_the_capabilities(text):
    r = reply(text)
    assert isinstance(r, Answer) and "I can pick up" in r.text and "tray" in r.text and "'stop'" in r.text


@pytest.mark.parametrize("text,expected", [
    ("would you mind putting the red block in the bowl", [("place", {"object": "red"})]),
    ("I'd like you to touch the red block", [("touch", {"object": "red"})]),
    ("go ahead and put the red block in the bowl", [("place", {"object": "red"})]),
    ("make sure the red block ends up in the tray", [("place", {"object": "red"})]),
    ("help me put the red block in the bowl", [("place", {"object": "red"})]),
    ("gingerly lift the red cube", [("pick", {"object": "red"})]),
    ("make a tower", [("stack", {"object": "green", "base": "red"}), ("stack", {"object": "blue", "base": "green"}),
                      ("stack", {"object": "yellow", "base": "blue"})]),
])
def test_politeness_is_not_mistaken_for_a_verb(text, expected):
    assert steps(text) == expected


OPEN_REQUESTS = [
    "make me a sandwich", "bring me a coffee", "go to the kitchen", "pick up the banana", "fetch my slippers",
    "build a house", "make a mess", "hand me the yellow block", "tell me a joke", "play some music",
    "water the plants", "order a pizza", "call my mother", "turn on the lights", "open the door", "clean the table",
    "fold the laundry", "write a poem", "sing a song", "dance for me", "tidy up the table", "organize the blocks by size",
    "feed the cat", "find my keys", "lift the car", "put the book on the shelf", "wash the dishes", "cook dinner",
    "read me the news", "set an alarm for six", "levitate the crimson cube", "yank the red block to the left",
    "hug the yellow block", "juggle the blocks", "throw the red block at the wall", "paint the green cube blue",
    "eat the red block", "teleport the blue block to the tray", "mail the green block to my friend",
    "give me a high five", "shake my hand", "make me a coffee", "build a bridge", "make dinner",
]
QUESTIONS = [
    "what color is the red block", "is the red block heavy", "where is the blue block", "what is your name",
    "how far is the red block", "which block is closest to the tray?", "why is the sky blue", "who made you",
    "did you touch the red block", "does the red block fit in the bowl", "how many blocks are there",
    "what time is it", "are you a robot", "is it raining", "what is two plus two", "whose block is this",
    "when does the shop open", "how are you", "what's the weather like", "is the tray empty",
]
STATEMENTS = [
    "the red block is pretty", "the red block is in the bowl", "I like the blue block", "the sky is blue",
    "the blue cube is heavier than the red one", "my name is Sam", "it is cold in here", "that was great",
    "the table is dirty", "you are slow", "I am tired", "the green block was moved", "blocks are fun",
    "the yellow cube is next to the tray", "this is a test",
]
NONSENSE = [
    "asdf qwer", "blorp the red block", "the quick brown fox jumps over the lazy dog", "xyzzy", "colorless green ideas sleep furiously",
    "banana banana banana", "zzz", "lorem ipsum dolor sit amet", "flibbertigibbet the navy cube", "red red red",
    "blocks blocks blocks", "gronk", "123 456", "!!!", "the the the", "up down left right", "purple monkey dishwasher",
]
FOREIGN = [
    "pon el bloque rojo en la bandeja", "mets le bloc rouge dans le bol", "nimm den roten Block", "metti il blocco rosso",
    "coloca el cubo azul", "touche le bloc vert", "leg den gelben Block in die Schale", "pega o bloco vermelho",
    "把红色方块放进托盘", "赤いブロックを取って", "поставь красный блок", "ضع المكعب الأحمر", "zet het rode blok in de kom",
    "prenez le cube jaune", "agarra el bloque verde",
]
OUT_OF_SCOPE = OPEN_REQUESTS + QUESTIONS + STATEMENTS + NONSENSE + FOREIGN


def test_there_are_at_least_100_out_of_scope_utterances_of_each_kind():
    assert len(set(OUT_OF_SCOPE)) == len(OUT_OF_SCOPE) >= 100
    assert min(len(OPEN_REQUESTS), len(QUESTIONS), len(STATEMENTS), len(NONSENSE), len(FOREIGN)) >= 15


@pytest.fixture(scope="module")
def minilm():
    from heron.language.embedding import MiniLMEmbedder

    return MiniLMEmbedder()


@pytest.mark.parametrize("threshold", [0.45, 0.05])
def test_no_out_of_scope_utterance_produces_a_step(minilm, threshold):
    """Property: whatever the fallback scores (even at a threshold of 0.05), none moves anything."""
    interp = Interpreter(InterpreterConfig(threshold=threshold), embedder=minilm)
    made = {t: r.to_dict()["steps"] for t in OUT_OF_SCOPE if (r := interp.interpret(t, SCENE)).to_dict()["steps"]}
    assert made == {}
    kinds = {t: interp.interpret(t, SCENE).kind for t in OPEN_REQUESTS}
    assert all(k in ("refusal", "question") for k in kinds.values()), kinds
    refused = [t for t in OPEN_REQUESTS if isinstance(interp.interpret(t, SCENE), Refusal)]
    assert len(refused) == len(OPEN_REQUESTS), set(OPEN_REQUESTS) - set(refused)
    assert all("I can pick up" in interp.interpret(t, SCENE).text for t in refused)  # the refusal names the skills
