"""heron collect --policy: a policy drives, the scripted expert labels every state it reaches (DAgger),
failed episodes are kept, and the aggregate trains together with the expert's own data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from heron.collection.collect import collect
from heron.data import DemoDataset

MODULE = '''
import numpy as np
from heron.runtime.interfaces import StepOutput


class Forward:
    """Always +x with the gripper open: never what the expert would do."""

    def reset(self):
        pass

    def set_instruction(self, text):
        self.text = text

    def act(self, obs):
        return StepOutput(action=np.array([1.0, 0.0, 0.0, 0.0, -1.0], np.float32), done=0.0)


def make():
    return Forward()
'''
KW = dict(tasks="touch", workers=1, seed=5, image_size=32, progress=False, max_attempts=1)


@pytest.fixture()
def forward(tmp_path, monkeypatch):
    (tmp_path / "fwd_policy.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))  # spawned workers inherit sys.path
    return "py:fwd_policy:make"


def test_the_policy_drives_and_the_expert_labels_the_states_it_reaches(tmp_path, forward):
    from heron.envs import tabletop as sim
    from heron.envs.tabletop.tasks import TASKS
    from heron.runtime.loop import ControlLoop
    from heron.runtime.plugin import load_plugin

    out = tmp_path / "dagger"
    summary = collect(episodes=2, out=out, policy=forward, policy_share=1.0, **KW)
    budget = TASKS.get("touch").budget(10)
    # kept although the policy failed both: their states are the point
    assert summary["stored"] == 2 and summary["policy"] == {"name": forward, "share": 1.0, "episodes_solved": 0, "episodes": 2}
    ds = DemoDataset(out)
    for info in ds.episodes:
        assert not info.success and info.num_steps == budget and info.scene["policy_steps"] == budget
    # Replay the policy's own actions from the same seed: each stored label is the expert's action at
    # the state reached, and the stored proprio is that state (not where the expert would have gone).
    ep = ds[0]
    env = sim.make_env(image_size=32, split="train")
    try:
        obs, _ = env.reset(seed=ep.seed, options={"task": "touch"})
        loop = ControlLoop(load_plugin(forward))
        loop.set_instruction(obs["instruction"])
        for t in range(ep.num_steps):
            np.testing.assert_array_equal(ep.proprio[t], obs["proprio"])
            np.testing.assert_array_equal(ep.actions[t], env.expert_action())
            obs, *_ = env.step(loop.step(obs).action)
    finally:
        env.close()
    # the expert steers toward the block: its labels are not the executed +x action
    assert np.abs(ep.actions[:, :3] - [1.0, 0.0, 0.0]).max() > 0.5
    meta = json.loads((out / "meta.json").read_text())["config"]
    assert meta["policy"] == forward and meta["policy_share"] == 1.0


def test_a_share_mixes_policy_and_expert_steps_and_is_reproducible(tmp_path, forward):
    a = collect(episodes=2, out=tmp_path / "a", policy=forward, policy_share=0.5, **KW)
    b = collect(episodes=2, out=tmp_path / "b", policy=forward, policy_share=0.5, **KW)
    assert a["stored"] == b["stored"] == 2
    da, db = DemoDataset(tmp_path / "a"), DemoDataset(tmp_path / "b")
    for ia, ib in zip(da.episodes, db.episodes):
        assert 0 < ia.scene["policy_steps"] < ia.num_steps  # both drove
        assert ia.scene == ib.scene and ia.num_steps == ib.num_steps
    np.testing.assert_array_equal(da[0].actions, db[0].actions)


@pytest.mark.parametrize("kwargs, message", [
    ({"policy_share": 0.5}, r"policy_share=0\.5 without policy: name the policy"),
    ({"policy": "runs/no-such-run/final"}, r"policy='runs/no-such-run/final'.*not a policy folder \(no config\.json\) nor an ONNX export"),
    ({"policy": "FORWARD", "policy_share": 1.5}, r"policy_share=1\.5: must be in \(0, 1\]"),
])
def test_bad_policy_settings_are_named_and_nothing_is_written(tmp_path, forward, kwargs, message):
    kwargs = {k: (forward if v == "FORWARD" else v) for k, v in kwargs.items()}
    with pytest.raises(ValueError, match=message):
        collect(episodes=1, out=tmp_path / "x", **{**KW, **kwargs})
    assert not (tmp_path / "x").exists()


def test_resume_with_another_policy_is_refused(tmp_path, forward):
    out = tmp_path / "d"
    collect(episodes=1, out=out, policy=forward, **KW)
    with pytest.raises(ValueError, match=r"policy_share: stored 1\.0, now 0\.5"):
        collect(episodes=2, out=out, policy=forward, policy_share=0.5, **KW)
    assert len(DemoDataset(out)) == 1  # what was saved is still there


def test_a_trained_policy_drives_through_onnx_runtime(tmp_path, tiny_onnx):
    """The real path: a saved policy's ONNX export runs in the collection worker."""
    out = tmp_path / "d"
    summary = collect(episodes=1, out=out, policy=str(tiny_onnx), **{**KW, "image_size": 64})
    info = DemoDataset(out).episodes[0]
    assert summary["stored"] == 1 and info.scene["policy_steps"] == info.num_steps > 0
