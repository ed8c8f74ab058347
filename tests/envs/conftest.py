import pytest

from heron.envs import tabletop as sim


@pytest.fixture(scope="module")
def env():
    e = sim.make_env(task=None, image_size=64)
    yield e
    e.close()


@pytest.fixture
def run_expert():
    return _run_expert


def _run_expert(env, seed, options=None, max_steps=None):
    """Run the scripted expert to the end of the episode; returns (info, steps, actions)."""
    obs, info = env.reset(seed=seed, options=options)
    actions = []
    limit = max_steps or info["max_steps"]
    for _ in range(limit):
        a = env.expert_action()
        actions.append(a)
        obs, reward, terminated, truncated, info = env.step(a)
        if terminated or truncated:
            break
    return info, len(actions), actions
