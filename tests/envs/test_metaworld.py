"""Meta-World MT50 under LeRobot's protocol: every id builds and declares what it returns, frames are real,
the scripted experts solve tasks, and bad input gets a clear message."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import heron
from heron.envs import features_of
from heron.envs.metaworld import GROUPS, group_of, instruction, parse_tasks, task_names

MT50 = task_names()


def test_the_table_is_mt50():
    assert len(MT50) == 50 and len({instruction(t) for t in MT50}) == 49  # push and push-back share one string
    sizes = {g: sum(group_of(t) == g for t in MT50) for g in GROUPS}
    assert sizes == {"easy": 28, "medium": 11, "hard": 6, "very_hard": 5}
    assert instruction("pick-place-v3") == "Pick and place a puck to a goal"
    assert parse_tasks("very_hard") == ["shelf-place-v3", "disassemble-v3", "stick-pull-v3", "stick-push-v3", "pick-place-wall-v3"]
    assert parse_tasks("reach,metaworld/push-v3,reach") == ["reach-v3", "push-v3"]


def test_every_mt50_id_builds_with_observations_matching_its_features():
    ids = [i for i in heron.env_ids() if i.startswith("metaworld/")]
    assert sorted(ids) == [f"metaworld/{t}" for t in MT50]
    for env_id in ids:
        env = heron.make_env(env_id, image_size=64)
        try:
            features = features_of(env)
            obs, info = env.reset(seed=1000)
            assert set(features.cameras) == {"rgb_corner2"} and features.state_dim == 4 and features.action_dim == 4
            for cam, (h, w) in features.cameras.items():
                assert obs[cam].shape == (h, w, 3) and obs[cam].dtype == np.uint8, env_id
                assert obs[cam].std() > 5, f"{env_id}: blank frame"
            assert obs["proprio"].shape == (features.state_dim,) and obs["proprio"].dtype == np.float32
            assert env.observation_space[cam].contains(obs[cam])
            assert env.action_space.shape == (4,) and env.action_space.low.min() == -1
            assert info["instruction"] == instruction(env_id.split("/")[1]) and info["success"] is False
            obs2, _, terminated, truncated, info = env.step(np.zeros(4, np.float32))
            assert not terminated and not truncated and "success" in info
        finally:
            env.close()


def test_positions_are_drawn_per_reset_from_the_seed():
    env = heron.make_env("metaworld/reach-v3", image_size=64)
    try:
        a = env.reset(seed=1000)[0]["rgb_corner2"]
        b = env.reset(seed=1001)[0]["rgb_corner2"]
        c = env.reset(seed=1000)[0]["rgb_corner2"]
        assert np.array_equal(a, c) and not np.array_equal(a, b)
    finally:
        env.close()


@pytest.mark.parametrize("task", ["reach-v3", "drawer-open-v3", "pick-place-v3"])
def test_the_scripted_expert_solves_the_task(task):
    env = heron.make_env(f"metaworld/{task}", image_size=64)
    try:
        for seed in (1000, 1001):
            env.reset(seed=seed)
            for _ in range(500):
                _, _, terminated, truncated, info = env.step(env.unwrapped.expert_action())
                if terminated or truncated:
                    break
            assert info["success"] and terminated, (task, seed)
    finally:
        env.close()


def test_an_unknown_task_gets_did_you_mean():
    with pytest.raises(ValueError, match="Did you mean 'metaworld/pick-place-v3'"):
        heron.make_env("metaworld/pick-plase-v3")
    with pytest.raises(ValueError, match="Did you mean 'door-open-v3'"):
        parse_tasks("door-opn")


def _fresh(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env})


def test_missing_metaworld_names_the_extra():
    out = _fresh("import sys; sys.modules['metaworld'] = None\nimport heron\nheron.make_env('metaworld/reach-v3')")
    assert out.returncode != 0 and "pip install 'heron[metaworld]'" in out.stderr, out.stderr[-500:]


def test_unavailable_rendering_names_the_mujoco_gl_choices():
    out = _fresh("import heron\nheron.make_env('metaworld/reach-v3')", MUJOCO_GL="wgl")
    assert out.returncode != 0 and "egl, osmesa, glfw" in out.stderr, out.stderr[-500:]
