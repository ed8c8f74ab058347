"""The observation / action schema shared by the simulator, the datasets, the policy and the ROS node.

Key names, dtypes and units live here once. ``heron/envs/tabletop/`` cannot import this package (calls point one
way), so ``heron/envs/tabletop/spaces.py`` restates the same names; ``tests/test_schema.py`` checks they agree.
"""

from __future__ import annotations

# Observation keys ----------------------------------------------------------------------------
RGB_FRONT = "rgb_front"  # uint8 (H, W, 3), the front camera looking at the table
RGB_WRIST = "rgb_wrist"  # uint8 (H, W, 3), the camera on the gripper
CAMERAS = (RGB_FRONT, RGB_WRIST)
PROPRIO = "proprio"  # float32 (22,), see PROPRIO_LAYOUT
INSTRUCTION = "instruction"  # str
TIMESTAMP = "timestamp"  # float seconds (backend clock) at which the observation was taken

# proprio = 7 joint positions (rad), 7 joint velocities (rad/s), gripper opening (m, 0..0.08),
# end-effector position (m, world frame), end-effector orientation quaternion (x, y, z, w).
PROPRIO_LAYOUT = {"joint_pos": (0, 7), "joint_vel": (7, 14), "gripper": (14, 15), "ee_pos": (15, 18), "ee_quat": (18, 22)}
PROPRIO_DIM = 22

# Actions: end-effector delta (dx, dy, dz, dyaw, gripper) in [-1, 1]; gripper > 0 closes.
ACTION_DIM = 5
ACTION_NAMES = ("dx", "dy", "dz", "dyaw", "gripper")

MAX_INSTRUCTION_CHARS = 256
