"""place {object}: put the named block into the tray (instructions may call it the bowl)."""

from __future__ import annotations

from heron.envs.tabletop import objects as O
from heron.envs.tabletop.experts import CarryExpert
from heron.envs.tabletop.tasks.base import Task
from heron.envs.tabletop.tasks.registry import register_task


def in_tray(scene, color: str) -> bool:
    pos = scene.block_pos(color)
    c = scene.tray_center()
    inside = max(abs(pos[0] - c[0]), abs(pos[1] - c[1])) < O.TRAY_INNER / 2 - 0.005
    low = pos[2] < O.TABLE_Z + O.TRAY_HEIGHT + scene.block_size / 2
    return bool(inside and low)


@register_task("place")
class Place(Task):
    arg_keys = ("object",)
    templates = {
        "train": (
            "put the {object} block in the bowl",
            "place the {object} cube into the tray",
            "drop the {object} block into the container",
            "move the {object} block into the bowl",
            "drop the {object} cube in the bowl",
            "put the {object} block into the container",
            "transfer the {object} cube to the tray",
            "get the {object} block into the bowl",
            "can you put the {object} cube in the bowl",
            "the {object} block should end up in the container",
        ),
        "heldout": (
            "the {object} cube goes in the tray",
            "deposit the {object} block inside the bowl",
        ),
    }
    max_steps = 70

    def success(self, scene) -> bool:
        color = self.args["object"]
        return in_tray(scene, color) and not scene.robot_touching(color)

    def make_expert(self, env):
        def goal(scene):
            c = scene.tray_center()
            return c[:2], O.TABLE_Z + O.TRAY_FLOOR + scene.block_size / 2 + 0.012

        return CarryExpert(self.args["object"], goal=goal)
