"""Message <-> array conversions and their validation (no ROS graph needed)."""

import math

import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped
from sensor_msgs.msg import JointState

from heron.ros import conversions as cv


def js(names, pos, vel=()):
    m = JointState()
    m.name, m.position, m.velocity = list(names), list(pos), list(vel)
    return m


def test_joint_state_any_order_and_extra_joints():
    names = list(reversed(cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES)) + ["other"]
    pos = {n: i * 0.1 for i, n in enumerate(cv.ARM_JOINT_NAMES)} | {"panda_finger_joint1": 0.02, "panda_finger_joint2": 0.03, "other": 9}
    q, dq, opening = cv.joint_state_to_arrays(js(names, [pos[n] for n in names]))
    np.testing.assert_allclose(q, np.arange(7) * 0.1)
    assert np.all(dq == 0) and opening == pytest.approx(0.05)


@pytest.mark.parametrize("msg, text", [
    (js(cv.ARM_JOINT_NAMES, [0.0] * 7), "lacks joints"),
    (js(cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES, [0.0] * 8), "9 names but 8 positions"),
    (js(cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES, [0.0] * 9, [0.0] * 3), "velocities"),
    (js(cv.ARM_JOINT_NAMES + cv.FINGER_JOINT_NAMES, [math.inf] + [0.0] * 8), "NaN or Inf"),
])
def test_bad_joint_states(msg, text):
    with pytest.raises(cv.BadInput, match=text):
        cv.joint_state_to_arrays(msg)


def test_pose_and_proprio_layout():
    m = PoseStamped()
    m.pose.position.x, m.pose.position.y, m.pose.position.z = 0.5, 0.1, 0.2
    pos, quat = cv.pose_to_arrays(m)
    p = cv.build_proprio(np.arange(7), np.ones(7), 0.08, pos, quat)
    assert p.dtype == np.float32 and p.shape == (22,)
    np.testing.assert_allclose(p[14:22], [0.08, 0.5, 0.1, 0.2, 0, 0, 0, 1], atol=1e-6)
    m.pose.orientation.w = 0.2
    with pytest.raises(cv.BadInput, match="unit quaternion"):
        cv.pose_to_arrays(m)


@pytest.mark.parametrize("text, ok", [("pick up the red block", True), ("", False), ("  \n ", False), ("a" * 257, False), ("a\x00b", False)])
def test_instruction_check(text, ok):
    if ok:
        assert cv.check_instruction("  " + text + " ") == text
    else:
        with pytest.raises(cv.BadInput):
            cv.check_instruction(text)


def test_twist_roundtrip():
    a = np.array([0.5, -1.0, 0.25, 0.2, 1.0], np.float32)
    lin, yaw_rate, grip = cv.action_to_twist_values(a, 0.025, 0.25, 10)
    np.testing.assert_allclose(lin, [0.125, -0.25, 0.0625])
    assert yaw_rate == pytest.approx(0.5) and grip == 1.0
    np.testing.assert_allclose(cv.twist_values_to_action(lin, yaw_rate, grip, 0.025, 0.25, 10), a, atol=1e-6)
    assert cv.twist_values_to_action([10, 0, 0], 0, 0, 0.025, 0.25, 10)[0] == 1.0  # clipped
