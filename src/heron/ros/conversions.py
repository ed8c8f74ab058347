"""ROS 2 messages <-> heron arrays, with validation that names what is wrong (bad input never raises
past the node: each function raises ``BadInput`` and the node holds and reports it).

Proprio (22,) comes from two topics: ``sensor_msgs/JointState`` with the 7 Panda arm joints and the
2 finger joints (positions, optional velocities) and ``geometry_msgs/PoseStamped`` with the
end-effector pose (JointState alone cannot give it without the robot's kinematics).
"""

from __future__ import annotations

import math

import numpy as np

from heron.policies.schema import MAX_INSTRUCTION_CHARS, PROPRIO_DIM

ARM_JOINT_NAMES = tuple(f"panda_joint{i}" for i in range(1, 8))
FINGER_JOINT_NAMES = ("panda_finger_joint1", "panda_finger_joint2")


class BadInput(ValueError):
    """A message the node cannot use; the text says what is wrong with it."""


# -- images (camera input: heron/ros/image_input.py) ---------------------------------------------------
def array_to_image_fields(img: np.ndarray) -> dict:
    """uint8 (H, W, 3) RGB -> the fields of an rgb8 sensor_msgs/Image (data as bytes: fast)."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w = img.shape[:2]
    return {"height": h, "width": w, "encoding": "rgb8", "is_bigendian": 0, "step": 3 * w, "data": img.tobytes()}


# -- proprio ----------------------------------------------------------------------------------------
def joint_state_to_arrays(msg, arm: tuple[str, ...] = ARM_JOINT_NAMES,
                          fingers: tuple[str, ...] = FINGER_JOINT_NAMES) -> tuple[np.ndarray, np.ndarray, float]:
    """sensor_msgs/JointState -> arm positions (7,), velocities (7,) (zeros if absent), gripper opening (m).

    ``arm`` names the robot's arm joints in the proprio's order (up to 7; an arm with fewer leaves the
    last slots at 0), ``fingers`` the finger joints whose positions sum to the opening (none: 0)."""
    names = list(msg.name)
    pos = np.asarray(msg.position, dtype=np.float64)
    if len(pos) != len(names):
        raise BadInput(f"joint_states has {len(names)} names but {len(pos)} positions")
    vel = np.asarray(msg.velocity, dtype=np.float64)
    if len(vel) not in (0, len(names)):
        raise BadInput(f"joint_states has {len(names)} names but {len(vel)} velocities")
    missing = [j for j in (*arm, *fingers) if j not in names]
    if missing:
        raise BadInput(f"joint_states lacks joints {missing}; needs {list(arm) + list(fingers)} "
                       "(set arm_joint_names / finger_joint_names to your robot's)")
    idx = [names.index(j) for j in arm]
    fidx = [names.index(j) for j in fingers]
    q, dq = np.zeros(7), np.zeros(7)
    q[: len(idx)] = pos[idx]
    if len(vel):
        dq[: len(idx)] = vel[idx]
    opening = float(pos[fidx].sum()) if fidx else 0.0
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(dq)) and math.isfinite(opening)):
        raise BadInput("joint_states contains NaN or Inf")
    return q, dq, opening


def pose_to_arrays(msg) -> tuple[np.ndarray, np.ndarray]:
    """geometry_msgs/PoseStamped -> position (3,), quaternion (x, y, z, w) (4,)."""
    p, o = msg.pose.position, msg.pose.orientation
    pos = np.array([p.x, p.y, p.z], np.float64)
    quat = np.array([o.x, o.y, o.z, o.w], np.float64)
    if not (np.all(np.isfinite(pos)) and np.all(np.isfinite(quat))):
        raise BadInput("ee_pose contains NaN or Inf")
    norm = float(np.linalg.norm(quat))
    if not 0.9 < norm < 1.1:
        raise BadInput(f"ee_pose orientation is not a unit quaternion (norm {norm:.3f})")
    return pos, quat / norm


def build_proprio(q, dq, opening: float, ee_pos, ee_quat) -> np.ndarray:
    """The 22-d proprio vector in the layout of ``heron.policies.schema.PROPRIO_LAYOUT``."""
    p = np.concatenate([q, dq, [opening], ee_pos, ee_quat]).astype(np.float32)
    assert p.shape == (PROPRIO_DIM,)
    return p


# -- instructions -----------------------------------------------------------------------------------
def check_instruction(text: str) -> str:
    """Strip and validate an instruction: not empty, at most MAX_INSTRUCTION_CHARS, printable."""
    t = (text or "").strip()
    if not t:
        raise BadInput("instruction is empty")
    if len(t) > MAX_INSTRUCTION_CHARS:
        raise BadInput(f"instruction has {len(t)} characters; at most {MAX_INSTRUCTION_CHARS} allowed")
    if not t.isprintable():
        raise BadInput("instruction contains control characters")
    return t


# -- commands ---------------------------------------------------------------------------------------
def action_to_twist_values(action, max_xyz_step: float, max_yaw_step: float, action_hz: float) -> tuple[np.ndarray, float, float]:
    """Action (5,) -> linear velocity (3,) m/s, yaw rate rad/s, gripper command 0 (open)..1 (closed).
    A unit action moves ``max_xyz_step`` m (``max_yaw_step`` rad) in one step of ``action_hz``."""
    a = np.asarray(action, np.float64)
    return a[:3] * max_xyz_step * action_hz, float(a[3] * max_yaw_step * action_hz), float((a[4] + 1.0) / 2.0)


def twist_values_to_action(linear, yaw_rate: float, gripper: float, max_xyz_step: float, max_yaw_step: float, action_hz: float) -> np.ndarray:
    """Inverse of ``action_to_twist_values``, clipped to [-1, 1]."""
    a = np.zeros(5, np.float32)
    a[:3] = np.asarray(linear, np.float64) / (max_xyz_step * action_hz)
    a[3] = yaw_rate / (max_yaw_step * action_hz)
    a[4] = 2.0 * float(gripper) - 1.0
    a[~np.isfinite(a)] = 0.0
    return np.clip(a, -1.0, 1.0)
