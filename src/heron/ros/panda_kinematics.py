"""Franka Panda forward kinematics and a damped-least-squares IK step, in NumPy.

Used by the policy node's ``command_type: joint_trajectory``: an end-effector delta action becomes
one joint-space point one action step ahead. The chain is the franka_panda URDF's (base at the world
origin, end effector = ``panda_grasptarget``, 0.105 m past the hand), the same the simulator uses.
"""

from __future__ import annotations

import math

import numpy as np

# (xyz, rpy) of each joint's origin in its parent link; revolute about local z for the first 7.
_JOINTS = (
    ((0, 0, 0.333), (0, 0, 0)),
    ((0, 0, 0), (-math.pi / 2, 0, 0)),
    ((0, -0.316, 0), (math.pi / 2, 0, 0)),
    ((0.0825, 0, 0), (math.pi / 2, 0, 0)),
    ((-0.0825, 0.384, 0), (-math.pi / 2, 0, 0)),
    ((0, 0, 0), (math.pi / 2, 0, 0)),
    ((0.088, 0, 0), (math.pi / 2, 0, 0)),
)
_FIXED = (((0, 0, 0.107), (0, 0, 0)), ((0, 0, 0), (0, 0, -math.pi / 4)), ((0, 0, 0.105), (0, 0, 0)))
LOWER = np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
UPPER = np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
FINGER_OPEN = 0.04
YAW_LIMIT = math.pi / 2


def _origin(xyz, rpy) -> np.ndarray:
    r, p, y = rpy
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    T = np.eye(4)
    T[:3, :3] = [[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                 [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                 [-sp, cp * sr, cp * cr]]
    T[:3, 3] = xyz
    return T


_JOINT_T = [_origin(*j) for j in _JOINTS]
_TIP_T = _origin(*_FIXED[0]) @ _origin(*_FIXED[1]) @ _origin(*_FIXED[2])


def fk(q) -> np.ndarray:
    """Joint positions (7,) -> 4x4 pose of the end effector in the world frame."""
    T = np.eye(4)
    for Tj, qi in zip(_JOINT_T, q):
        c, s = math.cos(qi), math.sin(qi)
        Rz = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        T = T @ Tj @ Rz
    return T @ _TIP_T


def down_rotation(yaw: float) -> np.ndarray:
    """Gripper pointing straight down, turned by ``yaw`` (the simulator's convention)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ np.diag([1.0, -1.0, -1.0])


def yaw_of(R: np.ndarray) -> float:
    return math.atan2(R[1, 0], R[0, 0])


def _error(T: np.ndarray, pos, R_target) -> np.ndarray:
    R = T[:3, :3]
    rot = 0.5 * sum(np.cross(R[:, i], R_target[:, i]) for i in range(3))
    return np.concatenate([np.asarray(pos) - T[:3, 3], rot])


def solve(q0, pos, yaw: float, iterations: int = 30, damping: float = 0.02) -> np.ndarray:
    """Joint positions near ``q0`` putting the end effector at ``pos`` pointing down with ``yaw``."""
    q = np.array(q0, dtype=np.float64)
    R_target = down_rotation(yaw)
    eps = 1e-6
    for _ in range(iterations):
        T = fk(q)
        e = _error(T, pos, R_target)
        if np.linalg.norm(e) < 1e-6:
            break
        J = np.empty((6, 7))
        for i in range(7):
            dq = q.copy()
            dq[i] += eps
            J[:, i] = (e - _error(fk(dq), pos, R_target)) / eps
        q = np.clip(q + J.T @ np.linalg.solve(J @ J.T + damping**2 * np.eye(6), e), LOWER, UPPER)
    return q


class PandaKinematics:
    """Action (5,) + current joints -> the joint positions one action step ahead (heron/ros/command_output.py)."""

    def target(self, q, action, max_xyz_step: float, max_yaw_step: float) -> tuple[np.ndarray, float]:
        a = np.asarray(action, np.float64)
        T = fk(q)
        pos = T[:3, 3] + a[:3] * max_xyz_step
        yaw = float(np.clip(yaw_of(T[:3, :3]) + a[3] * max_yaw_step, -YAW_LIMIT, YAW_LIMIT))
        finger = 0.0 if a[4] > 0 else FINGER_OPEN
        return np.concatenate([solve(q, pos, yaw), [finger, finger]]), finger
