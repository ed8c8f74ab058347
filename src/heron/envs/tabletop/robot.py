"""The Franka Panda: loading, inverse kinematics toward an end-effector target, gripper, state.

The end effector is link 11 (``panda_grasptarget``, between the fingertips). The gripper always
points down; only its yaw about the vertical is free. Yaw 0 puts the finger axis along world y.
"""

from __future__ import annotations

import math

import numpy as np

from heron.envs.tabletop.assets import lowpoly_panda_urdf

EE_LINK = 11
ARM_JOINTS = tuple(range(7))
FINGER_JOINTS = (9, 10)
FINGER_LINKS = (9, 10)
HAND_LINK = 8
FINGER_OPEN = 0.04  # per finger, m
ARM_FORCES = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
GRIPPER_FORCE = 40.0
ARM_KP, ARM_KD = 0.3, 1.0
# Null-space rest pose: elbow up, wrist down, a typical tabletop posture.
REST_POSE = (0.0, 0.25, 0.0, -2.1, 0.0, 2.35, math.pi / 4)
LOWER = (-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973, 0.0, 0.0)
UPPER = (2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973, 0.04, 0.04)
RANGES = tuple(u - l for l, u in zip(LOWER, UPPER))
YAW_LIMIT = math.pi / 2


def down_quat(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion (x, y, z, w) of a gripper pointing straight down, turned by ``yaw`` about world z."""
    # Euler (pi, 0, yaw) in PyBullet's fixed-axis convention: Rz(yaw) @ Rx(pi).
    h = yaw / 2
    return (math.cos(h), math.sin(h), 0.0, 0.0)


def quat_yaw(q) -> float:
    """Yaw of a pointing-down gripper from its quaternion (x, y, z, w): angle of its x axis in the plane."""
    x, y, z, w = q
    # x axis of the rotation matrix
    ax = 1 - 2 * (y * y + z * z)
    ay = 2 * (x * y + z * w)
    return math.atan2(ay, ax)


class Panda:
    """One Panda in one PyBullet client; every call names the client."""

    def __init__(self, p, client: int):
        self.p, self.cid = p, client
        self.body = p.loadURDF(
            lowpoly_panda_urdf(), (0, 0, 0), (0, 0, 0, 1), useFixedBase=True,
            flags=p.URDF_USE_SELF_COLLISION_EXCLUDE_PARENT, physicsClientId=client,
        )
        for j in FINGER_JOINTS:
            p.changeDynamics(self.body, j, lateralFriction=1.5, spinningFriction=0.01, physicsClientId=client)
        # Couple the fingers (the URDF's mimic joint is ignored by PyBullet) so a held block cannot
        # slide along the closing axis when the arm accelerates.
        gear = p.createConstraint(
            self.body, FINGER_JOINTS[0], self.body, FINGER_JOINTS[1], p.JOINT_GEAR, (1, 0, 0), (0, 0, 0), (0, 0, 0),
            physicsClientId=client,
        )
        p.changeConstraint(gear, gearRatio=-1, erp=0.1, maxForce=50, physicsClientId=client)
        self.gripper_closed = False

    # -- state ----------------------------------------------------------------------------------
    def set_joints(self, arm: np.ndarray, finger: float = FINGER_OPEN) -> None:
        for j, q in zip(ARM_JOINTS, arm):
            self.p.resetJointState(self.body, j, float(q), 0.0, physicsClientId=self.cid)
        for j in FINGER_JOINTS:
            self.p.resetJointState(self.body, j, finger, 0.0, physicsClientId=self.cid)
        self.gripper_closed = finger < FINGER_OPEN / 2

    def joint_state(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Arm joint positions (7,), velocities (7,), finger opening (m, distance between fingers)."""
        states = self.p.getJointStates(self.body, ARM_JOINTS + FINGER_JOINTS, physicsClientId=self.cid)
        q = np.array([s[0] for s in states[:7]])
        dq = np.array([s[1] for s in states[:7]])
        return q, dq, float(states[7][0] + states[8][0])

    def ee_pose(self) -> tuple[np.ndarray, np.ndarray]:
        ls = self.p.getLinkState(self.body, EE_LINK, computeForwardKinematics=True, physicsClientId=self.cid)
        return np.array(ls[4]), np.array(ls[5])

    def link_pose(self, link: int) -> tuple[np.ndarray, np.ndarray]:
        ls = self.p.getLinkState(self.body, link, computeForwardKinematics=True, physicsClientId=self.cid)
        return np.array(ls[4]), np.array(ls[5])

    # -- control --------------------------------------------------------------------------------
    def solve_ik(self, pos, yaw: float, iterations: int = 20) -> np.ndarray:
        """Arm joint positions (7,) that put the end effector at ``pos`` pointing down with ``yaw``."""
        q = self.p.calculateInverseKinematics(
            self.body, EE_LINK, [float(v) for v in pos], down_quat(yaw),
            lowerLimits=LOWER, upperLimits=UPPER, jointRanges=RANGES,
            restPoses=list(REST_POSE) + [FINGER_OPEN, FINGER_OPEN],
            maxNumIterations=iterations, residualThreshold=1e-5, physicsClientId=self.cid,
        )
        return np.clip(np.array(q[:7]), LOWER[:7], UPPER[:7])

    def command_arm(self, q: np.ndarray, dq: np.ndarray | None = None) -> None:
        """Position targets (7,), with optional velocity feed-forward (7,)."""
        dq = np.zeros(7) if dq is None else dq
        self.p.setJointMotorControlArray(
            self.body, ARM_JOINTS, self.p.POSITION_CONTROL, targetPositions=[float(v) for v in q],
            targetVelocities=[float(v) for v in dq], forces=ARM_FORCES, positionGains=[ARM_KP] * 7,
            velocityGains=[ARM_KD] * 7, physicsClientId=self.cid,
        )

    def command_gripper(self, close: bool) -> None:
        self.gripper_closed = bool(close)
        target = 0.0 if close else FINGER_OPEN
        self.p.setJointMotorControlArray(
            self.body, FINGER_JOINTS, self.p.POSITION_CONTROL, targetPositions=[target, target],
            forces=[GRIPPER_FORCE, GRIPPER_FORCE], positionGains=[0.2, 0.2], physicsClientId=self.cid,
        )

    def command_finger_position(self, target: float) -> None:
        """Joint mode: each finger to ``target`` m."""
        self.gripper_closed = target < FINGER_OPEN / 2
        self.p.setJointMotorControlArray(
            self.body, FINGER_JOINTS, self.p.POSITION_CONTROL, targetPositions=[target, target],
            forces=[GRIPPER_FORCE, GRIPPER_FORCE], positionGains=[0.2, 0.2], physicsClientId=self.cid,
        )

    def home_joints(self, pos, yaw: float = 0.0) -> np.ndarray:
        """Joint positions for an end-effector pose, solved by repeated IK from the rest pose."""
        self.set_joints(np.array(REST_POSE))
        for _ in range(8):
            q = self.solve_ik(pos, yaw, iterations=50)
            self.set_joints(q)
        return q
