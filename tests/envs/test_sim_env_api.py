import math

import numpy as np
import pytest

from heron.envs import tabletop as sim
from heron.envs.tabletop import cameras
from heron.envs.tabletop.tasks.push import DIRECTION_VECTORS


def test_observation_layout(env):
    obs, info = env.reset(seed=0, options={"task": "pick"})
    assert set(obs) == {"rgb_front", "rgb_wrist", "proprio", "instruction", "timestamp"}
    assert obs["rgb_front"].shape == (64, 64, 3) and obs["rgb_wrist"].dtype == np.uint8
    p = obs["proprio"]
    assert p.shape == (22,) and p.dtype == np.float32
    assert abs(p[14] - 0.08) < 1e-3  # gripper starts open (finger distance)
    np.testing.assert_allclose(p[15:18], env.ee_pos, atol=1e-6)
    assert abs(np.linalg.norm(p[18:22]) - 1) < 1e-5
    assert obs["timestamp"] == 0.0 and env.sim_time == 0.0
    obs, *_ = env.step(np.zeros(5, np.float32))
    assert math.isclose(float(obs["timestamp"]), 0.1) and math.isclose(env.sim_time, 0.1)
    assert set(info) >= {"task", "args", "instruction", "split", "subtask_index", "completed", "success", "num_subtasks", "max_steps"}


def test_ee_action_moves_and_clamps(env):
    env.reset(seed=0, options={"task": "touch"})
    start = env.ee_pos.copy()
    for _ in range(2):
        env.step(np.array([1, 0, 0, 0, -1], np.float32))
    assert 0.04 < env.ee_pos[0] - start[0] < 0.06  # 2.5 cm per step
    for _ in range(20):  # drive into the table: the workspace clamp stops it
        env.step(np.array([0, 0, -1, 0, -1], np.float32))
    assert env.ee_pos[2] > env.workspace_low[2] - 0.006
    yaw0 = env.ee_yaw
    env.step(np.array([0, 0, 0, 1, -1], np.float32))
    env.step(np.zeros(5, np.float32))
    assert 0.2 < env.ee_yaw - yaw0 < 0.3


def test_gripper_closes_on_positive_command(env):
    env.reset(seed=0, options={"task": "touch"})
    for _ in range(4):
        obs, *_ = env.step(np.array([0, 0, 0, 0, 1], np.float32))
    assert obs["proprio"][14] < 0.01


def test_depth_and_image_size():
    env = sim.make_env(task="pick", image_size=40, depth=True)
    try:
        obs, _ = env.reset(seed=0)
        d = obs["depth_front"]
        assert d.shape == (40, 40) and d.dtype == np.float32
        eye_to_table = np.linalg.norm(cameras.FRONT_EYE - cameras.FRONT_TARGET)
        assert abs(float(d[20, 20]) - eye_to_table) < 0.1  # the image centre looks at the target point
        assert env.observation_space.contains(obs)
    finally:
        env.close()


def test_joint_mode_and_higher_rate():
    env = sim.make_env(task="touch", action_mode="joint", control_hz=20, image_size=32)
    try:
        assert env.action_space.shape == (8,)
        obs, info = env.reset(seed=1)
        assert info["max_steps"] == 2 * sim.TASKS.get("touch").max_steps
        q0 = obs["proprio"][:7].copy()
        a = np.zeros(8, np.float32)
        a[0] = 1.0
        obs, *_ = env.step(a)
        assert 0.08 < obs["proprio"][0] - q0[0] < 0.12  # 0.1 rad per unit
        for _ in range(info["max_steps"]):
            a = env.expert_action()
            assert a.shape == (8,)
            obs, r, term, trunc, info = env.step(a)
            if term or trunc:
                break
        assert info["success"]
    finally:
        env.close()


@pytest.mark.parametrize("direction", sim.DIRECTIONS)
def test_push_directions_match_the_front_image(direction):
    """"right" moves the block right in the front image, "forward" moves it up (away)."""
    b = np.array([0.5, 0.0, 0.02])
    u0, v0 = cameras.project_front(b, 96)[0]
    u1, v1 = cameras.project_front(b + np.r_[DIRECTION_VECTORS[direction] * 0.1, 0], 96)[0]
    du, dv = u1 - u0, v1 - v0
    expect = {"right": du > 5 and abs(dv) < 1, "left": du < -5 and abs(dv) < 1, "forward": dv < -3 and abs(du) < 1, "back": dv > 3 and abs(du) < 1}
    assert expect[direction], (du, dv)


def test_push_success_is_displacement_along_direction(env, run_expert):
    info, _, _ = run_expert(env, 3, {"task": "push", "args": {"object": "red", "direction": "left"}})
    if info["success"]:
        assert env.task.displacement(env.scene) >= 0.10
    start = env.task.start
    moved = env.scene.block_pos("red") - start
    assert info["success"] and moved[1] < -0.09  # left in the image is world -y


def test_the_tabletop_declares_its_features():
    import heron
    from heron.envs import features_of
    from heron.policies import schema

    env = heron.make_env("heron/Pick-v0", image_size=64)
    try:
        features = features_of(env)
        obs, _ = env.reset(seed=0)
        assert list(features.cameras) == list(schema.CAMERAS) and features.cameras[schema.RGB_FRONT] == (64, 64)
        assert features.state_dim == schema.PROPRIO_DIM == obs["proprio"].shape[0]
        assert features.actions == schema.ACTION_NAMES and env.action_space.shape == (features.action_dim,)
        for cam, (h, w) in features.cameras.items():
            assert obs[cam].shape == (h, w, 3)
    finally:
        env.close()
