"""stack {object, base}: the object block rests on top of the base block, released."""

from __future__ import annotations

import numpy as np

from heron.envs.tabletop import objects as O
from heron.envs.tabletop.experts import CarryExpert
from heron.envs.tabletop.tasks.base import Task
from heron.envs.tabletop.tasks.registry import register_task


@register_task("stack")
class Stack(Task):
    arg_keys = ("object", "base")
    templates = {
        "train": (
            "stack the {object} block on the {base} block",
            "put the {object} cube on top of the {base} cube",
            "place the {object} block onto the {base} one",
            "set the {object} block on the {base} block",
            "stack the {object} cube on the {base} cube",
            "put the {object} block onto the {base} block",
            "place the {object} cube on top of the {base} block",
            "lay the {object} block on the {base} one",
            "can you stack the {object} block on the {base} block",
            "the {object} cube should end up on the {base} cube",
        ),
        "heldout": (
            "pile the {object} cube on the {base} cube",
            "build a tower with the {object} block on top of the {base} block",
        ),
    }
    max_steps = 70

    @classmethod
    def check_args(cls, args):
        if args["object"] == args["base"]:
            raise ValueError(f"stack: object and base must differ, both are {args['object']!r}")

    @classmethod
    def sample_args(cls, scene, rng):
        obj, base = rng.choice(len(O.BLOCK_COLORS), 2, replace=False)
        return {"object": O.BLOCK_COLORS[int(obj)], "base": O.BLOCK_COLORS[int(base)]}

    def success(self, scene) -> bool:
        obj, base = self.args["object"], self.args["base"]
        po, pb = scene.block_pos(obj), scene.block_pos(base)
        on_top = np.linalg.norm(po[:2] - pb[:2]) < 0.025 and abs(po[2] - pb[2] - scene.block_size) < 0.008
        return bool(on_top and not scene.robot_touching(obj) and scene.block_speed(obj) < 0.05)

    def make_expert(self, env):
        base = self.args["base"]

        def goal(scene):
            pb = scene.block_pos(base)
            return pb[:2], pb[2] + scene.block_size + 0.005

        return CarryExpert(self.args["object"], goal=goal)
