"""pick {object}: lift the named block so its bottom is at least 5 cm above the table."""

from __future__ import annotations

from heron.envs.tabletop import objects as O
from heron.envs.tabletop.experts import CarryExpert
from heron.envs.tabletop.tasks.base import Task
from heron.envs.tabletop.tasks.registry import register_task

LIFT = 0.05


@register_task("pick")
class Pick(Task):
    arg_keys = ("object",)
    templates = {
        "train": (
            "pick up the {object} block",
            "lift the {object} cube",
            "grab the {object} block and lift it",
            "raise the {object} block off the table",
            "take the {object} block off the table",
            "grasp the {object} cube and raise it",
            "lift up the {object} block",
            "hold the {object} cube above the table",
            "can you lift the {object} block",
            "the {object} cube should end up off the table",
        ),
        "heldout": (
            "hoist the {object} cube into the air",
            "please pick the {object} block up",
        ),
    }
    max_steps = 40

    def success(self, scene) -> bool:
        return scene.block_pos(self.args["object"])[2] - scene.block_size / 2 >= O.TABLE_Z + LIFT

    def make_expert(self, env):
        return CarryExpert(self.args["object"], goal=None, lift_z=O.TABLE_Z + 0.13)
