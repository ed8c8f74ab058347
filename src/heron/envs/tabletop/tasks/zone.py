"""zone {object, zone}: the named block stands inside the colored square of that zone, released."""

from __future__ import annotations

from heron.envs.tabletop import objects as O
from heron.envs.tabletop.experts import CarryExpert
from heron.envs.tabletop.tasks.base import Task
from heron.envs.tabletop.tasks.registry import register_task


@register_task("zone")
class Zone(Task):
    arg_keys = ("object", "zone")
    templates = {
        "train": (
            "move the {object} block to the {zone} zone",
            "put the {object} cube in the {zone} square",
            "place the {object} block on the {zone} area",
            "slide the {object} block into the {zone} zone",
            "move the {object} cube to the {zone} zone",
            "put the {object} block on the {zone} square",
            "place the {object} cube in the {zone} area",
            "take the {object} block to the {zone} square",
            "can you move the {object} block to the {zone} zone",
            "the {object} cube should end up in the {zone} square",
        ),
        "heldout": (
            "the {object} cube belongs on the {zone} patch",
            "bring the {object} block over to the {zone} region",
        ),
    }
    max_steps = 70

    @classmethod
    def required_zones(cls, args):
        return (args["zone"],)

    def check_scene(self, scene) -> None:
        scene.zone_center(self.args["zone"])  # raises ValueError naming the zones present

    @classmethod
    def sample_args(cls, scene, rng):
        zones = list(scene.zones)
        zone = zones[int(rng.integers(len(zones)))]
        return {"object": O.BLOCK_COLORS[int(rng.integers(len(O.BLOCK_COLORS)))], "zone": zone}

    def success(self, scene) -> bool:
        color = self.args["object"]
        pos, c = scene.block_pos(color), scene.zone_center(self.args["zone"])
        inside = max(abs(pos[0] - c[0]), abs(pos[1] - c[1])) <= O.ZONE_SIZE / 2 - 0.005
        on_table = pos[2] < O.TABLE_Z + scene.block_size / 2 + 0.005
        return bool(inside and on_table and not scene.robot_touching(color))

    def make_expert(self, env):
        zone = self.args["zone"]

        def goal(scene):
            return scene.zone_center(zone)[:2], O.TABLE_Z + scene.block_size / 2 + 0.004

        return CarryExpert(self.args["object"], goal=goal)
