"""heron's PyBullet tabletop simulator: a Panda, colored blocks, a tray, zones, and language tasks.

Importing ``sim`` does not import PyBullet (environments are registered by entry-point string).

    from heron.envs import tabletop as sim
    env = sim.make_env(task="pick")          # or gymnasium.make("heron/Pick-v0")
    obs, info = env.reset(seed=0, options={"task": "stack", "args": {"object": "red", "base": "blue"}})
    obs, reward, terminated, truncated, info = env.step(env.expert_action())
"""

from __future__ import annotations

import gymnasium as gym

from heron.envs.tabletop import tasks
from heron.envs.tabletop.objects import BLOCK_COLORS, CONTAINER, DIRECTIONS, DISTRACTORS, RGBA, ZONE_COLORS
from heron.envs.tabletop.tasks import TASKS, parse_instruction, sample_instruction

ENV_IDS = {
    "heron/Pick-v0": "pick",
    "heron/Place-v0": "place",
    "heron/Stack-v0": "stack",
    "heron/Push-v0": "push",
    "heron/Touch-v0": "touch",
    "heron/Zone-v0": "zone",
    "heron/Tabletop-v0": None,
}
COLORS = BLOCK_COLORS
OBJECTS = BLOCK_COLORS  # the graspable objects, named by color


def make_env(task: str | None = None, image_size: int = 96, control_hz: int = 10, split: str = "train", gui: bool = False, **kw):
    """A TabletopEnv (unwrapped); ``task`` None samples any family at each reset."""
    from heron.envs.tabletop.env import TabletopEnv

    return TabletopEnv(task=task, image_size=image_size, control_hz=control_hz, split=split, gui=gui, **kw)


def _register() -> None:
    for env_id, task in ENV_IDS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point="heron.envs.tabletop.env:TabletopEnv", kwargs={"task": task})


_register()

__all__ = [
    "make_env", "ENV_IDS", "TASKS", "tasks", "parse_instruction", "sample_instruction",
    "BLOCK_COLORS", "COLORS", "OBJECTS", "ZONE_COLORS", "DIRECTIONS", "DISTRACTORS", "CONTAINER", "RGBA",
]
