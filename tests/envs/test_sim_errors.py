import numpy as np
import pytest

from heron.envs import tabletop as sim
from heron.envs.tabletop.tasks import TASKS, sample_instruction


def test_unknown_task_did_you_mean():
    with pytest.raises(ValueError, match=r"unknown task 'stak'.*Did you mean 'stack'"):
        TASKS.get("stak")
    with pytest.raises(ValueError, match="known: pick, place, push, stack, touch, zone"):
        sim.make_env(task="fly")


def test_bad_color_names_allowed(env):
    with pytest.raises(ValueError, match=r"object='purple'.*allowed: red, green, blue, yellow"):
        env.reset(seed=0, options={"task": "pick", "args": {"object": "purple"}})


def test_bad_direction(env):
    with pytest.raises(ValueError, match=r"direction='up'.*left, right, forward, back"):
        env.reset(seed=0, options={"task": "push", "args": {"object": "red", "direction": "up"}})


def test_bad_keys_and_values():
    with pytest.raises(ValueError, match=r"unknown \['color'\]"):
        TASKS.get("pick").validate_args({"color": "red"})
    with pytest.raises(ValueError, match="must differ"):
        TASKS.get("stack").validate_args({"object": "red", "base": "red"})
    with pytest.raises(ValueError, match="split"):
        sample_instruction("pick", {"object": "red"}, np.random.default_rng(0), "test")


def test_bad_options_and_config(env):
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(seed=0, options={"tsk": "pick"})
    with pytest.raises(ValueError, match="characters outside printable"):
        env.reset(seed=0, options={"task": "pick", "instruction": "pick\tred"})
    with pytest.raises(ValueError, match="control_hz=25"):
        sim.make_env(control_hz=25)
    with pytest.raises(ValueError, match="Did you mean 'image_size'"):
        sim.make_env(image_sise=64)
    with pytest.raises(ValueError, match="action_mode"):
        sim.make_env(action_mode="torque")


def test_bad_action_shape(env):
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(5,\)"):
        env.step(np.zeros(3, np.float32))


def test_zone_missing_from_scene_on_set_task(env):
    env.reset(seed=0, options={"task": "zone", "args": {"object": "red", "zone": "blue"}})
    missing = next(c for c in sim.ZONE_COLORS if c not in env.scene.zones)
    with pytest.raises(ValueError, match=f"no {missing} zone"):
        env.set_task("zone", {"object": "red", "zone": missing})


def test_args_without_task_on_multitask_env(env):
    with pytest.raises(ValueError, match="needs a 'task'"):
        env.reset(seed=0, options={"args": {"object": "red"}})
