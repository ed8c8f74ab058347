import numpy as np
import pytest

from heron.envs import tabletop as sim
from heron.envs.tabletop.experts import perturb

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("task", sim.TASKS.names())
def test_expert_solves_family(env, run_expert, task):
    for seed in SEEDS:
        info, steps, _ = run_expert(env, seed, options={"task": task})
        assert info["success"], f"{task} seed {seed}: {info}"
        assert info["completed"] == 1 and steps <= info["max_steps"]


@pytest.mark.parametrize("task", ["pick", "push", "place"])
def test_expert_corrects_dart_noise(env, task):
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=11, options={"task": task})
    for _ in range(info["max_steps"]):
        clean = env.expert_action()
        obs, r, term, trunc, info = env.step(perturb(clean, rng, sigma=0.3))
        if term or trunc:
            break
    assert info["success"], info


def test_expert_retries_a_missed_grasp(env):
    """Knock the block away just as the gripper closes: the expert must come back for it."""
    obs, info = env.reset(seed=4, options={"task": "pick", "args": {"object": "red"}})
    moved = False
    for _ in range(info["max_steps"]):
        a = env.expert_action()
        if not moved and env.task._expert.phase == "grasp":
            p, cid = env._p, env.client_id
            pos, quat = p.getBasePositionAndOrientation(env.scene.blocks["red"], physicsClientId=cid)
            p.resetBasePositionAndOrientation(env.scene.blocks["red"], (pos[0] + 0.06, pos[1], pos[2]), quat, physicsClientId=cid)
            moved = True
        obs, r, term, trunc, info = env.step(a)
        if term or trunc:
            break
    assert moved and info["success"], info


def test_perturb_is_seeded_and_clipped():
    a = np.array([0.9, -0.9, 0.0, 0.0, 1.0], np.float32)
    x = perturb(a, np.random.default_rng(3), 0.5)
    y = perturb(a, np.random.default_rng(3), 0.5)
    np.testing.assert_array_equal(x, y)
    assert x.dtype == np.float32 and np.all(np.abs(x) <= 1) and not np.allclose(x, a)
    assert perturb(a, np.random.default_rng(3), 0.5, gripper=False)[4] == 1.0
    with pytest.raises(ValueError, match="sigma"):
        perturb(a, np.random.default_rng(0), -1)


def test_expert_action_repeatable_within_a_step(env):
    env.reset(seed=0, options={"task": "stack"})
    for _ in range(12):
        a = env.expert_action()
        np.testing.assert_array_equal(a, env.expert_action())
        env.step(a)
