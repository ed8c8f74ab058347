"""push {object, direction}: with the gripper closed, push the named block at least 10 cm in a
direction as seen in the front camera image (left/right across the image, forward = away from the
camera, back = toward it)."""

from __future__ import annotations

import math

import numpy as np

from heron.envs.tabletop import cameras
from heron.envs.tabletop import objects as O
from heron.envs.tabletop.experts import funnel_z, move_action, wrap
from heron.envs.tabletop.tasks.base import Task
from heron.envs.tabletop.tasks.registry import register_task

DISTANCE = 0.10
HALF = O.BLOCK_SIZE / 2
PUSH_Z = O.TABLE_Z + 0.022  # ee height while pushing (closed fingertips ~1.5 cm above the table)
# The closed finger pair is ~3 cm across along the finger axis but ~2.6 cm thick across it, so
# the expert pushes with the finger axis across the push direction.
BEHIND = HALF + 0.019  # ee distance behind the block centre when in contact


def _direction_vectors() -> dict[str, np.ndarray]:
    f = cameras.FRONT_TARGET - cameras.FRONT_EYE
    fwd = np.array([f[0], f[1]]) / math.hypot(f[0], f[1])
    right = np.array([-fwd[1], fwd[0]]) * -1.0  # image right = forward x up, on the table plane
    return {"forward": fwd, "back": -fwd, "right": right, "left": -right}


DIRECTION_VECTORS = _direction_vectors()
# Where pushed blocks may end up (the arm's comfortable reach).
PUSH_X = (0.34, 0.74)
PUSH_R = 0.76


def push_clearance(scene, color: str, direction: str) -> float:
    """Free space (m) around the push corridor; -inf if the push would leave the reachable area."""
    d = DIRECTION_VECTORS[direction]
    pos = scene.block_pos(color)
    if pos[2] > O.TABLE_Z + scene.block_size / 2 + 0.01:  # stacked, in the tray or in the hand: nothing to push
        return -math.inf
    b = pos[:2]
    start, end = b - d * 0.065, b + d * (DISTANCE + 0.03)
    if not (PUSH_X[0] <= end[0] <= PUSH_X[1] and np.linalg.norm(end) <= PUSH_R and abs(end[1]) <= 0.36):
        return -math.inf
    if start[0] < 0.28:
        return -math.inf
    clearance = math.inf
    for centre, radius in scene.obstacles(exclude=color):
        t = np.clip(np.dot(centre - start, end - start) / np.dot(end - start, end - start), 0, 1)
        clearance = min(clearance, float(np.linalg.norm(start + t * (end - start) - centre)) - radius)
    return clearance


def push_feasible(scene, color: str, direction: str) -> bool:
    """The block can be pushed 13 cm that way within reach, with nothing in the corridor."""
    return push_clearance(scene, color, direction) >= 0.035


@register_task("push")
class Push(Task):
    arg_keys = ("object", "direction")
    templates = {
        "train": (
            "push the {object} block {direction}",
            "shove the {object} cube {direction}",
            "slide the {object} block {direction}",
            "nudge the {object} block {direction} with the gripper",
            "push the {object} cube {direction}",
            "slide the {object} cube {direction} along the table",
            "shove the {object} block {direction} a little",
            "nudge the {object} cube {direction}",
            "can you push the {object} block {direction}",
            "the {object} cube should be pushed {direction}",
        ),
        "heldout": (
            "give the {object} cube a push {direction}",
            "using a closed gripper, move the {object} block {direction}",
        ),
    }
    max_steps = 60

    @classmethod
    def sample_args(cls, scene, rng):
        pairs = [(c, d) for c in O.BLOCK_COLORS for d in O.DIRECTIONS]
        clearance = [push_clearance(scene, *pd) for pd in pairs]
        feasible = [pd for pd, c in zip(pairs, clearance) if c >= 0.035]
        if feasible:
            color, direction = feasible[int(rng.integers(len(feasible)))]
        elif max(clearance) > -math.inf:  # crowded table: the roomiest corridor in reach
            color, direction = pairs[int(np.argmax(clearance))]
        else:
            color, direction = pairs[int(rng.integers(len(pairs)))]
        return {"object": color, "direction": direction}

    def begin(self, env) -> None:
        self.start = env.scene.block_pos(self.args["object"]).copy()

    def displacement(self, scene) -> float:
        pos = scene.block_pos(self.args["object"])
        return float(np.dot(pos[:2] - self.start[:2], DIRECTION_VECTORS[self.args["direction"]]))

    def success(self, scene) -> bool:
        color = self.args["object"]
        on_table = scene.block_pos(color)[2] < O.TABLE_Z + scene.block_size / 2 + 0.01
        return self.displacement(scene) >= DISTANCE and on_table and not scene.held(color)

    def make_expert(self, env):
        return PushExpert(self)


class PushExpert:
    """Go behind the block (from above), come down, push along the direction while keeping the
    block centred on the push line; if the block slips sideways, lift and set up again."""

    def __init__(self, task: Push):
        self.task = task
        self.color = task.args["object"]
        self.d = DIRECTION_VECTORS[task.args["direction"]]
        self.pushing = False

    def act(self, env) -> np.ndarray:
        scene, d = env.scene, self.d
        b = scene.block_pos(self.color)[:2]
        ee = env.ee_pos
        rel = ee[:2] - b
        along = float(np.dot(rel, d))
        lateral = float(np.dot(rel, np.array([-d[1], d[0]])))
        yaw = self._push_yaw(env.ee_yaw)
        yaw_ok = abs(wrap(yaw - env.ee_yaw)) < 0.15
        low = ee[2] < PUSH_Z + 0.012
        half = scene.block_size / 2
        behind_d = half + BEHIND - HALF
        if self.pushing and (abs(lateral) > 0.018 or along > -half or along < -behind_d - 0.03 or not low):
            self.pushing = False
        behind = b - d * behind_d
        if not self.pushing:
            err = float(np.linalg.norm(ee[:2] - behind))
            if err < 0.008 and low:
                self.pushing = True
            else:
                # stay high until behind the block: the funnel keeps the fingers off its top
                z = funnel_z(PUSH_Z, err, tol=0.006, top=0.08)
                if err > 0.012 or not yaw_ok:
                    z = max(z, PUSH_Z + 0.05)
                target = np.array([behind[0], behind[1], z])
                if ee[2] < PUSH_Z + 0.045 and err > 0.012:  # too low and in the wrong place: rise first
                    target[:2] = ee[:2]
                    target[2] = PUSH_Z + 0.06
                return move_action(env, target, yaw, 1.0)
        remaining = DISTANCE + 0.02 - self.task.displacement(scene)
        # keep the ee on the push line through the block centre, and drive forward
        target_xy = b - d * behind_d + d * min(0.025, max(remaining, 0.0) + 0.005)
        return move_action(env, (target_xy[0], target_xy[1], PUSH_Z), yaw, 1.0)

    def _push_yaw(self, current: float) -> float:
        """Gripper yaw with the finger axis across the push direction, nearest the current yaw."""
        base = math.atan2(self.d[1], self.d[0])
        k = round((current - base) / math.pi)
        yaw = base + k * math.pi
        if yaw > math.pi / 2 + 1e-6:
            yaw -= math.pi
        if yaw < -math.pi / 2 - 1e-6:
            yaw += math.pi
        return yaw
