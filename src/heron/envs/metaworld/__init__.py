"""Meta-World MT50 (Farama's ``metaworld`` on MuJoCo) under LeRobot's protocol, as Gymnasium envs.

``heron.make_env("metaworld/reach-v3")``: one camera (LeRobot's moved ``corner2``, rotated 180 degrees), the
4-number agent state (hand xyz, gripper), the task's instruction from LeRobot's table, 4 actions in [-1, 1],
500 steps at most, object and goal positions drawn per reset from the seed. Registering the 50 ids imports
neither metaworld nor MuJoCo; building an env does (``pip install 'heron[metaworld]'``).
"""

from __future__ import annotations

import gymnasium as gym

from heron.envs.metaworld.tasks import GROUPS, NAMESPACE, check_task, group_of, instruction, parse_tasks, task_names

MAX_STEPS = 500


def _register() -> None:
    for task in task_names():
        env_id = f"{NAMESPACE}{task}"
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point="heron.envs.metaworld.env:MetaWorldEnv", kwargs={"task": task},
                         disable_env_checker=True)


_register()

__all__ = ["GROUPS", "MAX_STEPS", "check_task", "group_of", "instruction", "parse_tasks", "task_names"]
