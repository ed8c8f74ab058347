"""Scripted-expert building blocks: saturating P-control toward waypoints, a grasp-and-carry state
machine (pick, place, stack, zone), and DART-style noise injection.

Experts read true object poses from the scene and re-plan every step, so they correct perturbed
actions. A missed or dropped grasp sends the machine back to reaching.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np

from heron.envs.tabletop import objects as O

if TYPE_CHECKING:
    from heron.envs.tabletop.env import TabletopEnv

HALF = O.BLOCK_SIZE / 2
TRAVEL_Z = 0.115  # carry height of the end effector: a held block clears blocks, walls and distractors
FUNNEL_SLOPE = 2.0  # the ee may be this many metres higher per metre of horizontal error
FUNNEL_TOP = 0.09
OPEN_WIDTH = 0.07  # finger opening above which the gripper counts as open


def perturb(action: np.ndarray, rng: np.random.Generator, sigma: float, gripper: bool = True) -> np.ndarray:
    """DART noise: ``action`` + N(0, sigma) per dimension, clipped to [-1, 1]; the label stays clean."""
    if sigma < 0:
        raise ValueError(f"sigma={sigma!r} must be >= 0")
    a = np.asarray(action, dtype=np.float32)
    noise = rng.normal(0.0, sigma, size=a.shape).astype(np.float32)
    if not gripper:
        noise[-1] = 0.0
    return np.clip(a + noise, -1.0, 1.0).astype(np.float32)


def wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def aligned_yaw(current: float, block_yaw: float) -> float:
    """The grasp yaw equivalent to ``block_yaw`` (mod 90 deg) nearest the current gripper yaw."""
    k = round((current - block_yaw) / (math.pi / 2))
    yaw = block_yaw + k * math.pi / 2
    # keep within the wrist's comfortable range
    while yaw > math.pi / 2:
        yaw -= math.pi / 2
    while yaw < -math.pi / 2:
        yaw += math.pi / 2
    return yaw


def funnel_z(goal_z: float, xy_err: float, tol: float = 0.004, top: float = FUNNEL_TOP) -> float:
    """Height to aim for: the goal height once above it, rising with the horizontal error."""
    return goal_z + float(np.clip(FUNNEL_SLOPE * (xy_err - tol), 0.0, top))


def move_action(env: "TabletopEnv", target_pos, target_yaw: float | None, gripper: float, gain: float = 1.0) -> np.ndarray:
    """Saturating P-controller: normalized (dx, dy, dz, dyaw, gripper) toward a target pose."""
    cfg = env.config
    ee = env.ee_pos
    dxyz = gain * (np.asarray(target_pos) - ee) / cfg.max_xyz_step
    dyaw = 0.0 if target_yaw is None else gain * wrap(target_yaw - env.ee_yaw) / cfg.max_yaw_step
    a = np.concatenate([dxyz, [dyaw, gripper]])
    return np.clip(a, -1.0, 1.0).astype(np.float32)


class CarryExpert:
    """Grasp block ``color``; then lift it (``goal`` None) or carry it to ``goal(scene)`` and release.

    ``goal`` returns (xy, height of the block centre at release). Phases: reach -> grasp -> carry -> release -> retreat.
    """

    def __init__(self, color: str, goal: Callable | None = None, lift_z: float = 0.12):
        self.color, self.goal, self.lift_z = color, goal, lift_z
        self.phase = "reach"
        self.phase_step = 0

    def _enter(self, phase: str, env) -> None:
        self.phase, self.phase_step = phase, env.elapsed_steps

    def act(self, env: "TabletopEnv") -> np.ndarray:
        scene = env.scene
        held = scene.held(self.color)
        if self.phase in ("reach", "grasp") and held and env.gripper_opening > 0.02:
            self._enter("carry", env)
        if self.phase == "carry" and not held:
            self._enter("reach", env)
        if self.phase == "reach":
            return self._reach(env)
        if self.phase == "grasp":
            return self._grasp(env, held)
        if self.phase == "carry":
            return self._carry(env)
        if self.phase == "release":
            return self._release(env)
        return self._retreat(env)

    def _reach(self, env) -> np.ndarray:
        scene = env.scene
        b = scene.block_pos(self.color)
        yaw = aligned_yaw(env.ee_yaw, scene.block_yaw(self.color))
        ee = env.ee_pos
        xy_err = float(np.linalg.norm(ee[:2] - b[:2]))
        yaw_err = abs(wrap(yaw - env.ee_yaw))
        grasp_z = max(b[2] - 0.002, env.workspace_low[2])
        is_open = env.gripper_opening > OPEN_WIDTH
        extra = 0.0 if is_open else 0.04  # an unopened gripper stays above the block
        z = funnel_z(grasp_z, xy_err) + 0.25 * max(0.0, yaw_err - 0.05) + extra
        if is_open and xy_err < 0.012 and abs(ee[2] - grasp_z) < 0.012 and yaw_err < 0.15:
            self._enter("grasp", env)
            return self._grasp(env, False)
        return move_action(env, (b[0], b[1], z), yaw, -1.0)

    def _grasp(self, env, held: bool) -> np.ndarray:
        waited = env.elapsed_steps - self.phase_step
        if waited >= 2 and env.gripper_opening < 0.01:  # closed on nothing: missed
            self._enter("reach", env)
            return self._reach(env)
        if waited >= 5:
            self._enter("reach", env)
            return self._reach(env)
        a = np.zeros(5, dtype=np.float32)
        a[4] = 1.0
        return a

    def _carry(self, env) -> np.ndarray:
        ee = env.ee_pos
        if self.goal is None:
            return move_action(env, (ee[0], ee[1], self.lift_z), None, 1.0)
        # Steer the block, not the ee: the block may sit off-centre in the hand.
        blk = env.scene.block_pos(self.color)
        xy, release_z = self.goal(env.scene)
        xy_err = float(np.linalg.norm(blk[:2] - np.asarray(xy)))
        z = funnel_z(release_z, xy_err, tol=0.006, top=TRAVEL_Z - release_z)
        block_target = np.array([xy[0], xy[1], z])
        if blk[2] < z - 0.03 and xy_err > 0.02:  # lift before moving sideways
            step = block_target[:2] - blk[:2]
            step *= min(1.0, 0.01 / max(np.linalg.norm(step), 1e-9))
            block_target[:2] = blk[:2] + step
        if xy_err < 0.008 and abs(blk[2] - release_z) < 0.01:
            self._enter("release", env)
            return self._release(env)
        return move_action(env, ee + (block_target - blk), None, 1.0)

    def _release(self, env) -> np.ndarray:
        if env.gripper_opening > 0.06 or env.elapsed_steps - self.phase_step >= 4:
            self._enter("retreat", env)
            return self._retreat(env)
        if self.goal is not None and env.scene.held(self.color):
            xy, _ = self.goal(env.scene)
            if np.linalg.norm(env.scene.block_pos(self.color)[:2] - np.asarray(xy)) > 0.014:
                self._enter("carry", env)  # pushed off target before letting go: line up again
                return self._carry(env)
        a = np.zeros(5, dtype=np.float32)
        a[4] = -1.0
        return a

    def _retreat(self, env) -> np.ndarray:
        if env.elapsed_steps - self.phase_step >= 3:  # still running, so the goal was missed: again
            self._enter("reach", env)
            return self._reach(env)
        ee = env.ee_pos
        return move_action(env, (ee[0], ee[1], ee[2] + 0.05), None, -1.0)
