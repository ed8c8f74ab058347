"""Scene descriptions for the interpreter: from the real simulator, from JSON (and bad JSON), and the
MiniLM fallback with its threshold (the real shipped model)."""

from __future__ import annotations

import json
import math

import pytest

from heron.language import Interpreter, InterpreterConfig, Plan, Question, Refusal, scene_from_json, vocabulary_scene


def test_scene_from_the_simulator_matches_its_layout_and_seed():
    from heron.language.plan_runner import canonical_scene
    from heron.runtime.backends.sim_backend import SimBackend

    with SimBackend(image_size=32) as backend:
        a = canonical_scene(backend, 5)
        layout = backend.env.scene.layout_state
        b = canonical_scene(backend, 5)
        c = canonical_scene(backend, 6)
    assert a == b and a != c  # the same seed, the same table
    assert sorted(a.blocks) == ["blue", "green", "red", "yellow"] and len(a.zones) == 2
    for color, (x, y, _) in layout.blocks.items():
        assert math.isclose(a.blocks[color][0], x, abs_tol=1e-3) and math.isclose(a.blocks[color][1], y, abs_tol=1e-3)
    assert set(a.zones) == set(layout.zones) and set(a.distractors) == {"purple cylinder", "orange sphere"}
    # a relation read from the simulator's positions
    nearest = min(a.blocks, key=lambda k: math.dist(a.blocks[k][:2], a.tray[:2]))
    reply = Interpreter().interpret("pick up the block closest to the tray", a)
    assert isinstance(reply, Plan) and reply.steps[0].args == {"object": nearest}
    missing = next(z for z in ("red", "green", "blue", "yellow") if z not in a.zones)
    reply = Interpreter().interpret(f"move the red block to the {missing} zone", a)
    assert reply.kind == "refusal" and f"no {missing} zone" in reply.text


def test_scene_json_round_trip_and_lists():
    scene = scene_from_json(json.dumps({"blocks": {"red": [0.4, 0.1, 0.02], "blue": [0.5, -0.1]},
                                        "zones": ["green"], "tray": False}))
    assert scene.blocks["blue"] == (0.5, -0.1, 0.0) and scene.zones == {"green": None} and not scene.has_tray
    assert scene_from_json(json.dumps(scene.to_dict())) == scene.__class__(**{**scene.__dict__, "source": "json"})
    only_names = scene_from_json('{"blocks": ["red", "green"]}', vocabulary=vocabulary_scene())
    assert only_names.block_colors == ["red", "green"] and only_names.zones is None


@pytest.mark.parametrize("text,needle", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"zones": ["red"]}', "missing key 'blocks'"),
    ('{"blocks": [], "zones": []}', "at least one block"),
    ('{"blocks": ["red"], "people": 1}', "unknown key(s) people"),
    ('{"blocks": {"red": [0.4, "x"]}}', "scene blocks.red: expected [x, y]"),
    ('{"blocks": {"red": [0.4, NaN]}}', "finite"),
    ('{"blocks": ["purple"]}', "'purple' is not in the vocabulary"),
    ('{"blocks": 3}', "expected a list of names or a mapping"),
    ("x" * 30_000, "at most 20000"),
])
def test_bad_scene_json_is_a_clear_error(text, needle):
    with pytest.raises(ValueError) as exc:
        scene_from_json(text, vocabulary=vocabulary_scene())
    assert needle.lower() in str(exc.value).lower()


def test_config_is_validated():
    with pytest.raises(ValueError, match="threshold"):
        InterpreterConfig(threshold=1.5)
    with pytest.raises(ValueError, match="max_steps"):
        InterpreterConfig(max_steps=0)


@pytest.fixture(scope="module")
def minilm():
    from heron.language.embedding import MiniLMEmbedder

    return MiniLMEmbedder()


def test_minilm_never_makes_a_step_only_a_suggestion(minilm):
    scene = vocabulary_scene()
    for threshold in (0.45, 0.05):  # however low the bar, an unknown verb is refused
        interp = Interpreter(InterpreterConfig(threshold=threshold), embedder=minilm)
        for text in ("levitate the crimson cube", "yank the red block to the left", "hand me the yellow block"):
            reply = interp.interpret(text, scene)
            assert isinstance(reply, Refusal) and "is not one of my skills" in reply.text and "I can pick up" in reply.text
        for text in ("what color is the red block", "is the red block heavy", "I like the blue block"):
            assert interp.interpret(text, scene).kind in ("question", "refusal"), text
    # a verbless clause no rule reads: a question, with the nearest training phrasing as a hint
    reply = Interpreter(InterpreterConfig(threshold=0.45), embedder=minilm).interpret("the crimson cube up in the air", scene)
    assert isinstance(reply, Question) and "did you mean 'pick up the red block'?" in reply.text
    plain = Interpreter(embedder=None).interpret("the crimson cube up in the air", scene)
    assert isinstance(plain, Question) and "did you mean" not in plain.text
    strict = Interpreter(InterpreterConfig(threshold=0.95), embedder=minilm)
    assert "did you mean" not in strict.interpret("the crimson cube up in the air", scene).text
