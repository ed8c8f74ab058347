"""heron eval --policy py:package.module:factory: any object with the Policy methods, evaluated like heron's own."""

from __future__ import annotations

import pytest

from heron.evaluation.evaluate import evaluate

MODULE = '''
from heron.runtime import load_policy


class Wrapped:
    """Someone else's policy object: here heron's shipped default behind a plain class."""

    def __init__(self):
        self.inner = load_policy("default", runtime="onnx", threads=1)

    def reset(self):
        self.inner.reset()

    def set_instruction(self, text):
        self.inner.set_instruction(text)

    def act(self, obs):
        return self.inner.act(obs)


def make():
    return Wrapped()


def broken():
    return object()
'''


def test_plugin_policy_gives_the_same_numbers_as_the_policy_it_wraps(tmp_path, monkeypatch):
    (tmp_path / "my_policy.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    kw = dict(suite="seen", episodes=2, workers=1, tasks=["touch"], runtime="onnx")
    mine, ours = evaluate("py:my_policy:make", **kw), evaluate("default", **kw)
    assert [(e["success"], e["steps"]) for e in mine["episodes"]] == [(e["success"], e["steps"]) for e in ours["episodes"]]
    with pytest.raises(ValueError, match=r"broken\(\) returned a object without reset, set_instruction, act"):
        evaluate("py:my_policy:broken", **kw)
    with pytest.raises(ValueError, match=r"cannot import 'nope_module'"):
        evaluate("py:nope_module:make", **kw)
    with pytest.raises(ValueError, match=r"expected py:package.module:factory"):
        evaluate("py:my_policy", **kw)
