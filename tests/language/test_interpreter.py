"""The rule interpreter on a fixed scene: synonyms, references, quantifiers, ordering, relations,
questions, refusals and bad input. Pure Python: no simulator, no model."""

from __future__ import annotations

import pytest

from heron.language import Interpreter, Plan, Question, Refusal, SceneDescription, vocabulary_scene

# Front camera view: +y is to the right. Left to right: red (-0.2), blue (0.0), green (0.1), yellow (0.2).
SCENE = SceneDescription(
    blocks={"red": (0.40, -0.20, 0.02), "green": (0.50, 0.10, 0.02), "blue": (0.60, 0.00, 0.02),
            "yellow": (0.35, 0.20, 0.02)},
    zones={"green": (0.60, -0.20, 0.0), "blue": (0.45, 0.25, 0.0)},
    tray=(0.55, -0.05, 0.0),
    distractors={"purple cylinder": (0.40, 0.00, 0.0), "orange sphere": (0.65, 0.20, 0.0)},
    source="test",
)


def plan(text, scene=SCENE):
    reply = Interpreter().interpret(text, scene)
    assert isinstance(reply, Plan), f"{text!r} -> {reply}"
    return [(s.task, s.args) for s in reply.steps], [s.instruction for s in reply.steps]


def steps(text, scene=SCENE):
    return plan(text, scene)[0]


R, G, B, Y = "red", "green", "blue", "yellow"


def o(c):
    return {"object": c}


@pytest.mark.parametrize("text,expected", [
    ("grab the crimson cube", [("pick", o(R))]),
    ("put the yellow block in the receptacle", [("place", o(Y))]),
    ("drop the scarlet brick into the container", [("place", o(R))]),
    ("move the red cube to the green square patch", [("zone", {"object": R, "zone": G})]),
    ("balance the yellow one on the green one", [("stack", {"object": Y, "base": G})]),
    ("put yellow over green", [("stack", {"object": Y, "base": G})]),
    ("shove the navy block forwards", [("push", {"object": B, "direction": "forward"})]),
    ("nudge the golden cube toward the camera", [("push", {"object": Y, "direction": "back"})]),
    ("give the red cube a push to the left", [("push", {"object": R, "direction": "left"})]),
    ("using a closed gripper, move the red block to the left", [("push", {"object": R, "direction": "left"})]),
    ("put a fingertip on the red block", [("touch", o(R))]),
    ("the red cube should end up off the table", [("pick", o(R))]),
    ("the red cube goes in the tray", [("place", o(R))]),
    ("build a tower with the red block on top of the blue block", [("stack", {"object": R, "base": B})]),
    ("stack green on yellow", [("stack", {"object": G, "base": Y})]),
])
def test_synonyms_and_phrasings(text, expected):
    assert steps(text) == expected


def test_each_training_and_heldout_template_parses_to_its_own_task():
    from heron.envs.tabletop.tasks import TASKS, fill_template

    args = {"pick": o(R), "place": o(G), "touch": o(B), "push": {"object": Y, "direction": "right"},
            "stack": {"object": R, "base": Y}, "zone": {"object": G, "zone": B}}
    for name in TASKS.names():
        for split in ("train", "heldout"):
            for template in TASKS.get(name).templates[split]:
                text = fill_template(template, args[name])
                assert steps(text) == [(name, args[name])], text


def test_references_keep_the_persons_words_with_the_block_named():
    s, words = plan("pick up the red block, then put it in the bowl")
    assert s == [("pick", o(R)), ("place", o(R))]
    assert words == ["pick up the red block", "put the red block in the bowl"]
    assert steps("lift the green cube and stack the same block on the yellow one") == [
        ("pick", o(G)), ("stack", {"object": G, "base": Y})]
    assert steps("stack the red block on the blue one, then push the other one left") == [
        ("stack", {"object": R, "base": B}), ("push", {"object": B, "direction": "left"})]
    assert steps("tap the emerald block then poke that one again") == [("touch", o(G)), ("touch", o(G))]


