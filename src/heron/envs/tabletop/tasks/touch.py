"""touch {object}: the robot (fingers or hand) makes contact with the named block."""

from __future__ import annotations

import numpy as np

from heron.envs.tabletop.experts import aligned_yaw, funnel_z, move_action
from heron.envs.tabletop.tasks.base import Task
from heron.envs.tabletop.tasks.registry import register_task


@register_task("touch")
class Touch(Task):
    arg_keys = ("object",)
    templates = {
        "train": (
            "touch the {object} block",
            "tap the {object} cube",
            "poke the {object} block",
            "reach out and touch the {object} block",
            "touch the {object} cube",
            "tap the {object} block",
            "poke the {object} cube with the gripper",
            "press on the {object} block",
            "can you touch the {object} cube",
            "i want you to tap the {object} block",
        ),
        "heldout": (
            "make contact with the {object} cube",
            "put a fingertip on the {object} block",
        ),
    }
    max_steps = 30

    def success(self, scene) -> bool:
        return scene.robot_touching(self.args["object"])

    def make_expert(self, env):
        return TouchExpert(self.args["object"])


class TouchExpert:
    """Close the gripper and come down on the top face of the block."""

    def __init__(self, color: str):
        self.color = color

    def act(self, env) -> np.ndarray:
        b = env.scene.block_pos(self.color)
        ee = env.ee_pos
        xy_err = float(np.linalg.norm(ee[:2] - b[:2]))
        # closed fingertips sit ~7 mm below the ee point: aim them 4 mm into the top face
        top = b[2] + env.scene.block_size / 2 + 0.007 - 0.004
        yaw = aligned_yaw(env.ee_yaw, env.scene.block_yaw(self.color))
        return move_action(env, (b[0], b[1], funnel_z(top, xy_err, tol=0.006)), yaw, 1.0)
