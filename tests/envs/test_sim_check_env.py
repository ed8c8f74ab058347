import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from heron.envs import tabletop as sim


@pytest.mark.parametrize("env_id", sorted(sim.ENV_IDS))
def test_check_env(env_id):
    env = gym.make(env_id, image_size=48)
    try:
        check_env(env.unwrapped)
        obs, info = env.reset(seed=1)
        assert env.observation_space.contains(obs)
        if sim.ENV_IDS[env_id] is not None:
            assert info["task"] == sim.ENV_IDS[env_id]
    finally:
        env.close()


def test_all_families_have_an_env_id():
    assert sorted(t for t in sim.ENV_IDS.values() if t) == sim.TASKS.names()


def test_render_rgb_array():
    env = sim.make_env(task="pick", render_mode="rgb_array", render_size=128)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (128, 128, 3) and frame.dtype.name == "uint8" and frame.std() > 5
    env.close()
    env.close()  # closing twice is allowed