def test_quantifiers_expand_over_the_scene():
    assert steps("put all the blocks in the bowl") == [("place", o(c)) for c in (R, G, B, Y)]
    s, words = plan("touch every block except the red one")
    assert s == [("touch", o(c)) for c in (G, B, Y)]
    assert words == ["touch the green block", "touch the blue block", "touch the yellow block"]
    assert steps("put every block but the blue one and the yellow one in the green zone") == [
        ("zone", {"object": c, "zone": G}) for c in (R, G)]
    assert steps("stack the blocks into a tower") == [
        ("stack", {"object": G, "base": R}), ("stack", {"object": B, "base": G}), ("stack", {"object": Y, "base": B})]
    assert steps("touch the red block, the blue block and the green one") == [("touch", o(c)) for c in (R, B, G)]


def test_ordering_words():
    assert steps("before you stack it on the blue one, lift the red block") == [
        ("pick", o(R)), ("stack", {"object": R, "base": B})]
    assert steps("put the red block in the tray, but before that touch the blue one") == [("touch", o(B)), ("place", o(R))]
    assert steps("touch the red block after you touch the blue one") == [("touch", o(B)), ("touch", o(R))]
    assert steps("first touch the red block, then push it left, after that put the green one in the tray") == [
        ("touch", o(R)), ("push", {"object": R, "direction": "left"}), ("place", o(G))]
    # one hand: "them" after two picks interleaves
    assert steps("pick up the red and blue blocks and put them in the tray") == [
        ("pick", o(R)), ("place", o(R)), ("pick", o(B)), ("place", o(B))]
    assert steps("move the red block to the green zone and the blue block to the tray") == [
        ("zone", {"object": R, "zone": G}), ("place", o(B))]


def test_relations_resolve_from_positions_as_seen_from_the_front_camera():
    # tray at (0.55, -0.05): blue is 0.07 away, the nearest
    assert steps("pick up the block closest to the tray") == [("pick", o(B))]
    assert steps("pick up the block farthest from the tray") == [("pick", o(Y))]
    # left of blue (y = 0.0) as seen from the front camera: the nearest block with smaller y is red
    s, words = plan("push the block left of the blue one as seen from the front camera to the right")
    assert s == [("push", {"object": R, "direction": "right"})] and words == ["push the red block to the right"]
    assert steps("touch the block to the right of the blue one") == [("touch", o(G))]
    assert steps("pick up the leftmost block") == [("pick", o(R))]
    assert steps("put the rightmost block on the block closest to the tray") == [("stack", {"object": Y, "base": B})]


@pytest.mark.parametrize("text,needle", [
    ("pick up the block", "which block? I see red, green, blue and yellow"),
    ("put it in the tray", "'it'"),
    ("pick up the red blue block", "two colours"),
    ("move the red block", "where should I move"),
    ("push the green block", "which way"),
    ("move the red block into the zone", "which zone: green or blue"),
    ("stack the red block", "stack the red block on"),
    ("", "empty"),
    ("   \n ", "empty"),
    ("把红色方块放进托盘", "English"),
    ("the red block, please", "rephrase"),
])
def test_questions(text, needle):
    reply = Interpreter().interpret(text, SCENE)
    assert isinstance(reply, Question), reply
    assert needle.lower() in reply.text.lower()
    assert reply.to_dict() == {"steps": [], "question": reply.text, "refusal": None, "stop": False, "answer": None,
                               "notes": []}


