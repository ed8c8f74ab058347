"""Observation and action key names, as the simulator produces them.

``heron/envs/tabletop/`` never imports ``heron/policies/``; these names restate ``heron/policies/schema.py`` and a test checks
that the two agree.
"""

from __future__ import annotations

RGB_FRONT = "rgb_front"
RGB_WRIST = "rgb_wrist"
PROPRIO = "proprio"
INSTRUCTION = "instruction"
PROPRIO_DIM = 22  # 7 joint pos, 7 joint vel, gripper opening, ee xyz, ee quat (x, y, z, w)
ACTION_DIM = 5  # dx, dy, dz, dyaw, gripper (> 0 closes), each in [-1, 1]
STATE_NAMES = (*(f"joint_pos_{i}" for i in range(7)), *(f"joint_vel_{i}" for i in range(7)), "gripper_opening",
               "ee_x", "ee_y", "ee_z", "ee_qx", "ee_qy", "ee_qz", "ee_qw")
ACTION_NAMES = ("dx", "dy", "dz", "dyaw", "gripper")
MAX_INSTRUCTION_CHARS = 256
TIMESTAMP = "timestamp"  # float64 () simulated seconds since reset
DEPTH_FRONT = "depth_front"  # float32 (H, W) metres, only with depth=True
JOINT_ACTION_DIM = 8  # action_mode="joint": 7 joint-position deltas + gripper
