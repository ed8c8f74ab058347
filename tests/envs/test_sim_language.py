import itertools
import re

import numpy as np
import pytest

from heron.envs.tabletop.tasks import ARG_VALUES, TASKS, fill_template, parse_instruction, sample_instruction


def _all_args(cls):
    for values in itertools.product(*(ARG_VALUES[k] for k in cls.arg_keys)):
        args = dict(zip(cls.arg_keys, values))
        try:
            cls.validate_args(args)
        except ValueError:
            continue
        yield args


@pytest.mark.parametrize("task", TASKS.names())
def test_templates_split_disjoint_and_enough(task):
    t = TASKS.get(task).templates
    assert len(t["train"]) >= 4 and len(t["heldout"]) >= 2
    assert len(set(t["train"]) | set(t["heldout"])) == len(t["train"]) + len(t["heldout"])
    assert not set(t["train"]) & set(t["heldout"])


@pytest.mark.parametrize("task", TASKS.names())
def test_parse_round_trips_every_template(task):
    cls = TASKS.get(task)
    for split in ("train", "heldout"):
        for template in cls.templates[split]:
            for args in _all_args(cls):
                text = fill_template(template, args)
                assert parse_instruction(text) == (task, args), text
                assert parse_instruction(text.upper() + ".") == (task, args)


def test_parse_free_text():
    assert parse_instruction("put the red block in the bowl") == ("place", {"object": "red"})
    assert parse_instruction("stack green on yellow") == ("stack", {"object": "green", "base": "yellow"})
    assert parse_instruction("push blue to the right") == ("push", {"object": "blue", "direction": "right"})
    assert parse_instruction("move yellow to the red zone") == ("zone", {"object": "yellow", "zone": "red"})
    assert parse_instruction("tell me a joke") is None
    assert parse_instruction("pick up the cup") is None
    assert parse_instruction("") is None


def test_sample_instruction_uses_split():
    rng = np.random.default_rng(0)
    for task in TASKS.names():
        cls = TASKS.get(task)
        args = next(_all_args(cls))
        train = {fill_template(t, args) for t in cls.templates["train"]}
        held = {fill_template(t, args) for t in cls.templates["heldout"]}
        for _ in range(10):
            assert sample_instruction(task, args, rng, "train") in train
            assert sample_instruction(task, args, rng, "heldout") in held


def test_env_split_option(env):
    _, info = env.reset(seed=0, options={"task": "pick", "split": "heldout"})
    held = {fill_template(t, info["args"]) for t in TASKS.get("pick").templates["heldout"]}
    assert info["instruction"] in held and info["split"] == "heldout"


def test_instruction_charset_covers_templates():
    from heron.envs.tabletop.env import INSTRUCTION_CHARSET

    for task in TASKS.names():
        cls = TASKS.get(task)
        for template in cls.templates["train"] + cls.templates["heldout"]:
            for args in _all_args(cls):
                assert set(fill_template(template, args)) <= set(INSTRUCTION_CHARSET)


def test_heldout_templates_keep_words_no_training_phrasing_uses():
    """Held-out phrasings test language generalisation only while training never shows their cue words."""
    train_words = {w for cls in map(TASKS.get, TASKS.names()) for t in cls.templates["train"] for w in re.findall(r"[a-z]+", t)}
    for task in TASKS.names():
        for template in TASKS.get(task).templates["heldout"]:
            assert set(re.findall(r"[a-z]+", template)) - train_words - {"object", "base", "zone", "direction"}, template