@pytest.mark.parametrize("text,needle", [
    ("pick up the purple block", "there is no purple block: the purple object is a cylinder"),
    ("pick up the pink block", "there is no pink block"),
    ("pick up the orange sphere", "can't move the orange sphere"),
    ("pick up the tray", "can't move the tray"),
    ("put the red block in the red zone", "no red zone here; the zones are green and blue"),
    ("put the red block next to the blue one", "next to"),
    ("stack the red block on itself", "on itself"),
    ("throw the red block", "can't throw"),
    ("dance a little jig", "can't dance"),
    ("levitate the crimson cube", "'levitate' is not one of my skills"),
    ("pon el bloque rojo en la bandeja", "'pon' is not one of my skills"),
    ("make me a sandwich", "'sandwich'"),
    ("hand me the yellow block", "'hand' is not one of my skills"),
    ("pick up the red block and the green block", "one block at a time"),
    ("put the red block in the cylinder", "purple cylinder"),
    # an impossible part refuses the whole command, even after a question
    ("pick up the block, then pick up the purple block", "no purple block"),
    ("x" * 10_000, "10000 characters"),
    ("pick up the red\x07 block", "control characters (U+0007)"),
])
def test_refusals(text, needle):
    reply = Interpreter().interpret(text, SCENE)
    assert isinstance(reply, Refusal), reply
    assert needle.lower() in reply.text.lower()
    assert reply.to_dict()["steps"] == []


def test_not_text_is_refused():
    assert isinstance(Interpreter().interpret(None, SCENE), Refusal)
    assert isinstance(Interpreter().interpret(b"pick up the red block", SCENE), Refusal)


def test_scene_grounds_the_answers():
    two = SceneDescription(blocks={"red": (0.4, 0.0, 0.02), "blue": (0.5, 0.1, 0.02)}, zones={"yellow": (0.5, -0.2, 0)},
                           tray=None, has_tray=False)
    assert steps("pick up the block closest to the robot", two) == [("pick", o(R))]
    assert steps("touch the red block, then touch the other one", two) == [("touch", o(R)), ("touch", o(B))]
    assert isinstance(Interpreter().interpret("pick up the green block", two), Refusal)
    assert isinstance(Interpreter().interpret("put the red block in the tray", two), Refusal)
    assert steps("move the red block into the zone", two) == [("zone", {"object": R, "zone": Y})]


def test_a_vocabulary_scene_refuses_only_what_the_vocabulary_rules_out():
    vocab = vocabulary_scene()
    assert steps("move the red block to the yellow zone", vocab) == [("zone", {"object": R, "zone": Y})]
    assert isinstance(Interpreter().interpret("pick up the purple block", vocab), Refusal)
    reply = Interpreter().interpret("pick up the block closest to the tray", vocab)
    assert isinstance(reply, Refusal) and "no object positions" in reply.text


def test_canonical_phrasing_is_a_training_template():
    from heron.envs.tabletop.tasks import TASKS, fill_template

    reply = Interpreter().interpret("grab the crimson cube and drop it in the receptacle", SCENE)
    assert [s.instruction for s in reply.steps] == ["grab the crimson cube", "drop the red block in the receptacle"]
    out = reply.to_dict(canonical=True)["steps"]
    assert [s["instruction"] for s in out] == [fill_template(TASKS.get("pick").templates["train"][0], o(R)),
                                                 fill_template(TASKS.get("place").templates["train"][0], o(R))]


def test_too_many_steps_are_refused():
    reply = Interpreter().interpret("touch all the blocks, then touch all the blocks, then touch all the blocks, "
                                    "then touch all the blocks", SCENE)
    assert isinstance(reply, Refusal) and "16 steps" in reply.text


def test_repeats_and_placements_relative_to_a_block():
    assert steps("put the red block in the bowl then do the same with the blue block") == [("place", o(R)), ("place", o(B))]
    assert steps("touch the blue block twice") == [("touch", o(B)), ("touch", o(B))]
    assert steps("put both the red and green blocks in the bowl") == [("place", o(R)), ("place", o(G))]
    reply = Interpreter().interpret("move the red block to the left of the blue block", SCENE)
    assert isinstance(reply, Refusal) and "to the left of" in reply.text
    assert steps("touch the one closest to the tray") == [("touch", o(B))]


def test_cataphora_in_after_clauses_and_a_trailing_exception():
    assert steps("put the red block in the tray after lifting it") == [("pick", o(R)), ("place", o(R))]
    assert steps("after lifting it, put the red block on the blue one") == [("pick", o(R)), ("stack", {"object": R, "base": B})]
    s, words = plan("move every block into the tray except the yellow one")
    assert s == [("place", o(c)) for c in (R, G, B)]
    assert words[0] == "move the red block into the tray"
