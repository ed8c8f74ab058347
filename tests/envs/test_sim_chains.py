import numpy as np

from heron.envs import tabletop as sim


def test_chain_advances_and_terminates(env):
    chain = [
        {"task": "pick", "args": {"object": "blue"}},
        {"task": "place", "args": {"object": "blue"}},
        {"task": "touch", "args": {"object": "green"}},
    ]
    obs, info = env.reset(seed=5, options={"chain": chain})
    assert info["num_subtasks"] == 3 and info["subtask_index"] == 0 and info["completed"] == 0
    assert info["max_steps"] == sum(sim.TASKS.get(c["task"]).budget(10) for c in chain)
    seen, rewards = [obs["instruction"]], []
    for _ in range(info["max_steps"]):
        obs, r, term, trunc, info = env.step(env.expert_action())
        rewards.append(r)
        if obs["instruction"] != seen[-1]:
            seen.append(obs["instruction"])
            assert info["instruction"] == obs["instruction"]
        if term or trunc:
            break
    assert term and not trunc and info["completed"] == 3 and info["success"]
    assert info["subtask_index"] == 2 and len(seen) == 3
    assert sum(rewards) == 3.0
    assert sim.parse_instruction(seen[1]) == ("place", {"object": "blue"})


def test_chain_samples_missing_args(env):
    obs, info = env.reset(seed=2, options={"chain": [{"task": "zone"}, {"task": "push"}]})
    assert set(info["args"]) == {"object", "zone"} and info["args"]["zone"] in env.scene.zones


def test_truncated_when_budget_exhausted(env):
    obs, info = env.reset(seed=0, options={"task": "touch"})
    for i in range(info["max_steps"]):
        obs, r, term, trunc, info = env.step(np.zeros(5, np.float32))
    assert trunc and not term and not info["success"]


def test_set_task_keeps_scene(env):
    obs, info = env.reset(seed=3, options={"task": "pick", "args": {"object": "red"}})
    for _ in range(5):
        env.step(env.expert_action())
    yellow = env.scene.block_pos("yellow").copy()
    t = env.sim_time
    info = env.set_task("touch", {"object": "yellow"}, instruction="tap yellow please")
    assert info["task"] == "touch" and info["elapsed_steps"] == 0 and info["instruction"] == "tap yellow please"
    np.testing.assert_allclose(env.scene.block_pos("yellow"), yellow)
    assert env.sim_time == t  # same episode clock
    for _ in range(info["max_steps"]):
        obs, r, term, trunc, info = env.step(env.expert_action())
        if term or trunc:
            break
    assert obs["instruction"] == "tap yellow please" and info["success"] and term
    assert env.sim_time > t and obs["timestamp"] == env.sim_time


def test_zone_args_shape_the_scene(env, run_expert):
    for color in sim.ZONE_COLORS:
        _, info = env.reset(seed=0, options={"task": "zone", "args": {"object": "red", "zone": color}})
        assert color in env.scene.zones
    info, _, _ = run_expert(env, 0, {"task": "zone", "args": {"object": "green", "zone": "yellow"}})
    assert info["success"]
