"""The optional causal-LM planner: its output is validated against the skills and the scene; a real
(tiny, random, built offline) transformers causal LM writes nonsense, and the rules answer instead."""

from __future__ import annotations

import json

import pytest

from heron.language import Interpreter, Plan, Question, Refusal, SceneDescription
from heron.language.lm_planner import LMPlanner, validate_lm_output

SCENE = SceneDescription(blocks={"red": (0.4, 0.0, 0.02), "blue": (0.5, 0.1, 0.02)}, zones={"green": (0.5, -0.2, 0.0)},
                         tray=(0.6, 0.0, 0.0))


def plan_json(*steps):
    return "Sure! " + json.dumps({"steps": [{"task": t, "args": a} for t, a in steps], "question": None, "refusal": None})


def test_valid_lm_output_becomes_a_plan_with_canonical_words():
    reply, why = validate_lm_output(plan_json(("pick", {"object": "red"}), ("zone", {"object": "red", "zone": "green"})), SCENE)
    assert isinstance(reply, Plan) and why == "ok"
    assert [(s.task, s.args, s.source) for s in reply.steps] == [("pick", {"object": "red"}, "lm"),
                                                                ("zone", {"object": "red", "zone": "green"}, "lm")]
    assert reply.steps[1].instruction == "move the red block to the green zone"
    assert isinstance(validate_lm_output('{"steps": [], "refusal": "no purple block"}', SCENE)[0], Refusal)
    assert isinstance(validate_lm_output('{"steps": [], "question": "which block?"}', SCENE)[0], Question)


@pytest.mark.parametrize("output,why", [
    ("I would pick up the red block.", "no JSON object"),
    ('{"steps": [{"task": "fly", "args": {"object": "red"}}]}', "not a known task"),
    ('{"steps": [{"task": "pick", "args": {"object": "red", "speed": 3}}]}', "args"),
    (plan_json(("pick", {"object": "yellow"})), "the scene lacks"),
    (plan_json(("zone", {"object": "red", "zone": "blue"})), "blue zone the scene lacks"),
    (plan_json(("pick", {"object": "red"}), ("pick", {"object": "blue"})), "two blocks in one hand"),
    ('{"steps": [{"task": "pick", "args": {"object": "red"}', "malformed"),
])
def test_malformed_or_impossible_lm_output_is_not_used(output, why):
    reply, reason = validate_lm_output(output, SCENE)
    assert reply is None and why in reason


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from heron.policies.language import minilm_path

    folder = tmp_path_factory.mktemp("tiny_lm")
    tok = AutoTokenizer.from_pretrained(str(minilm_path()), local_files_only=True)
    tok.save_pretrained(folder)
    GPT2LMHeadModel(GPT2Config(vocab_size=tok.vocab_size, n_embd=32, n_layer=1, n_head=2, n_positions=1024)).save_pretrained(folder)
    return folder


def test_a_real_causal_lm_writing_nonsense_falls_back_to_the_rules(tiny_lm):
    planner = LMPlanner(tiny_lm, max_new_tokens=12)
    text = "pick up the crimson cube, then put it in the tray"
    reply = planner.interpret(text, SCENE)
    assert planner.last_source.startswith("rules (lm output")
    assert reply == Interpreter().interpret(text, SCENE)
    assert isinstance(planner.interpret("", SCENE), Question) and planner.last_source == "rules (input check)"
    # stop, help, negation and out-of-scope requests never reach the LM: it could make up a plan
    for text, kind in (("stop", "stop"), ("what can you do", "answer"), ("don't touch anything", "answer"),
                       ("make me a sandwich", "refusal")):
        assert planner.interpret(text, SCENE).kind == kind and planner.last_source == f"rules ({kind}: the LM is not asked)"


def test_a_folder_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no config.json"):
        LMPlanner(tmp_path)
